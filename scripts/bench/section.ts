import type { Bench } from './harness.js';
import type { Table } from './report.js';

/** One numbered section of the report: it measures, then writes its rows (none when it skips). */
export interface Section {
  id: string;
  run(bench: Bench, table: Table): Promise<void>;
}
