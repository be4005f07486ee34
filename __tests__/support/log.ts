import type { Log } from '../../src/ports.js';

/** A Log that keeps what it is told: info lines, warnings, groups opened, secrets, and all of it in order. */
export interface RecordingLog {
  log: Log;
  lines: string[];
  warnings: string[];
  groups: string[];
  secrets: string[];
  /** Every call in order: `info: …`, `warning: …`, `group: …`. */
  transcript: string[];
}

export function recordingLog(): RecordingLog {
  const rec: Omit<RecordingLog, 'log'> = { lines: [], warnings: [], groups: [], secrets: [], transcript: [] };
  const log: Log = {
    info: (m) => {
      rec.lines.push(m);
      rec.transcript.push(`info: ${m}`);
    },
    warning: (m) => {
      rec.warnings.push(m);
      rec.transcript.push(`warning: ${m}`);
    },
    debug: () => undefined,
    group: (name, fn) => {
      rec.groups.push(name);
      rec.transcript.push(`group: ${name}`);
      return fn();
    },
    setSecret: (value) => void rec.secrets.push(value)
  };
  return { log, ...rec };
}
