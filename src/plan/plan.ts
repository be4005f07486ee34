import type { Inputs, Mode } from './inputs.js';
import type { Context } from './context.js';
import type { Platform } from './platforms.js';
import { computeTags, type TagResult } from './tags/compute.js';
import { computeLabels, computeAnnotations } from './labels.js';
import type { CachePlan } from './cache.js';
import { hasPerPlatform } from './per-platform.js';
import { InputError } from './errors.js';
import type { Step } from './steps.js';
import type { PlanIds, Planner, Planning } from './planning.js';
import { attestationsOf } from './spec.js';
import { planOneBuild } from './one-build.js';
import { planBuilds } from './builds.js';
import { planMerge } from './merge.js';

import { withTemplates } from './templates.js';
import { metadataPlan } from './metadata.js';

export type { PlanIds } from './planning.js';

/**
 * Everything the action will do, decided before it does any of it: the values it computed (tags,
 * labels, cache refs) and the steps, in order, each with its exact command or request. The
 * pipeline runs the steps; the dry run prints them.
 */
export interface Plan {
  mode: Mode;
  platforms: Platform[];
  /** Platforms that need an emulator on this runner. */
  emulated: Platform[];
  tags: TagResult;
  labels: Record<string, string>;
  annotations: string[];
  cache: CachePlan;
  /** The builder the steps name ('' for a merge given none: imagetools needs no builder). */
  builder: string;
  steps: Step[];
  /** What the user should know about the plan itself (an input that has no effect here). */
  warnings: string[];
  /** Why nothing is pushed when push was left to its default (a pull request, load): the summary says it. */
  pushNote?: string;
}

/**
 * The planner of each kind of run. makePlan computes what every mode shares (tags, labels,
 * annotations, the builder's name) once, then hands it to one of these.
 */
const PLANNERS = {
  /** Every platform in one `buildx build` (mode build), or a matrix leg's one platform (mode platform). */
  'one-build': planOneBuild,
  /** One build per platform: nodes, or per-platform file/target/build-args. */
  builds: planBuilds,
  merge: planMerge
} satisfies Record<string, Planner>;

function plannerOf(inputs: Inputs): keyof typeof PLANNERS {
  if (inputs.mode === 'merge') return 'merge';
  if (inputs.mode === 'build' && (inputs.nodes.length > 0 || hasPerPlatform(inputs.perPlatform))) return 'builds';
  return 'one-build';
}

export function makePlan(inputs: Inputs, context: Context, native: Platform, now: Date, ids: PlanIds): Plan {
  const tags = computeTags({ images: inputs.images, rules: inputs.tagRules, flavor: inputs.flavor, context, now });
  // {{version}}, {{sha}}, … in build-args and annotations, from the tags just computed.
  const templated = withTemplates(inputs, context, tags.version, now);
  inputs = templated.inputs;
  if (inputs.mode === 'metadata') return metadataPlan(inputs, context, tags, now, templated.warnings);
  if (inputs.push && inputs.mode !== 'platform' && tags.tags.length === 0) {
    throw new InputError(
      'tags',
      inputs.tagRules.map((r) => r.raw).join('\n') || '(defaults)',
      `rules that give at least one tag for a ${context.eventName} event on ${context.ref}`
    );
  }
  const labels = computeLabels(context, tags.version, inputs.labels, now);
  const annotations = computeAnnotations(
    labels,
    inputs.annotations,
    publishesIndex(inputs) ? ['index', 'manifest'] : ['manifest']
  );
  const builder =
    inputs.builder || (inputs.mode === 'merge' ? '' : inputs.driver === 'docker' ? 'default' : ids.builderName);
  const planning: Planning = { inputs, context, native, ids, tags, labels, annotations, builder };
  return {
    mode: inputs.mode,
    platforms: inputs.platforms,
    tags,
    labels,
    annotations,
    builder,
    ...(inputs.pushNote ? { pushNote: inputs.pushNote } : {}),
    warnings: [
      ...templated.warnings,
      ...(inputs.mode === 'platform' && inputs.signing.mode !== 'false'
        ? [
            `sign: ${inputs.signing.mode} has no effect on a mode: platform leg: the merge signs the index and every platform manifest in it (set sign on the merge step)`
          ]
        : [])
    ],
    ...PLANNERS[plannerOf(inputs)](planning)
  };
}

/**
 * Whether what is published is an index, so `index:` annotations have a home: several platforms,
 * or one built with an attestation (BuildKit then pushes an index of the image and its
 * attestation manifest). One platform without one is a plain manifest, and BuildKit refuses
 * index annotations for it.
 */
function publishesIndex(inputs: Inputs): boolean {
  if (inputs.platforms.length > 1) return true;
  // A leg's own index is replaced by the merge's; a merge of one leg copies it as it is.
  if (inputs.mode !== 'build') return false;
  const { provenance, sbom } = attestationsOf(inputs);
  return provenance || sbom;
}
