/**
 * The emulation report of a run: each finished build's status stream, replayed from BuildKit's
 * history record (`buildx history logs --progress rawjson`), read beside its Dockerfile. A report
 * that cannot be made is a line in the log, never a failure.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Log } from '../ports.js';
import type { Plan } from '../plan/plan.js';
import { nativePlatform } from '../plan/platforms.js';
import type { BuildsStep, BuildStep } from '../plan/steps.js';
import {
  CROSS_COMPILE_ANCHOR,
  emulationReport,
  parseStatusStream,
  type EmulationSummary,
  type ReportInput
} from '../plan/emulation.js';
import { emulationLines } from '../plan/emulation-text.js';
import { runBuildx, type Buildx } from '../tools/buildx/handle.js';
import { errorText } from '../text.js';
import type { Placement } from './builds.js';

/** One finished build: its buildx metadata (naming its history record), what it built, what its node runs natively. */
export interface FinishedBuild {
  metadata: Record<string, unknown>;
  platforms: string[];
  native: string[];
}

/** The one build of every platform: native are the platforms the plan does not emulate, and the runner's own. */
export function oneBuild(plan: Plan, step: BuildStep, metadata: Record<string, unknown>): FinishedBuild[] {
  const emulated = new Set(plan.emulated.map((p) => p.id));
  const native = [nativePlatform().id, ...plan.platforms.map((p) => p.id).filter((id) => !emulated.has(id))];
  return [{ metadata, platforms: step.platforms.map((p) => p.id), native: [...new Set(native)] }];
}

/** One build per platform: each on its node, native there unless it ran emulated (a node-fallback). */
export function perPlatform(
  step: BuildsStep,
  metadata: Record<string, unknown>,
  placements: Placement[]
): FinishedBuild[] {
  return step.builds.map((b, i) => ({
    metadata: (metadata[b.platform.id] ?? {}) as Record<string, unknown>,
    platforms: [b.platform.id],
    native: placements[i]?.emulated ? [] : [b.platform.id]
  }));
}

/** `builder/node/ref` from the metadata file: the record's builder and id. */
function recordOf(metadata: Record<string, unknown>): { builder: string; ref: string } | undefined {
  const parts = String(metadata['buildx.build.ref'] ?? '').split('/');
  return parts.length === 3 && parts[0] && parts[2] ? { builder: parts[0], ref: parts[2] } : undefined;
}

/** The Dockerfile's text, read from the workspace; undefined for a remote context or an unreadable file. */
async function readDockerfile(cwd: string, context: string, file: string): Promise<string | undefined> {
  if (/^[a-z]+:\/\/|^git@/i.test(context) || file === '-') return undefined;
  const at = path.resolve(cwd, file || path.join(context || '.', 'Dockerfile'));
  return readFile(at, 'utf8').catch(() => undefined);
}

/**
 * Reads every build's history record and makes one report of those it could read; `undefined`
 * (said in the log) when it could read none: a builder that keeps no history, a buildx without
 * `history`, a builder with a node that does not answer (buildx asks every node).
 */
export async function readEmulation(
  bx: Buildx,
  builds: FinishedBuild[],
  dockerfile: { context: string; file: string },
  env: NodeJS.ProcessEnv
): Promise<EmulationSummary | undefined> {
  const text = await readDockerfile(bx.cwd ?? process.cwd(), dockerfile.context, dockerfile.file);
  const file = path.basename(dockerfile.file || 'Dockerfile');
  const inputs: ReportInput[] = [];
  const missed: string[] = [];
  for (const b of builds) {
    try {
      const record = recordOf(b.metadata);
      if (!record) throw new Error('buildx named no build record in its metadata (buildx.build.ref)');
      const result = await runBuildx(
        bx,
        ['history', 'logs', '--builder', record.builder, '--progress', 'rawjson', record.ref],
        { quiet: true }
      );
      const vertices = parseStatusStream(`${result.stdout}\n${result.stderr}`);
      inputs.push({ vertices, dockerfile: text, file, platforms: b.platforms, native: b.native });
    } catch (error) {
      // The command's first line, then the first thing it printed: the reason.
      const reason = errorText(error)
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .slice(0, 2)
        .join(' ');
      missed.push(`${b.platforms.join(', ')}: ${reason}`);
    }
  }
  if (inputs.length === 0) {
    bx.log.info(`no emulation report: ${missed[0] ?? 'no build'}`);
    return undefined;
  }
  for (const m of missed) bx.log.info(`emulation report without ${m}`);
  return { report: emulationReport(inputs), readmeUrl: readmeUrl(env) };
}

/** The README section on cross-compiling, at the version of the action that runs (on GitHub). */
function readmeUrl(env: NodeJS.ProcessEnv): string | undefined {
  const repo = env.GITHUB_ACTION_REPOSITORY;
  if (!repo) return undefined;
  const server = env.GITHUB_SERVER_URL || 'https://github.com';
  return `${server}/${repo}/blob/${env.GITHUB_ACTION_REF || 'HEAD'}/README.md#${CROSS_COMPILE_ANCHOR}`;
}

/** The report in the log, as the command line prints it too. */
export function logEmulation(log: Log, emulation: EmulationSummary | undefined): void {
  if (emulation && emulation.report.steps.length > 0)
    for (const line of emulationLines(emulation.report)) log.info(line);
}
