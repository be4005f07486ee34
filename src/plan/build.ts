/** The `buildx build` argv, as a pure function of the plan. */
import type { AttestationFormat, BuildFlags } from './inputs.js';
import { namedOutput, outputType } from './outputs.js';

/**
 * Where a build's result goes, made in one place (plan/spec.ts) for every build. With `pushTo`
 * it is pushed there by digest only; `outputs` are the user's own --output values.
 */
export interface BuildOutput {
  /** Pushed by digest to this image: no tag moves until the whole index is in the registry. */
  pushTo?: string;
  /** reference: attestations in the older form (oci-artifact=false), for registries that reject OCI artifacts. */
  attestationFormat: AttestationFormat;
  /** Also loaded into the local image store (one platform only). */
  load: boolean;
  /** The tags the loaded image and the user's outputs are named by (buildx's --tag). */
  names: string[];
  /** `outputs`, as given. */
  outputs: string[];
}

export interface BuildSpec {
  builder: string;
  platforms: string[];
  /** The pass-through flags, a platform's own file, target and build-args already applied. */
  flags: BuildFlags;
  labels: Record<string, string>;
  annotations: string[];
  /** Already in buildx form (`id=x,src=/file` or `id=x,env=NAME`): values never appear here. */
  secrets: string[];
  cacheFrom: string[];
  cacheTo: string[];
  output: BuildOutput;
  metadataFile: string;
}

export function buildArgv(spec: BuildSpec): string[] {
  const argv = ['build', '--builder', spec.builder, '--progress', 'plain', '--metadata-file', spec.metadataFile];
  argv.push('--platform', spec.platforms.join(','));
  argv.push(...flagsArgv(spec.flags, spec.labels, spec.annotations, spec.secrets));
  for (const from of spec.cacheFrom) argv.push('--cache-from', from);
  for (const to of spec.cacheTo) argv.push('--cache-to', to);
  argv.push(...outputArgv(spec.output));
  argv.push(spec.flags.context);
  return argv;
}

/** Each pass-through flag, as buildx takes it (the context goes last, on its own). */
function flagsArgv(
  flags: BuildFlags,
  labels: Record<string, string>,
  annotations: string[],
  secrets: string[]
): string[] {
  const argv: string[] = [];
  if (flags.file) argv.push('--file', flags.file);
  if (flags.target) argv.push('--target', flags.target);
  for (const arg of flags.buildArgs) argv.push('--build-arg', arg);
  for (const ctx of flags.buildContexts) argv.push('--build-context', ctx);
  for (const [key, value] of Object.entries(labels)) argv.push('--label', `${key}=${value}`);
  for (const annotation of annotations) argv.push('--annotation', annotation);
  for (const secret of secrets) argv.push('--secret', secret);
  for (const ssh of flags.ssh) argv.push('--ssh', ssh);
  if (flags.network) argv.push('--network', flags.network);
  for (const host of flags.addHosts) argv.push('--add-host', host);
  if (flags.shmSize) argv.push('--shm-size', flags.shmSize);
  for (const limit of flags.ulimit) argv.push('--ulimit', limit);
  if (flags.provenance) argv.push(`--provenance=${flags.provenance}`);
  if (flags.sbom) argv.push(`--sbom=${flags.sbom}`);
  if (flags.noCache) argv.push('--no-cache');
  if (flags.noCacheFilters.length > 0) argv.push('--no-cache-filter', flags.noCacheFilters.join(','));
  if (flags.pull) argv.push('--pull');
  return argv;
}

function outputArgv(output: BuildOutput): string[] {
  const argv: string[] = [];
  if (!output.pushTo && output.outputs.length === 0) {
    for (const name of output.names) argv.push('--tag', name);
    if (output.load) argv.push('--load');
    return argv;
  }
  // Pushed by digest only: no tag moves until the whole index is in the registry.
  if (output.pushTo)
    argv.push(
      '--output',
      `type=image,name=${output.pushTo},push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true${
        output.attestationFormat === 'reference' ? ',oci-artifact=false' : ''
      }`
    );
  // Each other exporter is named on its own: --tag would name a by-digest push too, which refuses a tag.
  for (const out of output.outputs) argv.push('--output', namedOutput(out, output.names));
  // buildx's own rule for --load beside outputs: one docker exporter without dest is the load.
  const loads = output.outputs.some((out) => outputType(out).type === 'docker' && !outputType(out).dest);
  if (output.load && !loads) argv.push('--output', namedOutput('type=docker', output.names));
  return argv;
}

/**
 * `buildx create` argv for the builder the action owns. The docker-container driver pulls
 * `buildkitImage`, so a mirror is one input away; remote attaches to a running BuildKit.
 */
export interface BuilderSpec {
  name: string;
  driver: 'docker-container' | 'remote';
  endpoint: string;
  buildkitImage: string;
  driverOpts: string[];
  buildkitdConfig: string;
  buildkitdFlags: string;
}

export function createBuilderArgv(spec: BuilderSpec): string[] {
  const argv = ['create', '--name', spec.name, '--driver', spec.driver];
  const opts = [...spec.driverOpts];
  if (spec.driver === 'docker-container' && !opts.some((o) => o.startsWith('image=')))
    opts.unshift(`image=${spec.buildkitImage}`);
  for (const opt of opts) argv.push('--driver-opt', opt);
  if (spec.buildkitdConfig && spec.driver !== 'remote') argv.push('--buildkitd-config', spec.buildkitdConfig);
  if (spec.buildkitdFlags && spec.driver !== 'remote') argv.push('--buildkitd-flags', spec.buildkitdFlags);
  if (spec.driver === 'remote') argv.push(spec.endpoint);
  return argv;
}
