import type { BuilderStep } from '../plan/steps.js';
import { firstLine } from '../text.js';
import type { Buildx } from '../tools/buildx/handle.js';
import { bootstrapBuilder, inspectBuilder, type BuilderInfo, type NodeInfo } from '../tools/buildx/builder.js';
import { deadEndpoint } from '../tools/buildx/endpoint.js';
import { InputError } from '../plan/errors.js';

/** The status a node gets when it could not be started: its builds fail (or fall back) at once. */
export const UNREACHABLE = 'unreachable';

/**
 * Bootstraps a builder of nodes (buildx starts them in parallel) and says which node builds which
 * platform, with its BuildKit version. A node that cannot be reached does not stop the others: its
 * platforms fail (or fall back) in the build step, which names it.
 */
export async function bootstrapNodes(bx: Buildx, step: BuilderStep, dead: DeadNode[] = []): Promise<BuilderInfo> {
  let info: BuilderInfo;
  try {
    info = await bootstrapBuilder(bx, step.name, liveEndpoints(step, dead));
  } catch (error) {
    bx.log.warning(`not every node of ${step.name} started: ${firstLine(error)}`);
    info = await inspectBuilder(bx, step.name);
    // After the bootstrap's own retries: a node still not running is not tried again by its builds.
    for (const node of info.nodes ?? [])
      if (node.status !== 'running') node.status = `${UNREACHABLE} (${node.status}; ${firstLine(error)})`;
  }
  // A dead node was never added: its builds fail (or fall back) at once, naming why.
  for (const d of dead)
    (info.nodes ??= []).push({
      name: d.name,
      endpoint: d.endpoint,
      status: `${UNREACHABLE} (${d.why})`,
      buildkitVersion: 'unknown',
      platforms: d.platforms
    });
  for (const planned of step.nodes ?? []) {
    const node = nodeInfo(info, planned.name);
    const where = planned.endpoint ? ` (${planned.endpoint})` : '';
    bx.log.info(
      `node ${planned.name}${where}: ${node?.status ?? 'not listed'}, BuildKit ${node?.buildkitVersion ?? 'unknown'}, builds ${planned.platforms.join(', ')}`
    );
  }
  return info;
}

export function nodeInfo(info: BuilderInfo, name: string): NodeInfo | undefined {
  return info.nodes?.find((n) => n.name === name);
}

/** A node whose endpoint answered nothing at all before the builder was made. */
export interface DeadNode {
  name: string;
  endpoint: string;
  platforms: string[];
  why: string;
}

/**
 * Asks every node's endpoint (all at once) whether anything listens there, and leaves the dead
 * ones out of the builder: buildx would wait 20 s for each on every bootstrap attempt, holding up
 * the nodes that answer. The first live node creates the builder. Every node dead: nothing can build.
 */
export async function liveNodes(
  step: BuilderStep
): Promise<{ create?: string[]; append: string[][]; dead: DeadNode[] }> {
  const argvs = [step.create, ...(step.append ?? [])];
  const nodes = step.nodes ?? [];
  if (!step.create || nodes.length !== argvs.length)
    return { create: step.create, append: step.append ?? [], dead: [] };
  const why = await Promise.all(
    nodes.map((n, i) => (isRemote(argvs[i]!) ? deadEndpoint(n.endpoint) : Promise.resolve(undefined)))
  );
  const dead = nodes.flatMap((n, i) => (why[i] ? [{ ...n, why: why[i]! }] : []));
  const live = argvs.filter((_, i) => !why[i]) as string[][];
  if (live.length === 0)
    throw new InputError(
      'nodes',
      nodes.map((n) => n.endpoint).join(', '),
      `at least one endpoint that answers: ${dead.map((d) => `node ${d.name} (${d.endpoint}): ${d.why}`).join('; ')}`
    );
  const [first, ...rest] = live;
  return { create: first.filter((arg) => arg !== '--append'), append: rest, dead };
}

/** The endpoints of the nodes the builder holds, for an error that names them. */
function liveEndpoints(step: BuilderStep, dead: DeadNode[]): string {
  const live = (step.nodes ?? []).filter((n) => !dead.some((d) => d.name === n.name));
  return `${live.length === 1 ? 'endpoint' : 'endpoints'} ${live.map((n) => n.endpoint || n.name).join(', ')}`;
}

/** A `buildx create` of the remote driver: only its endpoint is ours to ask. */
export function isRemote(argv: string[]): boolean {
  const at = argv.indexOf('--driver');
  return at >= 0 && argv[at + 1] === 'remote';
}
