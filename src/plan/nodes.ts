import { InputError } from './errors.js';
import type { Platform } from './platforms.js';
import { hasOpt } from './driver-opts.js';
import type { NodeSpec } from './node-spec.js';

/* Where each platform is built on a builder of nodes (the `nodes` grammar is in node-spec.ts). */

/** Which node builds a requested platform, and whether it must emulate it. */
export interface Assignment {
  platform: Platform;
  node: NodeSpec;
  emulated: boolean;
}

/**
 * Routes each requested platform to the node that declares it. A platform no node declares goes
 * to the first node, built under QEMU (emulated: true), unless `emulate` is false: then that is
 * an error naming the platform.
 */
export function assignPlatforms(platforms: Platform[], nodes: NodeSpec[], options: { emulate: boolean }): Assignment[] {
  if (nodes.length === 0) throw new Error('assignPlatforms needs at least one node');
  return platforms.map((platform) => {
    const node = nodes.find((n) => n.platforms.some((p) => p.id === platform.id));
    if (node) return { platform, node, emulated: false };
    if (!options.emulate) {
      const declared = nodes.map((n) => `${n.name}: ${n.platforms.map((p) => p.id).join(',')}`).join('; ');
      throw new InputError(
        'platforms',
        platform.id,
        `a platform some node declares (${declared}), or emulate: true to build it under QEMU on node ${nodes[0].name}`
      );
    }
    return { platform, node: nodes[0], emulated: true };
  });
}

/**
 * The node name buildx gets. A kubernetes node's name is its Deployment's name in the cluster,
 * so a made-up one carries the builder's name: two runs in one namespace never share a pod.
 */
export function buildxNodeName(builderName: string, node: NodeSpec): string {
  if (node.driver !== 'kubernetes' || node.nameGiven) return node.name;
  return `${builderName}-${node.name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

/**
 * The `buildx create` argv for a builder of these nodes: the first creates it, each further one
 * appends (`--append` with the same name and driver). Every node is pinned with --platform, so
 * buildx never sends it a platform it would emulate. `buildkitImage` is the BuildKit image the
 * container drivers start, unless a node names its own with image=.
 */
export function createNodesArgv(
  builderName: string,
  nodes: NodeSpec[],
  options: { buildkitImage?: string } = {}
): string[][] {
  return nodes.map((node, i) => {
    const argv = ['create'];
    if (i > 0) argv.push('--append');
    argv.push('--name', builderName, '--driver', node.driver);
    argv.push('--platform', node.platforms.map((p) => p.id).join(','));
    argv.push('--node', buildxNodeName(builderName, node));
    const opts = [...node.driverOpts];
    if (options.buildkitImage && node.driver !== 'remote' && !hasOpt(opts, 'image'))
      opts.unshift(`image=${options.buildkitImage}`);
    for (const opt of opts) argv.push('--driver-opt', opt);
    if (node.buildkitdFlags !== '') argv.push('--buildkitd-flags', node.buildkitdFlags);
    if (node.endpoint !== '') argv.push(node.endpoint);
    return argv;
  });
}
