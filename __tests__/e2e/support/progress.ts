/**
 * Parses buildx's `--progress plain` log into the Dockerfile steps of each platform and how each
 * ended. A step's header (`#7 [linux/arm64 2/6] RUN uname -m`) and its outcome (`#7 CACHED`,
 * `#7 DONE 0.3s`, `#7 ERROR: …`) share the vertex number; headers repeat when output from
 * several steps interleaves (`#7 ...` marks the switch away).
 *
 * A cache hit from a registry cache is not always printed as CACHED: when a later step needs
 * the hit's layers at once, BuildKit fetches and extracts them under the same vertex, and the
 * CACHED update can be overwritten by that load's own start and DONE before the printer sees
 * it. Such a step shows only blob transfers (`#7 sha256:… 121B / 121B 0.0s done`) and
 * `#7 extracting sha256:…` before DONE; a step that ran shows neither, its parents' layers being
 * fetched under the parents' vertices. The parser calls it LOADED: a hit, but say so.
 */

export type StepStatus = 'CACHED' | 'LOADED' | 'DONE' | 'ERROR' | 'CANCELED' | 'unfinished';

export interface BuildStep {
  vertex: number;
  /** '' for a single-platform build, whose headers carry no platform. */
  platform: string;
  index: number;
  total: number;
  instruction: string;
  status: StepStatus;
}

const HEADER = /^#(\d+) \[(?:(\S+) )?(\d+)\/(\d+)\] (.+)$/;
const OUTCOME = /^#(\d+) (CACHED|DONE|ERROR|CANCELED)\b/;
const CACHE_LOAD = /^#(\d+) (?:sha256:[0-9a-f]{64} .* done$|extracting sha256:[0-9a-f]{64}\b)/;

/** Whether a step's result came from a cache rather than from running it. */
export function fromCache(step: BuildStep): boolean {
  return step.status === 'CACHED' || step.status === 'LOADED';
}

export function parseSteps(log: string): BuildStep[] {
  const steps = new Map<number, BuildStep>();
  const cached = new Set<number>();
  const loaded = new Set<number>();
  const outcomes = new Map<number, StepStatus>();
  for (const raw of log.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const header = HEADER.exec(line);
    if (header) {
      const vertex = Number(header[1]);
      if (!steps.has(vertex))
        steps.set(vertex, {
          vertex,
          platform: header[2] ?? '',
          index: Number(header[3]),
          total: Number(header[4]),
          instruction: header[5],
          status: 'unfinished'
        });
      continue;
    }
    const outcome = OUTCOME.exec(line);
    if (outcome) {
      const vertex = Number(outcome[1]);
      if (outcome[2] === 'CACHED') cached.add(vertex);
      // A CACHED step whose layers are fetched later ends with DONE too: the last outcome wins,
      // except that an error or cancellation is never masked.
      if (outcomes.get(vertex) !== 'ERROR') outcomes.set(vertex, outcome[2] as StepStatus);
      continue;
    }
    const load = CACHE_LOAD.exec(line);
    if (load) loaded.add(Number(load[1]));
  }
  return [...steps.values()]
    .map((s): BuildStep => {
      const outcome = outcomes.get(s.vertex);
      let status: StepStatus = outcome ?? 'unfinished';
      if (outcome === 'CACHED' || (outcome === 'DONE' && cached.has(s.vertex))) status = 'CACHED';
      else if (outcome === 'DONE' && loaded.has(s.vertex)) status = 'LOADED';
      return { ...s, status };
    })
    .sort((a, b) => a.platform.localeCompare(b.platform) || a.index - b.index);
}

/** One platform's steps in Dockerfile order; throws if the log shows none, so a changed log format fails loudly. */
export function stepsOf(steps: BuildStep[], platform: string): BuildStep[] {
  const mine = steps.filter((s) => s.platform === platform);
  if (mine.length === 0)
    throw new Error(
      `the build log shows no steps for ${platform} (platforms seen: ${[...new Set(steps.map((s) => s.platform))].join(', ') || 'none'})`
    );
  return mine;
}

/** `platform index/total status instruction`, one a line: what a failed expectation prints. */
export function describeSteps(steps: BuildStep[]): string[] {
  return steps.map((s) => `${s.platform} ${s.index}/${s.total} ${s.status} ${s.instruction}`);
}
