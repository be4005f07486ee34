/**
 * The emulation report: from BuildKit's status stream of a finished build (the `rawjson` replay
 * of its history record), each Dockerfile step per platform with its start, end, whether it was
 * cached and whether it ran emulated (its platform is not one the node runs natively); rendered
 * as a Mermaid gantt chart, a table of the slowest emulated steps, and a hint where a stage
 * could cross-compile instead. Pure: text in, values and text out.
 */
import { parsePlatforms } from './platforms.js';

/** One vertex of the status stream, its updates merged. Times in ms since the epoch. */
export interface Vertex {
  digest: string;
  name: string;
  started?: number;
  completed?: number;
  cached: boolean;
  error?: string;
}

/** The README section the hint links to. */
export const CROSS_COMPILE_ANCHOR = 'cross-compile-instead-of-emulating';
export const CROSS_COMPILE_TITLE = 'Cross-compile instead of emulating';

/** RFC 3339 with nanoseconds (Go's time.Time) to ms; Date.parse takes milliseconds at most. */
function parseTime(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.startsWith('0001-')) return undefined;
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The vertices of a `--progress rawjson` stream (one SolveStatus JSON object a line), each
 * vertex's updates merged in order; lines that are not status objects are skipped.
 */
export function parseStatusStream(text: string): Vertex[] {
  const byDigest = new Map<string, Vertex>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let status: { vertexes?: Array<Record<string, unknown>> };
    try {
      status = JSON.parse(line) as typeof status;
    } catch {
      continue;
    }
    for (const v of status.vertexes ?? []) {
      const digest = typeof v.digest === 'string' ? v.digest : '';
      if (!digest) continue;
      const seen = byDigest.get(digest) ?? { digest, name: '', cached: false };
      if (typeof v.name === 'string' && v.name) seen.name = v.name;
      seen.started = parseTime(v.started) ?? seen.started;
      seen.completed = parseTime(v.completed) ?? seen.completed;
      if (v.cached === true) seen.cached = true;
      if (typeof v.error === 'string' && v.error) seen.error = v.error;
      byDigest.set(digest, seen);
    }
  }
  return [...byDigest.values()];
}

/** A Dockerfile step's vertex name, `[linux/amd64->arm64 build 2/4] RUN go build`, taken apart. */
export interface StepName {
  /** The platform the step ran as (before `->`), when the build named platforms. */
  platform?: string;
  /** The platform it builds for (after `->`, else the same). */
  target?: string;
  /** The stage (`build`, `stage-1`); absent in a Dockerfile of one stage. */
  stage?: string;
  index: number;
  total: number;
  /** The instruction as BuildKit shows it: `RUN go build`. */
  command: string;
}

/** The platform's one spelling (`linux/aarch64` → `linux/arm64`); text the parser refuses stays as it is. */
function platformId(text: string): string {
  try {
    return parsePlatforms([text])[0].id;
  } catch {
    return text;
  }
}

/** `[…  i/n] COMMAND` as BuildKit's Dockerfile frontend names steps; undefined for other vertices. */
export function parseStepName(name: string): StepName | undefined {
  const m = /^\[([^\]]*?)\s*(\d+)\/(\d+)\] (.*)$/s.exec(name);
  if (!m) return undefined;
  const step: StepName = { index: Number(m[2]), total: Number(m[3]), command: m[4].trim() };
  for (const token of m[1].split(/\s+/).filter(Boolean)) {
    if (!token.includes('/')) {
      step.stage = token;
      continue;
    }
    const [ran, target] = token.split('->');
    step.platform = platformId(ran);
    // `->arm64` keeps the OS of the platform it ran as; `->windows/amd64` names its own.
    const os = step.platform.split('/')[0];
    step.target = target ? platformId(OSES.test(target) ? target : `${os}/${target}`) : step.platform;
  }
  return step;
}

const OSES =
  /^(linux|windows|darwin|freebsd|netbsd|openbsd|dragonfly|solaris|illumos|aix|android|ios|plan9|js|wasip1)\//;

/** One stage of a Dockerfile: where its FROM is, its platform, and the steps BuildKit numbers. */
export interface DockerfileStage {
  /** The stage's name (`AS build`, lower-cased), or `stage-N` by its 0-based position. */
  name: string;
  fromLine: number;
  /** `--platform` of its FROM, or of the stage it builds on (`FROM base`): '' for none. */
  platformFlag: string;
  /** The steps BuildKit counts (`[i/n]`): FROM of an image, then RUN, COPY, ADD, WORKDIR. */
  steps: Array<{ line: number; keyword: string }>;
}

const COUNTED = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

/** The instructions of a Dockerfile with their first line: continuations joined, comments and heredoc bodies skipped. */
function instructions(text: string): Array<{ line: number; text: string }> {
  const lines = text.split(/\r?\n/);
  const out: Array<{ line: number; text: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i].trim();
    if (!first || first.startsWith('#')) continue;
    const start = i;
    let joined = first;
    while (joined.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i].trim();
      joined = `${joined.slice(0, -1)} ${next.startsWith('#') ? '' : next}`;
    }
    // Heredocs (`RUN <<EOF` … `EOF`): their bodies are not instructions.
    for (const m of joined.matchAll(/<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g)) {
      const end = m[3];
      while (i + 1 < lines.length && (m[1] ? lines[i + 1].trim() : lines[i + 1]) !== end) i++;
      i++;
    }
    out.push({ line: start + 1, text: joined.replace(/\s+/g, ' ') });
  }
  return out;
}

/** The stages of a Dockerfile, as BuildKit's Dockerfile frontend numbers their steps. */
export function parseDockerfile(text: string): DockerfileStage[] {
  const stages: DockerfileStage[] = [];
  for (const { line, text: instruction } of instructions(text)) {
    const keyword = instruction.split(' ')[0].toUpperCase();
    if (keyword === 'FROM') {
      const words = instruction.split(' ').slice(1);
      const flag = words.find((w) => /^--platform=/i.test(w))?.slice('--platform='.length) ?? '';
      const rest = words.filter((w) => !w.startsWith('--'));
      const base = (rest[0] ?? '').toLowerCase();
      const name = rest[1]?.toLowerCase() === 'as' && rest[2] ? rest[2].toLowerCase() : `stage-${stages.length}`;
      const parent = stages.find((s) => s.name === base);
      const steps = base === 'scratch' || parent ? [] : [{ line, keyword: 'FROM' }];
      stages.push({ name, fromLine: line, platformFlag: flag || parent?.platformFlag || '', steps });
    } else if (COUNTED.has(keyword) && stages.length > 0) {
      stages[stages.length - 1].steps.push({ line, keyword });
    }
  }
  return stages;
}

/** Where a step's vertex comes from in the Dockerfile: its stage and line, when they can be told. */
function locate(stages: DockerfileStage[], step: StepName): { stage?: DockerfileStage; line?: number } {
  const wanted = step.stage?.toLowerCase();
  const stage = wanted ? stages.find((s) => s.name === wanted) : stages.length === 1 ? stages[0] : undefined;
  if (!stage) return {};
  // BuildKit counts the same steps; if the totals differ, the line is not guessed.
  if (stage.steps.length !== step.total) return { stage };
  const found = stage.steps[step.index - 1];
  const keyword = step.command.split(' ')[0].toUpperCase();
  return { stage, line: found && found.keyword === keyword ? found.line : undefined };
}

function buildsOnBuildPlatform(flag: string): boolean {
  return /BUILDPLATFORM/.test(flag);
}

/** One Dockerfile step of one platform, timed from the start of the build. */
export interface ReportStep {
  /** The platform being built (the chart's section). */
  platform: string;
  /** What the step ran as: the build platform for a `--platform=$BUILDPLATFORM` stage. */
  ranAs: string;
  stage?: string;
  /** The Dockerfile and the step's first line in it, when they can be told. */
  file: string;
  line?: number;
  command: string;
  /** ms from the build's start. */
  start: number;
  end: number;
  cached: boolean;
  /** A RUN executed as a platform its node does not run natively: under QEMU. */
  emulated: boolean;
  /** Emulated, in a stage whose FROM has no `--platform=$BUILDPLATFORM`: the line of that FROM. */
  fromLine?: number;
  crossCompilable: boolean;
}

export interface EmulationReport {
  /** From the first step's start to the last one's end, every vertex of every build counted. */
  wallMs: number;
  platforms: string[];
  steps: ReportStep[];
}

/** A report and where the job summary's hint links to (the README at the running action's version). */
export interface EmulationSummary {
  report: EmulationReport;
  readmeUrl?: string;
}

/** One build record: its status stream, its Dockerfile, and what it built where. */
export interface ReportInput {
  vertices: Vertex[];
  /** The Dockerfile's text, when it could be read; its name for the table (`Dockerfile`). */
  dockerfile?: string;
  file?: string;
  /** The platforms this build made. */
  platforms: string[];
  /** The platforms the node that ran it runs natively. */
  native: string[];
}

/** The steps of one or more builds (one per platform, with nodes) on one time line. */
export function emulationReport(builds: ReportInput[]): EmulationReport {
  const all = builds.flatMap((b) => b.vertices);
  const starts = all.map((v) => v.started).filter((t): t is number => t !== undefined);
  const ends = all.map((v) => v.completed ?? v.started).filter((t): t is number => t !== undefined);
  const origin = starts.length ? Math.min(...starts) : 0;
  const wallMs = ends.length ? Math.max(...ends) - origin : 0;
  const steps: ReportStep[] = [];
  for (const build of builds) {
    const stages = build.dockerfile ? parseDockerfile(build.dockerfile) : [];
    for (const v of build.vertices) {
      const name = parseStepName(v.name);
      if (!name || v.started === undefined) continue;
      const { stage, line } = locate(stages, name);
      const platform = name.target ?? build.platforms[0] ?? '';
      const keyword = name.command.split(' ')[0].toUpperCase();
      let ranAs = name.platform ?? platform;
      const flag = stage?.platformFlag ?? '';
      if (!name.platform && flag && !flag.includes('$')) ranAs = platformId(flag);
      // One platform per build: BuildKit names no platform, so the stage's FROM says what it ran as.
      const onBuildPlatform = !name.platform && buildsOnBuildPlatform(flag);
      if (onBuildPlatform) ranAs = build.native[0] ?? 'the build platform';
      const native = onBuildPlatform || build.native.includes(ranAs);
      const emulated = keyword === 'RUN' && !v.cached && !native;
      // Only a stage found in the Dockerfile can be said to lack the flag.
      const crossCompilable = emulated && stage !== undefined && !buildsOnBuildPlatform(flag);
      steps.push({
        platform,
        ranAs,
        ...(stage ? { stage: stage.name } : {}),
        file: build.file ?? 'Dockerfile',
        ...(line !== undefined ? { line } : {}),
        command: name.command,
        start: v.started - origin,
        end: (v.completed ?? v.started) - origin,
        cached: v.cached,
        emulated,
        ...(crossCompilable && stage ? { fromLine: stage.fromLine } : {}),
        crossCompilable
      });
    }
  }
  steps.sort((a, b) => a.platform.localeCompare(b.platform) || a.start - b.start || (a.line ?? 0) - (b.line ?? 0));
  const platforms = [...new Set([...builds.flatMap((b) => b.platforms), ...steps.map((s) => s.platform)])];
  return { wallMs, platforms, steps };
}

// ---------------------------------------------------------------------------------------------
// Rendering
