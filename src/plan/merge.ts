import { legTag, parseDigestRefs } from './matrix.js';
import { buildxStep } from './builder.js';
import { releaseSteps } from './release.js';
import { attestationsOf } from './spec.js';
import type { Planned, Planning } from './planning.js';
import type { CheckDigestsStep, FindLegsStep, RemoveLegsStep } from './steps.js';

/** mode merge: the legs' digests (found by their hand-off tags, or given) published as one index. */
export function planMerge(planning: Planning): Planned {
  const { inputs, annotations } = planning;
  const sources = mergeSources(planning);
  const release = releaseSteps(planning, {
    source: inputs.digests.length > 0 ? 'digests' : 'legs',
    annotations: annotations.filter((a) => a.startsWith('index:'))
  });
  return {
    emulated: [],
    cache: { from: [], to: [], refs: [] },
    steps: [
      ...release.preflight,
      buildxStep(inputs),
      sources,
      ...release.steps,
      // The legs' own indexes go last, once the published index is committed.
      sources.kind === 'find-legs' ? removeLegs(sources) : handOffsOf(planning)
    ]
  };
}

/** merge: the legs this run's matrix left (one hand-off tag per platform), or the explicit digests. */
function mergeSources({ inputs, context, ids, builder }: Planning): FindLegsStep | CheckDigestsStep {
  const image = inputs.images[0];
  if (inputs.digests.length > 0) {
    const refs = parseDigestRefs(inputs.digests, image);
    return { kind: 'check-digests', builder, platforms: inputs.platforms, refs, attestations: attestationsOf(inputs) };
  }
  return {
    kind: 'find-legs',
    builder,
    legs: inputs.platforms.map((platform) => ({ platform, ref: `${image}:${legTag(context, ids.runId, [platform])}` })),
    attestations: attestationsOf(inputs)
  };
}

/** The hand-off tags this merge consumed. */
function removeLegs(found: FindLegsStep): RemoveLegsStep {
  return { kind: 'remove-legs', legs: found.legs.map((leg) => leg.ref) };
}

/**
 * Explicit `digests` from this run's legs (build, test, then publish) each left a hand-off tag:
 * one leg of every platform (`leg-…-linux-amd64_linux-arm64`), or one leg a platform (a matrix).
 * Those naming a given digest go once the index is published; other digests are left alone.
 */
function handOffsOf({ inputs, context, ids }: Planning): RemoveLegsStep {
  const image = inputs.images[0];
  const sets = [inputs.platforms, ...(inputs.platforms.length > 1 ? inputs.platforms.map((p) => [p]) : [])];
  return {
    kind: 'remove-legs',
    legs: sets.map((set) => `${image}:${legTag(context, ids.runId, set)}`),
    ofDigests: true
  };
}
