import type { BuilderStep } from '../plan/steps.js';
import { firstLine } from '../text.js';
import type { Buildx } from '../tools/buildx/handle.js';
import { bootstrapBuilder, inspectBuilder, type BuilderInfo, type NodeInfo } from '../tools/buildx/builder.js';

/** The status a node gets when it could not be started: its builds fail (or fall back) at once. */
export const UNREACHABLE = 'unreachable';

/**
 * Bootstraps a builder of nodes (buildx starts them in parallel) and says which node builds which
 * platform, with its BuildKit version. A node that cannot be reached does not stop the others: its
 * platforms fail (or fall back) in the build step, which names it.
 */
export async function bootstrapNodes(bx: Buildx, step: BuilderStep): Promise<BuilderInfo> {
  let info: BuilderInfo;
  try {
    info = await bootstrapBuilder(bx, step.name);
  } catch (error) {
    bx.log.warning(`not every node of ${step.name} started: ${firstLine(error)}`);
    info = await inspectBuilder(bx, step.name);
    // After the bootstrap's own retries: a node still not running is not tried again by its builds.
    for (const node of info.nodes ?? [])
      if (node.status !== 'running') node.status = `${UNREACHABLE} (${node.status}; ${firstLine(error)})`;
  }
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
