import { InputError } from './errors.js';
import { parsePlatforms, runsNatively, type Platform } from './platforms.js';

/*
 * `mode: matrix`: the matrix a workflow's legs run on, one runner per platform, from `platforms`
 * and `runners`. GitHub-hosted runners exist natively for amd64 and arm64; any other platform
 * runs on the amd64 runner under QEMU unless a `runners` line names a machine of its own.
 */

/** GitHub-hosted runners by platform. */
export const DEFAULT_RUNNERS: Readonly<Record<string, string>> = {
  'linux/amd64': 'ubuntu-24.04',
  'linux/arm64': 'ubuntu-24.04-arm'
};

/** Where a platform with no runner of its own is built, under QEMU. */
export const FALLBACK_RUNNER = 'ubuntu-24.04';
const FALLBACK_PLATFORM: Platform = { os: 'linux', arch: 'amd64', id: 'linux/amd64' };

/** A `runs-on` value: one label, or a list of labels a self-hosted runner must all carry. */
export type RunsOn = string | string[];

export interface MatrixLeg {
  platform: string;
  runner: RunsOn;
}

export interface RunnerMatrix {
  /** The workflow's `strategy.matrix`: `{"include":[{"platform":…,"runner":…},…]}`. */
  matrix: { include: MatrixLeg[] };
  /** Platforms on the fallback runner that are not its own: built under QEMU there. */
  emulated: string[];
  /** Where each runner came from, for the log and the summary. */
  sources: Record<string, 'runners' | 'default' | 'fallback'>;
}

const ACCEPTED =
  'one PLATFORM=RUNNER a line (linux/s390x=ubuntu-24.04-s390x), or PLATFORM=LABEL,LABEL,… for a runner that must carry every label (linux/riscv64=self-hosted,riscv64)';

/** `runners` lines → platform id → its labels. A platform given twice is refused, as is a line with no runner. */
export function parseRunners(lines: string[]): Map<string, string[]> {
  const runners = new Map<string, string[]>();
  for (const line of lines) {
    const eq = line.indexOf('=');
    const labels = (eq < 0 ? '' : line.slice(eq + 1))
      .split(',')
      .map((label) => label.trim())
      .filter((label) => label !== '');
    if (eq < 0 || labels.length === 0) throw new InputError('runners', line, ACCEPTED);
    const bad = labels.find((label) => /\s|["'`]/.test(label));
    if (bad !== undefined) throw new InputError('runners', line, `${ACCEPTED}; a label has no spaces or quotes`);
    const [platform] = parsePlatforms([line.slice(0, eq).trim()], 'runners');
    if (runners.has(platform.id))
      throw new InputError('runners', line, `${ACCEPTED}, each platform once (${platform.id} is given twice)`);
    runners.set(platform.id, labels);
  }
  return runners;
}

/**
 * One leg per platform, in `platforms`' order: the user's runner for it, else the default
 * map's, else the fallback runner (under QEMU unless the fallback runs the platform natively,
 * as amd64 runs 386). A `runners` line for a platform not in `platforms` is left out.
 */
export function runnerMatrix(platforms: Platform[], runners: Map<string, string[]>): RunnerMatrix {
  const include: MatrixLeg[] = [];
  const emulated: string[] = [];
  const sources: RunnerMatrix['sources'] = {};
  for (const platform of platforms) {
    const given = runners.get(platform.id);
    if (given) {
      include.push({ platform: platform.id, runner: given.length === 1 ? given[0] : given });
      sources[platform.id] = 'runners';
    } else if (DEFAULT_RUNNERS[platform.id]) {
      include.push({ platform: platform.id, runner: DEFAULT_RUNNERS[platform.id] });
      sources[platform.id] = 'default';
    } else {
      include.push({ platform: platform.id, runner: FALLBACK_RUNNER });
      sources[platform.id] = 'fallback';
      if (!runsNatively(platform, FALLBACK_PLATFORM)) emulated.push(platform.id);
    }
  }
  return { matrix: { include }, emulated, sources };
}

/** One line a leg, for the log and the summary: `linux/riscv64 → ubuntu-24.04 (no native runner: QEMU)`. */
export function matrixLines(result: RunnerMatrix): string[] {
  return result.matrix.include.map(({ platform, runner }) => {
    const shown = Array.isArray(runner) ? `[${runner.join(', ')}]` : runner;
    const why =
      result.sources[platform] === 'runners'
        ? 'from runners'
        : result.sources[platform] === 'default'
          ? 'native'
          : result.emulated.includes(platform)
            ? 'no native runner: built under QEMU'
            : 'no runner of its own: runs natively there';
    return `${platform} → ${shown} (${why})`;
  });
}
