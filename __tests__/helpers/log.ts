/** The one recording Log of the unit tests: what the code under test told the user, in order. */
import type { Log } from '../../src/ports.js';

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
}

/** Debug lines are dropped (they are not what the user reads); a group runs its function. */
export function recordingLog(): RecordingLog {
  const infos: string[] = [];
  const warnings: string[] = [];
  const lines: string[] = [];
  const groups: string[] = [];
  const secrets: string[] = [];
  return {
    infos,
    warnings,
    lines,
    groups,
    secrets,
    info: (message) => {
      infos.push(message);
      lines.push(message);
    },
    warning: (message) => {
      warnings.push(message);
      lines.push(`warning: ${message}`);
    },
    debug: () => undefined,
    group: (name, fn) => {
      groups.push(name);
      return fn();
    },
    setSecret: (value) => void secrets.push(value)
  };
}
