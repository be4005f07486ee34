import type { Log } from '../ports.js';
import type { BuildsStep, BuildStep, PlatformBuild } from '../plan/steps.js';
import type { Buildx } from '../tools/buildx/handle.js';
import { createBuilder, inspectBuilder, removeBuilder, type BuilderInfo } from '../tools/buildx/builder.js';
import { nodeInfo, UNREACHABLE } from './nodes.js';
import { createRunner } from '../tools/exec.js';
import { BuildFailed } from './failure.js';
import { runBuild, type Built } from './build.js';
import type { Session } from './session.js';
import { firstLine } from '../text.js';

/** Where a platform was built in the end, for the log, the summary and the outputs. */
export interface Placement {
  platform: string;
  node: string;
  endpoint: string;
  buildkitVersion: string;
  emulated: boolean;
  /** node-fallback: the node whose failure sent the platform here. */
  fellBackFrom?: string;
}

export interface BuiltAll {
  built: Built;
  sources: string[];
  placements: Placement[];
}

/**
 * Runs every platform's build at once. Each build's output is kept apart and printed as its own
 * log group when it ends (groups cannot interleave). Every build runs to its end; then, if any
 * failed (after its retries and any fallback), the step fails naming each failed platform, its
 * node and endpoint, and nothing is published.
 */
export async function runBuilds(
  session: Session,
  bx: Buildx,
  step: BuildsStep,
  builder: BuilderInfo,
  fallbackCreated: (name: string) => void
): Promise<BuiltAll> {
  session.current = `Build ${step.builds.map((b) => b.platform.id).join(', ')}`;
  for (const b of step.builds) session.log.info(`${b.platform.id}: ${placeText(b, builder)}`);
  const started = Date.now();
  const results = await Promise.allSettled(step.builds.map((b) => buildOne(session, bx, b, builder, fallbackCreated)));
  session.timings.push([`Build (${step.builds.length} concurrently)`, (Date.now() - started) / 1000]);
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ b: step.builds[i], error: r.reason }] : []));
  if (failed.length > 0) {
    const first = failed[0].error;
    const lines = failed.map(({ b, error }) => {
      const text = firstLine(error);
      if (b.node && text.startsWith(`node ${b.node} `)) return text;
      return `${b.platform.id} ${whereText(b)}: ${withoutPlatform(text, b)}`;
    });
    const message = `${lines.join('\n')}\nNothing was published: every platform must be built before a tag moves.`;
    // A build step's own failure keeps its Dockerfile location for the annotation.
    if (failed.length === 1 && first instanceof BuildFailed)
      throw new BuildFailed(first.exec, { ...first.described, headline: lines[0] });
    throw new Error(message);
  }
  const done = results.map((r) => (r as PromiseFulfilledResult<{ built: Built; placement: Placement }>).value);
  return {
    built: {
      metadata: Object.fromEntries(done.map((d, i) => [step.builds[i].platform.id, d.built.metadata])),
      digest: ''
    },
    sources: done.map((d) => d.built.source ?? '').filter(Boolean),
    placements: done.map((d) => d.placement)
  };
}

/** One platform: on its node; if that fails for a reason other than the Dockerfile, on its fallback. */
async function buildOne(
  session: Session,
  bx: Buildx,
  b: PlatformBuild,
  builder: BuilderInfo,
  fallbackCreated: (name: string) => void
): Promise<{ built: Built; placement: Placement }> {
  const title = `Build ${b.platform.id}${b.node ? ` on node ${b.node}` : ''}`;
  const own = bufferedLog(session.log);
  const started = Date.now();
  const placement: Placement = {
    platform: b.platform.id,
    node: b.node,
    endpoint: b.endpoint,
    buildkitVersion: nodeInfo(builder, b.node)?.buildkitVersion ?? builder.buildkitVersion,
    emulated: b.emulated
  };
  try {
    const built = await buildOn({ ...bx, log: own.log, run: runnerOf(session, own.log) }, b, builder);
    return { built, placement };
  } catch (error) {
    const f = b.fallback;
    if (!f || error instanceof BuildFailed) {
      own.log.info(`failed: ${firstLine(nodeFailure(error, b))}`);
      throw nodeFailure(error, b);
    }
    own.log.warning(
      `${b.platform.id} ${whereText(b)} failed (${firstLine(error)}); building it under QEMU on node ${f.node} instead`
    );
    const fbx = { ...bx, log: own.log, run: runnerOf(session, own.log) };
    try {
      await createBuilder(fbx, f.create, f.builder);
      fallbackCreated(f.builder);
      const step: BuildStep = {
        kind: 'build',
        argv: f.argv,
        metadataFile: f.metadataFile,
        platforms: [b.platform],
        pushTo: b.pushTo
      };
      const built = await runBuild(fbx, step, b.cacheRefs);
      const info = await inspectBuilder(fbx, f.builder).catch(() => undefined);
      return {
        built,
        placement: {
          ...placement,
          node: f.node,
          endpoint: f.endpoint,
          buildkitVersion: info?.nodes?.[0]?.buildkitVersion ?? placement.buildkitVersion,
          emulated: true,
          fellBackFrom: b.node
        }
      };
    } catch (fallbackError) {
      throw new Error(
        `${firstLine(nodeFailure(error, b))}; the fallback under QEMU on node ${f.node} (${f.endpoint}) failed too: ${withoutPlatform(firstLine(fallbackError), b)}`
      );
    } finally {
      await removeBuilder(fbx, f.builder).catch((e: Error) => own.log.warning(e.message));
    }
  } finally {
    await session.log.group(title, async () => own.flush());
    session.timings.push([title, (Date.now() - started) / 1000]);
  }
}

/** A node known not to be running fails at once: its bootstrap (with its retries) already said so. */
async function buildOn(bx: Buildx, b: PlatformBuild, builder: BuilderInfo): Promise<Built> {
  const status = nodeInfo(builder, b.node)?.status ?? '';
  if (status.startsWith(UNREACHABLE)) throw new Error(status);
  const step: BuildStep = {
    kind: 'build',
    argv: b.argv,
    metadataFile: b.metadataFile,
    platforms: [b.platform],
    pushTo: b.pushTo
  };
  return runBuild(bx, step, b.cacheRefs);
}

/** The failure of a node (not of the Dockerfile): names the node, its endpoint and the platform. */
function nodeFailure(error: unknown, b: PlatformBuild): unknown {
  if (error instanceof BuildFailed || !b.node) return error;
  return new Error(
    `node ${b.node} (${b.endpoint || 'no endpoint'}) failed building ${b.platform.id}: ${firstLine(error)}`
  );
}

function placeText(b: PlatformBuild, builder: BuilderInfo): string {
  if (!b.node) return `its own build on ${builder.name}${b.emulated ? ', emulated' : ''}`;
  const version = nodeInfo(builder, b.node)?.buildkitVersion ?? 'unknown';
  return `node ${b.node}${b.endpoint ? ` (${b.endpoint})` : ''}, BuildKit ${version}${b.emulated ? ', emulated' : ''}`;
}

function whereText(b: PlatformBuild): string {
  return b.node ? `on node ${b.node} (${b.endpoint || 'no endpoint'})` : 'build';
}

/** A build's own failure starts with its platform: where the platform is already said, it is said once. */
function withoutPlatform(text: string, b: PlatformBuild): string {
  return text.startsWith(`${b.platform.id}: `) ? text.slice(b.platform.id.length + 2) : text;
}

function runnerOf(session: Session, log: Log) {
  return session.runnerFor ? session.runnerFor(log) : createRunner(log, session.masker);
}

/** A log that keeps its lines until `flush`, so concurrent builds each print as one group. */
function bufferedLog(parent: Log): { log: Log; flush: () => void } {
  const lines: Array<['info' | 'warning' | 'debug', string]> = [];
  const log: Log = {
    info: (m) => void lines.push(['info', m]),
    warning: (m) => {
      lines.push(['warning', m]);
    },
    debug: (m) => void lines.push(['debug', m]),
    group: async (_name, fn) => fn(),
    setSecret: (v) => parent.setSecret(v)
  };
  return {
    log,
    flush: () => {
      for (const [level, m] of lines.splice(0)) parent[level](m);
    }
  };
}
