import os from 'node:os';
import path from 'node:path';
import type { BuilderStep, BuildStep, BuildxStep, QemuStep } from '../plan/steps.js';
import { nativePlatform } from '../plan/platforms.js';
import { setupQemu } from '../tools/qemu.js';
import { findBuildx, type BuildxBin } from '../tools/buildx/find.js';
import type { Buildx } from '../tools/buildx/handle.js';
import { bootstrapBuilder, createBuilder, type BuilderInfo } from '../tools/buildx/builder.js';
import { build } from '../tools/buildx/build.js';
import { cacheReport } from '../tools/buildx/cache-report.js';
import { ExecError } from '../tools/exec.js';
import { describeBuildFailure } from '../tools/buildx/errors.js';
import { BuildFailed } from './failure.js';
import type { Session } from './session.js';
import { bootstrapNodes, isRemote, liveNodes } from './nodes.js';
import { deadEndpoint } from '../tools/buildx/endpoint.js';
import { InputError } from '../plan/errors.js';

/** Registers the QEMU handlers the step names that the kernel does not have yet. */
export async function runQemu(session: Session, step: QemuStep, retries: number): Promise<void> {
  const result = await setupQemu({
    mode: step.mode,
    platforms: step.platforms,
    native: nativePlatform(),
    binfmtImage: step.image,
    run: session.runner,
    log: session.log,
    retries
  });
  if (result.skipped) session.log.info(`no QEMU set-up: ${result.skipped}`);
}

/** The installed buildx, or the asked-for release, verified and cached. */
export async function runBuildx(session: Session, step: BuildxStep, retries: number): Promise<BuildxBin> {
  // The installer (tool cache, Actions cache) is loaded only when a version is asked for: it is
  // most of the bundle, and the action starts faster without it.
  const found = step.version
    ? await (
        await import('../tools/buildx/install.js')
      ).installBuildx({
        version: step.version,
        base: step.mirror,
        run: session.runner,
        log: session.log,
        retries,
        // Staged where the Actions cache restores it on every run: under the session's RUNNER_TEMP.
        workDir: path.join(session.env.RUNNER_TEMP || os.tmpdir(), 'buildx-install')
      })
    : await findBuildx(session.runner, session.env);
  session.log.info(`buildx ${found.version} (${[found.command, ...found.prefix].join(' ')})`);
  return found;
}

/** Creates the builder (calling `created` at once, for clean-up), bootstraps it, says what it offers. */
export async function runBuilder(
  bx: Buildx,
  step: BuilderStep,
  platforms: string[],
  created: () => void
): Promise<BuilderInfo> {
  const endpoint = remoteEndpoint(step);
  if (endpoint) {
    // Nothing listening is not transient: say so now, not after every bootstrap attempt's 20 s.
    const dead = await deadEndpoint(endpoint);
    if (dead) throw new InputError('endpoint', endpoint, `a BuildKit endpoint that answers: ${dead}`);
  }
  const { create, append, dead } = step.nodes ? await liveNodes(step) : { create: step.create, append: [], dead: [] };
  for (const d of dead)
    bx.log.warning(
      `node ${d.name} (${d.endpoint}): ${d.why}; left out of the builder: ${d.platforms.join(', ')} ${d.platforms.length === 1 ? 'fails (or falls back)' : 'fail (or fall back)'} without waiting for it`
    );
  if (create) {
    await createBuilder(bx, create, step.name);
    created();
    for (const argv of append) await createBuilder(bx, argv, step.name);
  }
  const info = step.nodes
    ? await bootstrapNodes(bx, step, dead)
    : await bootstrapBuilder(bx, step.name, endpoint ? `endpoint ${endpoint}` : undefined);
  bx.log.info(`builder ${info.name}: driver ${info.driver}, BuildKit ${info.buildkitVersion}`);
  bx.log.info(`platforms: ${info.platforms.join(', ') || '(none listed)'}`);
  const missing = platforms.filter((p) => info.platforms.length > 0 && !info.platforms.includes(p));
  if (missing.length > 0) {
    bx.log.warning(`builder ${info.name} does not list ${missing.join(', ')}; the build may fail for them`);
  }
  return info;
}

/** The endpoint of a one-node builder of the remote driver this run creates. */
function remoteEndpoint(step: BuilderStep): string | undefined {
  if (step.nodes || !step.create || !isRemote(step.create)) return undefined;
  const last = step.create[step.create.length - 1];
  return /^(unix|tcp):\/\//.test(last) ? last : undefined;
}

export interface Built {
  metadata: Record<string, unknown>;
  digest: string;
  /** `image@digest` of the by-digest push: what the tags will point at. */
  source?: string;
}

/** The one build of every platform; a cache that could not be used is a warning, never a failure. */
export async function runBuild(bx: Buildx, step: BuildStep, cacheRefs: string[]): Promise<Built> {
  const { metadata, output } = await build(bx, step.argv, step.metadataFile, bx.stallMs ?? 0).catch((error: unknown) =>
    Promise.reject(buildFailed(error, step))
  );
  // A cache only ever makes a build faster: what failed in it is said, per platform, and the build goes on.
  const report = cacheReport(output, { platforms: step.platforms.map((p) => p.id), refs: cacheRefs });
  for (const line of report.infos) bx.log.info(line);
  for (const line of report.warnings) bx.log.warning(line);
  const digest = String(metadata['containerimage.digest'] ?? '');
  if (!step.pushTo) return { metadata, digest };
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
    const keys = Object.keys(metadata).join(', ') || 'empty';
    throw new Error(`the build finished but buildx reported no image digest in its metadata (${keys})`);
  }
  return { metadata, digest, source: `${step.pushTo}@${digest}` };
}

/** A failed build, described by its output; the platform named even when only one was built. */
function buildFailed(error: unknown, step: BuildStep): unknown {
  if (!(error instanceof ExecError)) return error;
  const described = describeBuildFailure(`${error.result.stdout}\n${error.result.stderr}`);
  if (!described) return error;
  const only = step.platforms.length === 1 ? step.platforms[0].id : undefined;
  const platform = described.platform ?? only;
  const headline = described.platform || !platform ? described.headline : `${platform}: ${described.headline}`;
  return new BuildFailed(error, { ...described, platform, headline });
}
