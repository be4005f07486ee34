/** The report: medians with min and max, formatted, one Markdown table for every section. */

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
export const min = (values: number[]): number => Math.min(...values);
export const max = (values: number[]): number => Math.max(...values);

export type Format = (x: number) => string;
export const sec: Format = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
export const sec1: Format = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '-');
export const msec: Format = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : '-');
export const pct: Format = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '-');
export const times: Format = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '-');
export const count: Format = (x) => (Number.isFinite(x) ? String(x) : '-');
export const bytes = (n: number): string => `${n.toLocaleString('en-US')} B (${(n / 1024 / 1024).toFixed(2)} MiB)`;

export type Row =
  { header: string } | { measure: string; median: string; min: string; max: string; n: string; note: string };

/** One section's rows, in the order it adds them. */
export class Table {
  readonly rows: Row[] = [];

  header(title: string): void {
    this.rows.push({ header: title });
  }

  /** A measure taken several times: its median, min, max and the number of runs. */
  row(measure: string, values: number[], format: Format, note = ''): void {
    this.rows.push({
      measure,
      median: format(median(values)),
      min: format(min(values)),
      max: format(max(values)),
      n: String(values.length),
      note
    });
  }

  /** A figure of its own (a ratio of medians, a size). */
  single(measure: string, value: string, note = ''): void {
    this.rows.push({ measure, median: value, min: '', max: '', n: '', note });
  }

  /** One row per phase name found in any run (log-group timings), in order of first appearance. */
  phaseRows(list: Array<Record<string, number>>, prefix: string): void {
    const names: string[] = [];
    for (const ph of list) for (const k of Object.keys(ph)) if (!names.includes(k)) names.push(k);
    for (const name of names)
      this.row(
        `${prefix}${name}`,
        list.map((ph) => ph[name] ?? NaN),
        msec
      );
  }
}

export interface ReportHead {
  date: string;
  machine: string;
  versions: string;
  action: string;
  load: string;
  where: string;
}

/** The whole report as Markdown: the head, one table of every section's rows, the notes. */
export function writeReport(head: ReportHead, tables: Table[], notes: string[], footer: string): string {
  const lines = ['# multiarch-publish benchmark', ''];
  lines.push(`- date: ${head.date}`, `- machine: ${head.machine}`, `- versions: ${head.versions}`);
  lines.push(`- action: ${head.action}`, `- load average (1, 5, 15 min) ${head.load}`, `- ${head.where}`, '');
  lines.push('| Measure | Median | Min | Max | Runs | Notes |', '|---|---:|---:|---:|---:|---|');
  // A | inside a cell (even in a code span) ends it in GitHub's tables unless escaped.
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  for (const r of tables.flatMap((t) => t.rows)) {
    if ('header' in r) lines.push(`| **${cell(r.header)}** | | | | | |`);
    else lines.push(`| ${[r.measure, r.median, r.min, r.max, r.n, r.note].map(cell).join(' | ')} |`);
  }
  lines.push('');
  // Each note is a Markdown list line of its own (the caller indents sub-items).
  for (const n of notes) lines.push(n);
  lines.push(footer);
  return `${lines.join('\n')}\n`;
}
