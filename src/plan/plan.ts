import type { Inputs } from './inputs.js';
import type { Context } from './context.js';
import { runsNatively, type Platform } from './platforms.js';
import { computeTags, type TagResult } from './tags.js';
import { computeLabels, computeAnnotations } from './labels.js';
import { cacheUse, planCache, type CachePlan } from './cache.js';
import { buildArgv, createBuilderArgv, type BuildOutput } from './build.js';
import { InputError } from './errors.js';
import { cacheScope, legTag } from './matrix.js';

/** Everything the action will do, decided before it does any of it. Printed as is by dry-run. */
export interface Plan {
  platforms: Platform[];
  /** Platforms that need an emulator on this runner. */
  emulated: Platform[];
  tags: TagResult;
  labels: Record<string, string>;
  annotations: string[];
  cache: CachePlan;
  builder: { name: string; create?: string[] };
  /** `buildx build` argv; empty in merge mode, which builds nothing. */
  build: string[];
  output: BuildOutput;
  /** platform mode: the tag the leg leaves for the merge; merge mode: the tag it looks for, per platform. */
  legs: Array<{ platforms: Platform[]; tag: string }>;
}

export interface PlanIds {
  builderName: string;
  metadataFile: string;
  /** Where each `secrets` value was written (id → private file): values never enter the plan. */
  secretPaths: Record<string, string>;
  /** Groups one run's matrix legs and its merge. */
  runId: string;
  /** Where buildkitd-config-inline was written, when given (it wins over buildkitd-config). */
  inlineBuildkitdConfig?: string;
}

export function makePlan(inputs: Inputs, context: Context, native: Platform, now: Date, ids: PlanIds): Plan {
  const tags = computeTags({ images: inputs.images, rules: inputs.tagRules, flavor: inputs.flavor, context, now });
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
    inputs.platforms.length > 1 ? ['index', 'manifest'] : ['manifest']
  );
  const leg = inputs.mode === 'platform' ? inputs.platforms : undefined;
  const scope = cacheScope(context, inputs.cacheTag, leg);
  const cache =
    inputs.mode === 'merge'
      ? { from: [], to: [], refs: [] }
      : planCache({
          ...cacheUse(inputs.cache, {
            image: inputs.images.length > 0,
            push: inputs.push,
            forkPullRequest: context.pr?.fork === true
          }),
          image: inputs.images[0],
          tag: scope.write,
          readOnlyTags: scope.readOnly,
          cacheFrom: inputs.cacheFrom,
          cacheTo: inputs.cacheTo
        });
  const legs =
    inputs.mode === 'platform'
      ? [{ platforms: inputs.platforms, tag: legTag(context, ids.runId, inputs.platforms) }]
      : inputs.mode === 'merge'
        ? inputs.platforms.map((p) => ({ platforms: [p], tag: legTag(context, ids.runId, [p]) }))
        : [];
  const output: BuildOutput = inputs.push
    ? { kind: 'push-by-digest', image: inputs.images[0], ...(inputs.load ? { load: tags.refs } : {}) }
    : inputs.load
      ? { kind: 'load', tags: tags.refs }
      : { kind: 'none' };
  const create =
    inputs.builder || inputs.mode === 'merge'
      ? undefined
      : inputs.driver === 'docker'
        ? undefined
        : createBuilderArgv({
            name: ids.builderName,
            driver: inputs.driver,
            endpoint: inputs.endpoint,
            buildkitImage: inputs.buildkitImage,
            driverOpts: inputs.driverOpts,
            buildkitdConfig: ids.inlineBuildkitdConfig ?? inputs.buildkitdConfig,
            buildkitdFlags: inputs.buildkitdFlags
          });
  const builderName =
    inputs.builder || (inputs.mode === 'merge' ? '' : inputs.driver === 'docker' ? 'default' : ids.builderName);
  const build =
    inputs.mode === 'merge'
      ? []
      : buildArgv({
          builder: builderName,
          platforms: inputs.platforms.map((p) => p.id),
          context: inputs.context,
          file: inputs.file,
          target: inputs.target,
          buildArgs: inputs.buildArgs,
          buildContexts: inputs.buildContexts,
          labels,
          annotations: inputs.push ? annotations : [],
          secrets: secretSpecs(inputs, ids.secretPaths),
          ssh: inputs.ssh,
          network: inputs.network,
          addHosts: inputs.addHosts,
          shmSize: inputs.shmSize,
          ulimit: inputs.ulimit,
          provenance: inputs.provenance,
          sbom: inputs.sbom,
          noCache: inputs.noCache,
          noCacheFilters: inputs.noCacheFilters,
          pull: inputs.pull,
          cacheFrom: cache.from,
          cacheTo: cache.to,
          output,
          metadataFile: ids.metadataFile
        });
  return {
    platforms: inputs.platforms,
    emulated: inputs.mode === 'merge' ? [] : inputs.platforms.filter((p) => !runsNatively(p, native)),
    tags,
    labels,
    annotations,
    cache,
    builder: { name: builderName, create },
    build,
    output,
    legs
  };
}

/** buildx `--secret` specs: `secrets` by the private file each value was written to, the others as given. */
function secretSpecs(inputs: Inputs, paths: Record<string, string>): string[] {
  return [
    ...inputs.secrets.map(({ id }) => `id=${id},src=${paths[id]}`),
    ...inputs.secretEnvs.map(({ id, env }) => `id=${id},env=${env}`),
    ...inputs.secretFiles.map(({ id, path }) => `id=${id},src=${path}`)
  ];
}
