/** The one recording Log of the unit tests: what the code under test told the user, in order. */
import type { Log, Masker } from '../../src/ports.js';

export interface RecordingLog extends Log {
  /** Every info line, as given. */
  infos: string[];
  /** Every warning, as given. */
  warnings: string[];
  /** Info and warning lines interleaved in order, warnings prefixed `warning: `. */
  lines: string[];
  /** Names of the groups opened, in order. */
  groups: string[];
  /** Every value handed to setSecret. */
  secrets: string[];
  /** Every call in order, debug lines included: `info: …`, `warning: …`, `debug: …`, `group: …`. */
  transcript: string[];
}

/**
 * Debug lines go to the transcript only (they are not what the user reads); a group runs its
 * function. With a masker, setSecret also adds to it, as the real edges do, so a runner built on
 * the same masker hides what the code under test masked.
 */
export function recordingLog(masker?: Masker): RecordingLog {
  const infos: string[] = [];
  const warnings: string[] = [];
  const lines: string[] = [];
  const groups: string[] = [];
  const secrets: string[] = [];
  const transcript: string[] = [];
  return {
    infos,
    warnings,
    lines,
    groups,
    secrets,
    transcript,
    info: (message) => {
      infos.push(message);
      lines.push(message);
      transcript.push(`info: ${message}`);
    },
    warning: (message) => {
      warnings.push(message);
      lines.push(`warning: ${message}`);
      transcript.push(`warning: ${message}`);
    },
    debug: (message) => void transcript.push(`debug: ${message}`),
    group: (name, fn) => {
      groups.push(name);
      transcript.push(`group: ${name}`);
      return fn();
    },
    setSecret: (value) => {
      secrets.push(value);
      masker?.add(value);
    }
  };
}
