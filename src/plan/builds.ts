import { runsNatively, type Platform } from './platforms.js';
import { buildArgv, type BuildSpec } from './build.js';
import type { CachePlan } from './cache.js';
import { InputError } from './errors.js';
import { platformSlug } from './matrix.js';
import { outputType } from './outputs.js';
import { assignPlatforms, buildxNodeName, createNodesArgv } from './nodes.js';
import type { NodeSpec } from './node-spec.js';
import { buildxStep, builderStep } from './builder.js';
import { releaseSteps } from './release.js';
import { buildOutput, buildSpec, registryCache } from './spec.js';
import type { Planned, Planning } from './planning.js';
import { removeBuilderArgv, type BuildsStep, type NodeFallbackPlan, type PlatformBuild, type Step } from './steps.js';

/**
 * One build per platform, concurrently, each with the per-platform cache ref a matrix leg of that
 * platform uses (so the two warm each other's cache), each pushed by digest; then one merge of
 * their digests into the index, as the merge job does. With nodes, each platform goes to the node
 * that declares it; one no node declares, to the first node under QEMU.
 */
export function planBuilds(planning: Planning): Planned {
  const { inputs, context, native, ids, tags, annotations, builder } = planning;
  const nodes = inputs.nodes;
  const assignments =
    nodes.length > 0
      ? assignPlatforms(inputs.platforms, nodes, { emulate: inputs.emulate })
      : inputs.platforms.map((platform) => ({ platform, node: undefined, emulated: !runsNatively(platform, native) }));
  if (nodes.length > 0 && inputs.nodeFallback === 'emulate' && nodes.length < 2)
    throw new InputError('node-fallback', 'emulate', 'fail when there is one node (a fallback needs another node)');
  const emulated = assignments.filter((a) => a.emulated).map((a) => a.platform);
  const output = buildOutput(inputs, tags.refs);
  // Each platform's build would write the same file or directory, the last one winning.
  const written = inputs.outputs.find((out) => outputType(out).dest !== undefined);
  if (written && assignments.length > 1)
    throw new InputError(
      'outputs',
      written,
      'no dest= when each platform is built on its own (nodes, or per-platform file, target or build-args): every build would write the same dest; export from a build of all platforms at once, or from one mode: platform leg each'
    );
  const all: CachePlan = { from: [], to: [], refs: [] };
  const builds = assignments.map(({ platform, node, emulated: underQemu }): PlatformBuild => {
    const cache = registryCache(inputs, context, [platform]);
    for (const key of ['from', 'to', 'refs'] as const)
      all[key].push(...cache[key].filter((r) => !all[key].includes(r)));
    const metadataFile = perPlatformFile(ids.metadataFile, platform);
    // The index annotations go on the merged index; each build carries its manifest's.
    const spec = buildSpec(planning, [platform], 'platform', {
      cacheFrom: cache.from,
      cacheTo: cache.to,
      output,
      metadataFile
    });
    const other = node && inputs.nodeFallback === 'emulate' ? nodes.find((n) => n !== node) : undefined;
    return {
      platform,
      node: node ? buildxNodeName(builder, node) : '',
      endpoint: node?.endpoint ?? '',
      emulated: underQemu,
      argv: buildArgv(spec),
      metadataFile,
      pushTo: output.pushTo,
      cacheRefs: cache.refs,
      ...(other ? { fallback: fallbackPlan(builder, other, platform, spec) } : {})
    };
  });
  const steps: Step[] = [];
  const qemuNamed = inputs.qemu === 'binfmt-image' || inputs.qemu === 'host';
  // Nodes run their builds on their own kernels: the runner's handlers are no concern of theirs
  // unless qemu names a method. Without nodes, the local builder emulates as a one-step build does.
  const wantQemu =
    nodes.length > 0 ? qemuNamed : inputs.qemu !== 'false' && !(inputs.driver === 'remote' && inputs.qemu === 'auto');
  // The runner registers handlers only for what it cannot run itself: a platform a node emulates may be native here.
  const foreign = emulated.filter((p) => !runsNatively(p, native));
  if (foreign.length > 0 && wantQemu)
    steps.push({ kind: 'qemu', mode: inputs.qemu, image: inputs.qemuImage, platforms: foreign });
  steps.push(buildxStep(inputs), builderStep(inputs, ids, builder));
  const buildsStep: BuildsStep = { kind: 'builds', builder, builds };
  steps.push(buildsStep);
  if (!inputs.push) return { emulated, cache: all, steps };
  const release = releaseSteps(planning, {
    source: 'builds',
    annotations: annotations.filter((a) => a.startsWith('index:'))
  });
  return { emulated, cache: all, steps: [...release.preflight, ...steps, ...release.steps] };
}

/**
 * node-fallback: emulate. A builder of one node can only send a build to that node, so the
 * platform of a failed node is built on `other` through a builder of `other` alone, declared for
 * the platform too; it is created for this, and removed after. The build is the node's own spec.
 */
function fallbackPlan(builder: string, other: NodeSpec, platform: Platform, spec: BuildSpec): NodeFallbackPlan {
  const name = `${builder}-fallback-${platformSlug([platform])}`;
  const declared = { ...other, platforms: [...other.platforms, platform] };
  const [create] = createNodesArgv(name, [declared]);
  const metadataFile = spec.metadataFile.replace(/\.json$/, '-fallback.json');
  return {
    node: buildxNodeName(builder, other),
    endpoint: other.endpoint,
    builder: name,
    create,
    argv: buildArgv({ ...spec, builder: name, metadataFile }),
    metadataFile,
    remove: removeBuilderArgv(name)
  };
}

/** Each concurrent build writes its own metadata file. */
function perPlatformFile(file: string, platform: Platform): string {
  const slug = platformSlug([platform]);
  return /\.json$/.test(file) ? file.replace(/\.json$/, `-${slug}.json`) : `${file}-${slug}`;
}
