import type { Context } from './context.js';
import type { Inputs } from './inputs.js';
import type { Platform } from './platforms.js';
import type { BuildOutput, BuildSpec } from './build.js';
import { cacheUse, planCache, planGhaCache, type CachePlan } from './cache.js';
import { cacheScope, ghaScope } from './matrix.js';
import type { Planning } from './planning.js';

/**
 * What one `buildx build` gets, made here and nowhere else: the one build of every platform, each
 * platform's own build (per-platform values, nodes) and a node's fallback all take their spec and
 * their output from these functions, so no flag can reach one path and miss another.
 */

/** Where the build's result goes: pushed by digest (push), loaded (load), and the user's `outputs`. */
export function buildOutput(inputs: Inputs, refs: string[]): BuildOutput {
  return {
    ...(inputs.push ? { pushTo: inputs.images[0] } : {}),
    attestationFormat: inputs.attestationFormat,
    load: inputs.load,
    // Only what is loaded or exported by the user's outputs carries the tags as names.
    names: inputs.load || inputs.outputs.length > 0 ? refs : [],
    outputs: inputs.outputs
  };
}

/**
 * The build of `platforms`: a single platform gets its own file, target and build-args where it
 * has them. `publishes`: index, the build pushes the published index itself (its `index:`
 * annotations go on it); platform, it pushes one platform of an index the stage step makes
 * (those go on that index instead).
 */
export function buildSpec(
  planning: Planning,
  platforms: Platform[],
  publishes: 'index' | 'platform',
  rest: Pick<BuildSpec, 'cacheFrom' | 'cacheTo' | 'output' | 'metadataFile'>
): BuildSpec {
  const { inputs } = planning;
  const own = platforms.length === 1 ? inputs.perPlatform[platforms[0].id] : undefined;
  const annotations = !inputs.push
    ? []
    : publishes === 'index'
      ? planning.annotations
      : planning.annotations.filter((a) => !/^index(-descriptor)?:/.test(a));
  return {
    ...rest,
    builder: planning.builder,
    platforms: platforms.map((p) => p.id),
    flags: {
      ...inputs.build,
      file: own?.file ?? inputs.build.file,
      target: own?.target ?? inputs.build.target,
      buildArgs: [...inputs.build.buildArgs, ...(own?.buildArgs ?? [])]
    },
    labels: planning.labels,
    annotations,
    secrets: secretSpecs(inputs, planning.ids.secretPaths)
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

/** The registry cache of a build: one ref for all platforms, or a platform's own (a leg's, a node's). */
export function registryCache(inputs: Inputs, context: Context, platforms: Platform[] | undefined): CachePlan {
  // cache-from / cache-to given by hand stay as they are, whatever `cache` says.
  if (inputs.cache === 'gha' && inputs.cacheFrom.length === 0 && inputs.cacheTo.length === 0)
    return planGhaCache(context.actionsCache, ghaScope(inputs.cacheTag, platforms));
  const scope = cacheScope(context, inputs.cacheTag, platforms);
  return planCache({
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
}

/**
 * provenance and sbom as buildx reads them: anything but a Go false (false, 0, f) or
 * `disabled=true` (or nothing) asks for an attestation.
 */
export function attestationOn(value: string): boolean {
  if (value === '' || ['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  return !value.split(',').some((field) => /^\s*disabled\s*=\s*(1|t|true)\s*$/i.test(field));
}

export function attestationsOf(inputs: Inputs): { provenance: boolean; sbom: boolean } {
  return { provenance: attestationOn(inputs.build.provenance), sbom: attestationOn(inputs.build.sbom) };
}
