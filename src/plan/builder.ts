import type { Inputs } from './inputs.js';
import { createBuilderArgv } from './build.js';
import { buildxNodeName, createNodesArgv } from './nodes.js';
import type { NodeSpec } from './node-spec.js';
import type { PlanIds } from './planning.js';
import { bootstrapArgv, removeBuilderArgv, type BuilderStep, type BuildxStep } from './steps.js';

/** The installed buildx, or the release `buildx-version` names. */
export function buildxStep(inputs: Inputs): BuildxStep {
  return { kind: 'buildx', version: inputs.buildxVersion, mirror: inputs.buildxMirror };
}

/** The builder this run creates (unless one is given or the docker driver's own is used), then bootstraps. */
export function builderStep(inputs: Inputs, ids: PlanIds, name: string): BuilderStep {
  if (inputs.builder || inputs.driver === 'docker') return { kind: 'builder', name, bootstrap: bootstrapArgv(name) };
  if (inputs.nodes.length > 0) return nodesBuilderStep(inputs.nodes, name, inputs.buildkitImage);
  const create = createBuilderArgv({
    name,
    driver: inputs.driver,
    endpoint: inputs.endpoint,
    buildkitImage: inputs.buildkitImage,
    driverOpts: inputs.driverOpts,
    buildkitdConfig: ids.inlineBuildkitdConfig ?? inputs.buildkitdConfig,
    buildkitdFlags: inputs.buildkitdFlags
  });
  return { kind: 'builder', name, create, bootstrap: bootstrapArgv(name), remove: removeBuilderArgv(name) };
}

/** Every node in one builder: create the first, append the others, bootstrap once (buildx starts them in parallel). */
function nodesBuilderStep(nodes: NodeSpec[], name: string, buildkitImage: string): BuilderStep {
  const [create, ...append] = createNodesArgv(name, nodes, { buildkitImage });
  return {
    kind: 'builder',
    name,
    create,
    append,
    bootstrap: bootstrapArgv(name),
    remove: removeBuilderArgv(name),
    nodes: nodes.map((node) => ({
      name: buildxNodeName(name, node),
      endpoint: node.endpoint,
      platforms: node.platforms.map((p) => p.id)
    }))
  };
}
