/** The `buildx build` argv, as a pure function of the plan. */

export type BuildOutput =
  /** `load`: also loaded into the local image store under these tags (one platform only). */
  | {
      kind: 'push-by-digest';
      image: string;
      load?: string[];
      /** reference: attestations in the older form (oci-artifact=false), for registries that reject OCI artifacts. */
      attestationFormat?: 'oci-artifact' | 'reference';
    }
  | { kind: 'load'; tags: string[] }
  | { kind: 'none' };

export interface BuildSpec {
  builder: string;
  platforms: string[];
  context: string;
  file: string;
  target: string;
  buildArgs: string[];
  buildContexts: string[];
  labels: Record<string, string>;
  annotations: string[];
  /** Already in buildx form (`id=x,src=/file` or `id=x,env=NAME`): values never appear here. */
  secrets: string[];
  ssh: string[];
  network: string;
  addHosts: string[];
  shmSize: string;
  ulimit: string[];
  provenance: string;
  sbom: string;
  noCache: boolean;
  noCacheFilters: string[];
  pull: boolean;
  cacheFrom: string[];
  cacheTo: string[];
  output: BuildOutput;
  metadataFile: string;
}

export function buildArgv(spec: BuildSpec): string[] {
  const argv = ['build', '--builder', spec.builder, '--progress', 'plain', '--metadata-file', spec.metadataFile];
  argv.push('--platform', spec.platforms.join(','));
  if (spec.file) argv.push('--file', spec.file);
  if (spec.target) argv.push('--target', spec.target);
  for (const arg of spec.buildArgs) argv.push('--build-arg', arg);
  for (const ctx of spec.buildContexts) argv.push('--build-context', ctx);
  for (const [key, value] of Object.entries(spec.labels)) argv.push('--label', `${key}=${value}`);
  for (const annotation of spec.annotations) argv.push('--annotation', annotation);
  for (const secret of spec.secrets) argv.push('--secret', secret);
  for (const ssh of spec.ssh) argv.push('--ssh', ssh);
  if (spec.network) argv.push('--network', spec.network);
  for (const host of spec.addHosts) argv.push('--add-host', host);
  if (spec.shmSize) argv.push('--shm-size', spec.shmSize);
  for (const limit of spec.ulimit) argv.push('--ulimit', limit);
  if (spec.provenance) argv.push(`--provenance=${spec.provenance}`);
  if (spec.sbom) argv.push(`--sbom=${spec.sbom}`);
  if (spec.noCache) argv.push('--no-cache');
  if (spec.noCacheFilters.length > 0) argv.push('--no-cache-filter', spec.noCacheFilters.join(','));
  if (spec.pull) argv.push('--pull');
  for (const from of spec.cacheFrom) argv.push('--cache-from', from);
  for (const to of spec.cacheTo) argv.push('--cache-to', to);
  switch (spec.output.kind) {
    case 'push-by-digest':
      // Pushed by digest only: no tag moves until the whole index is in the registry.
      argv.push(
        '--output',
        `type=image,name=${spec.output.image},push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true${
          spec.output.attestationFormat === 'reference' ? ',oci-artifact=false' : ''
        }`
      );
      // Named on its own exporter: --tag would name the pushed image too, which a by-digest push refuses.
      if (spec.output.load)
        argv.push(
          '--output',
          spec.output.load.length > 0 ? `type=docker,"name=${spec.output.load.join(',')}"` : 'type=docker'
        );
      break;
    case 'load':
      for (const tag of spec.output.tags) argv.push('--tag', tag);
      argv.push('--load');
      break;
    case 'none':
      break;
  }
  argv.push(spec.context);
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
