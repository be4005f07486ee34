/**
 * The emulation report as text: the command line's table and the job summary's Mermaid gantt
 * chart, table of the slowest emulated steps and cross-compile hints. Pure: values in, text out.
 */
import { CROSS_COMPILE_TITLE, type ReportStep, type EmulationReport, type EmulationSummary } from './emulation.js';

/** How many emulated steps the table lists. */
const TABLE_ROWS = 5;
/** An emulated step worth a hint: at least this long and this share of the wall time. */
const HINT_MIN_MS = 1000;
const HINT_MIN_SHARE = 0.05;

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const share = (ms: number, wall: number) => (wall > 0 ? `${Math.round((100 * ms) / wall)} %` : '-');
const where = (s: ReportStep) => (s.line !== undefined ? `${s.file}:${s.line}` : s.file);

/** The emulated steps that took longest, slowest first. */
export function slowestEmulated(report: EmulationReport, rows = TABLE_ROWS): ReportStep[] {
  return report.steps
    .filter((s) => s.emulated)
    .sort((a, b) => b.end - b.start - (a.end - a.start))
    .slice(0, rows);
}

/** One hint a stage: its slowest emulated RUN, when it is worth the cross-compile work. */
export function crossCompileHints(report: EmulationReport): ReportStep[] {
  const byStage = new Map<string, ReportStep>();
  for (const s of slowestEmulated(report, Infinity)) {
    const took = s.end - s.start;
    if (!s.crossCompilable || took < HINT_MIN_MS || took < HINT_MIN_SHARE * report.wallMs) continue;
    const key = `${s.file}:${s.fromLine ?? s.stage ?? ''}`;
    if (!byStage.has(key)) byStage.set(key, s);
  }
  return [...byStage.values()];
}

function hintText(s: ReportStep, report: EmulationReport): string {
  const stage = s.fromLine !== undefined ? `Its stage (FROM at ${s.file}:${s.fromLine})` : 'Its stage';
  return (
    `${where(s)} \`${short(s.command, 60)}\` ran under QEMU for ${s.platform}: ${seconds(s.end - s.start)} s, ` +
    `${share(s.end - s.start, report.wallMs)} of the wall time. ${stage} has no \`--platform=$BUILDPLATFORM\`: ` +
    'run the compiler natively there and cross-compile for `$TARGETOS`/`$TARGETARCH`'
  );
}

function short(text: string, max: number): string {
  // BuildKit shows a FROM with the digest it resolved: the name is what a reader knows.
  const one = text.replace(/@sha256:[0-9a-f]+/g, '').replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The report for the log and the command line: a line of totals, the table, the hints. */
export function emulationLines(report: EmulationReport): string[] {
  const emulated = report.steps.filter((s) => s.emulated);
  const total = emulated.reduce((sum, s) => sum + s.end - s.start, 0);
  const lines = [
    `build steps: ${report.steps.length} on ${report.platforms.length} platform(s), ${seconds(report.wallMs)} s wall; ` +
      (emulated.length
        ? `${emulated.length} RUN step(s) under emulation, ${seconds(total)} s in all`
        : 'no RUN step ran under emulation')
  ];
  const rows = slowestEmulated(report);
  if (rows.length > 0) {
    const table = [
      ['Platform', 'Dockerfile line', 'Seconds', 'Share', 'Step'],
      ...rows.map((s) => [
        s.platform,
        where(s),
        seconds(s.end - s.start),
        share(s.end - s.start, report.wallMs),
        short(s.command, 60)
      ])
    ];
    const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
    lines.push('slowest emulated steps:');
    for (const r of table)
      lines.push(
        `  ${r
          .map((cell, c) => (c === 2 || c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
          .join('  ')
          .trimEnd()}`
      );
  }
  for (const h of crossCompileHints(report))
    lines.push(`hint: ${hintText(h, report)} (README: "${CROSS_COMPILE_TITLE}")`);
  return lines;
}

/** A bar's name: Mermaid reads `:`, `;`, `#` and quotes in a task name as syntax, so only plain characters stay. */
function taskName(s: ReportStep): string {
  const label = `${s.line !== undefined ? `L${s.line} ` : ''}${short(s.command, 48)}`;
  return (
    label
      .replace(/[^\w .,/=+@()[\]{}$|!?*%~^-]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim() || 'step'
  );
}

/** The job summary's section, when the run made a report. */
export function emulationSection(emulation: EmulationSummary | undefined): string[] {
  return emulation ? emulationMarkdown(emulation.report, emulation.readmeUrl) : [];
}

/** The job summary's section: a gantt chart of every platform's steps, the table, the hints. */
export function emulationMarkdown(report: EmulationReport | undefined, readmeUrl?: string): string[] {
  if (!report || report.steps.length === 0) return [];
  const lines = ['', '### Where the build time went', ''];
  const axis = report.wallMs >= 3_600_000 ? '%H:%M:%S' : '%M:%S';
  lines.push('```mermaid', 'gantt', `  dateFormat x`, `  axisFormat ${axis}`);
  for (const platform of report.platforms) {
    const steps = report.steps.filter((s) => s.platform === platform);
    if (steps.length === 0) continue;
    lines.push(`  section ${platform}`);
    for (const s of steps) {
      const tag = s.emulated ? 'crit, ' : s.cached ? 'done, ' : '';
      lines.push(`  ${taskName(s)} :${tag}${Math.round(s.start)}, ${Math.round(Math.max(s.end, s.start + 1))}`);
    }
  }
  lines.push('```', '');
  lines.push('Red: a RUN step under emulation (QEMU); grey: served from cache.', '');
  const rows = slowestEmulated(report);
  if (rows.length === 0) {
    lines.push(`No RUN step ran under emulation (${seconds(report.wallMs)} s wall).`);
    return lines;
  }
  lines.push('| Platform | Dockerfile line | Step | Seconds | Share of wall time |', '|---|---|---|---:|---:|');
  for (const s of rows) {
    const command = short(s.command, 80).replace(/\|/g, '\\|').replace(/`/g, "'");
    lines.push(
      `| \`${s.platform}\` | ${where(s)} | \`${command}\` | ${seconds(s.end - s.start)} | ${share(s.end - s.start, report.wallMs)} |`
    );
  }
  const guide = readmeUrl ? `[${CROSS_COMPILE_TITLE}](${readmeUrl})` : `“${CROSS_COMPILE_TITLE}” in the README`;
  for (const h of crossCompileHints(report)) lines.push('', `> **Hint:** ${hintText(h, report)}. See ${guide}.`);
  return lines;
}
