import type { Context } from './context.js';
import type { Inputs } from './inputs.js';
import { computeAnnotations, computeLabels } from './labels.js';
import type { Plan } from './plan.js';
import type { TagResult } from './tags/compute.js';

/**
 * `mode: metadata`: what metadata-action gives (tags, labels, annotations, version, json), computed
 * by the same rules a build would use, with nothing built, pushed or started: for the steps that
 * come before a build. No step at all: the run sets the outputs from the plan.
 */
export function metadataPlan(inputs: Inputs, context: Context, tags: TagResult, now: Date, warnings: string[]): Plan {
  const labels = computeLabels(context, tags.version, inputs.labels, now);
  const annotations = computeAnnotations(
    labels,
    inputs.annotations,
    inputs.platforms.length > 1 ? ['index', 'manifest'] : ['manifest']
  );
  return {
    mode: 'metadata',
    platforms: inputs.platforms,
    emulated: [],
    tags,
    labels,
    annotations,
    cache: { from: [], to: [], refs: [] },
    builder: '',
    steps: [],
    warnings
  };
}

/** The `tags` output of a metadata run: every image × tag, or the bare tags when no image is named (as metadata-action). */
export function metadataTags(plan: Plan): string[] {
  return plan.tags.refs.length > 0 ? plan.tags.refs : plan.tags.tags;
}
