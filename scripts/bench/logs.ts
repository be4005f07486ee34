/** Reading what a build printed: the action's log groups, its job summary, BuildKit's plain progress. */
import type { Line, Ran } from './process.js';

/** The `### Time` table of the job summary: phase → ms (as the action rounds them, 0.1 s). */
export function summaryPhases(summary: string): Record<string, number> {
  const out: Record<string, number> = {};
  const at = summary.indexOf('### Time');
  if (at < 0) return out;
  for (const line of summary.slice(at).split('\n')) {
    const m = /^\| (.+?) \| (\d+(?:\.\d+)?) \|$/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * 1000;
  }
  return out;
}

/**
 * The action's log groups (`::group::NAME` … `::endgroup::`) timed by when their lines reached
 * the bench: ms resolution where the summary has 0.1 s. Also the start-up (spawn to the first
 * group) and the tail (last group's end to exit).
 */
export function groupTimes(result: Pick<Ran, 'lines' | 'ms'>): Record<string, number> {
  const out: Record<string, number> = {};
  let open: { name: string; t: number } | null = null;
  let first: number | null = null;
  let last: number | null = null;
  for (const { t, text } of result.lines) {
    const g = /^::group::(.*)$/.exec(text);
    if (g) {
      open = { name: g[1], t };
      first ??= t;
    } else if (text === '::endgroup::' && open) {
      out[open.name] = t - open.t;
      last = t;
      open = null;
    }
  }
  if (first !== null) out['(start-up: spawn to the first phase)'] = first;
  if (last !== null) out['(after the last phase, to exit)'] = result.ms - last;
  return out;
}

/** The lines inside `::group::NAME` (the first such group). */
export function groupText(lines: Line[], name: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const { text } of lines) {
    if (text === `::group::${name}`) inside = true;
    else if (text === '::endgroup::') inside = false;
    else if (inside) out.push(text);
  }
  return out;
}

export interface CachedSteps {
  total: number;
  cached: number;
  /** Marked `CACHED` by BuildKit (the others only pulled their layers from the cache). */
  marked: number;
}

/**
 * Dockerfile steps of a plain-progress log (`#N [linux/arm64 2/6] RUN …`, `#N [linux/arm64 build
 * 2/3] …` in a named stage, or `#N [2/6] …` for one platform) and how many came from the cache:
 * marked `#N CACHED`, or (BuildKit does not always print CACHED for them) a non-FROM step whose
 * only work was pulling its layers (`#N sha256:… done`, `#N extracting sha256:…`).
 */
export function cachedSteps(lines: Array<Pick<Line, 'text'>>): CachedSteps {
  const steps = new Map<string, { name: string; from: boolean }>();
  const marked = new Set<string>();
  const pulled = new Set<string>();
  for (const { text } of lines) {
    const step = /^#(\d+) \[((?:\S+ ){0,2}\d+\/\d+)\] (\S+)/.exec(text);
    if (step && !steps.has(step[1])) steps.set(step[1], { name: step[2], from: step[3] === 'FROM' });
    const c = /^#(\d+) CACHED\s*$/.exec(text);
    if (c) marked.add(c[1]);
    const p = /^#(\d+) (?:extracting )?sha256:[0-9a-f]{64}/.exec(text);
    if (p) pulled.add(p[1]);
  }
  const count = (test: (n: string, s: { name: string; from: boolean }) => boolean): number =>
    new Set([...steps].filter(([n, s]) => test(n, s)).map(([, s]) => s.name)).size;
  return {
    total: new Set([...steps.values()].map((s) => s.name)).size,
    cached: count((n, s) => marked.has(n) || (!s.from && pulled.has(n))),
    marked: count((n) => marked.has(n))
  };
}

/** Per platform (`#N [linux/386 2/4] …`): steps other than FROM, and how many came from the cache. */
export function perPlatformCached(lines: Array<Pick<Line, 'text'>>): Record<string, { cached: number; total: number }> {
  const by: Record<string, { cached: number; total: number }> = {};
  const hit = new Set<string>();
  const steps = new Map<string, { platform: string; from: boolean }>();
  for (const { text } of lines) {
    const m = /^#(\d+) \[(\S+) (\d+)\/(\d+)\] (\S+)/.exec(text);
    if (m && !steps.has(m[1])) steps.set(m[1], { platform: m[2], from: m[5] === 'FROM' });
    // CACHED, or (BuildKit does not always print it) a step whose only work was pulling its layers.
    const c = /^#(\d+) (?:CACHED\s*$|(?:extracting )?sha256:[0-9a-f]{64})/.exec(text);
    if (c) hit.add(c[1]);
  }
  for (const [n, st] of steps) {
    if (st.from) continue;
    by[st.platform] ??= { cached: 0, total: 0 };
    by[st.platform].total++;
    if (hit.has(n)) by[st.platform].cached++;
  }
  return by;
}

/**
 * perPlatformCached of a `nodes` run: the action prints each platform's build as its own group
 * (`::group::Build linux/386 on node …`), whose steps carry no platform and whose vertex numbers
 * start again at 1, so each group is counted on its own.
 */
export function nodeGroupsCached(lines: Line[]): Record<string, { cached: number; total: number } | undefined> {
  const groups: Record<string, Array<{ text: string }>> = {};
  let platform: string | null = null;
  for (const { text } of lines) {
    const g = /^::group::Build (\S+) on node/.exec(text);
    if (g) platform = g[1];
    else if (text === '::endgroup::') platform = null;
    else if (platform)
      (groups[platform] ??= []).push({ text: text.replace(/^#(\d+) \[(\d+\/\d+)\]/, `#$1 [${platform} $2]`) });
  }
  return Object.fromEntries(Object.entries(groups).map(([p, ls]) => [p, perPlatformCached(ls)[p]]));
}

/**
 * Seconds BuildKit reports for the vertices whose name matches (`#N NAME`, then `#N DONE 1.2s`):
 * the sum when several match (one per platform), NaN when none finished.
 */
export function vertexSeconds(lines: Array<Pick<Line, 'text'>>, name: RegExp): number {
  const ids = new Set<string>();
  const done = new Map<string, number>();
  for (const { text } of lines) {
    const start = /^#(\d+) (.*)$/.exec(text);
    if (start && name.test(start[2])) ids.add(start[1]);
    const d = /^#(\d+) DONE (\d+(?:\.\d+)?)s/.exec(text);
    if (d && ids.has(d[1])) done.set(d[1], Number(d[2]));
  }
  return done.size ? [...done.values()].reduce((a, b) => a + b, 0) : NaN;
}
