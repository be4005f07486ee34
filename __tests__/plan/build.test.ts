import {
  buildArgv,
  createBuilderArgv,
  type BuilderSpec,
  type BuildOutput,
  type BuildSpec
} from '../../src/plan/build.js';
import type { BuildFlags } from '../../src/plan/inputs.js';

const NONE: BuildOutput = { attestationFormat: 'oci-artifact', load: false, names: [], outputs: [] };

/** Every pass-through flag unset. */
const FLAGS: BuildFlags = {
  context: '.',
  file: '',
  target: '',
  buildArgs: [],
  buildContexts: [],
  ssh: [],
  network: '',
  addHosts: [],
  shmSize: '',
  ulimit: [],
  provenance: '',
  sbom: '',
  noCache: false,
  noCacheFilters: [],
  pull: false
};

/** A spec with nothing optional set: each case adds only what it is about (a flag's key sets that flag). */
function spec(over: Partial<Omit<BuildSpec, 'flags'>> & Partial<BuildFlags> = {}): BuildSpec {
  const flags = Object.fromEntries(Object.entries(over).filter(([key]) => key in FLAGS));
  const rest = Object.fromEntries(Object.entries(over).filter(([key]) => !(key in FLAGS)));
  return {
    builder: 'multiarch-7001-1-a1b2c3',
    platforms: ['linux/amd64'],
    flags: { ...FLAGS, ...flags },
    labels: {},
    annotations: [],
    secrets: [],
    cacheFrom: [],
    cacheTo: [],
    output: NONE,
    metadataFile: '/tmp/multiarch-x/metadata.json',
    ...rest
  };
}

describe('buildArgv', () => {
  test.each([
    {
      name: 'two platforms pushed by digest',
      spec: spec({
        platforms: ['linux/amd64', 'linux/arm64'],
        output: { ...NONE, pushTo: 'ghcr.io/octo/app' }
      }),
      expected: [
        'build',
        '--builder',
        'multiarch-7001-1-a1b2c3',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/amd64,linux/arm64',
        '--output',
        'type=image,name=ghcr.io/octo/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true',
        '.'
      ]
    },
    {
      name: 'load with two tags',
      spec: spec({
        platforms: ['linux/arm64'],
        context: 'app',
        output: { ...NONE, load: true, names: ['octo/app:main', 'octo/app:sha-860c190'] }
      }),
      expected: [
        'build',
        '--builder',
        'multiarch-7001-1-a1b2c3',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/arm64',
        '--tag',
        'octo/app:main',
        '--tag',
        'octo/app:sha-860c190',
        '--load',
        'app'
      ]
    },
    {
      name: 'load with no tags',
      spec: spec({ output: { ...NONE, load: true } }),
      expected: [
        'build',
        '--builder',
        'multiarch-7001-1-a1b2c3',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/amd64',
        '--load',
        '.'
      ]
    },
    {
      name: 'pushed by digest and loaded: the load is its own named exporter',
      spec: spec({ output: { ...NONE, pushTo: 'ghcr.io/octo/app', load: true, names: ['ghcr.io/octo/app:main'] } }),
      expected: [
        'build',
        '--builder',
        'multiarch-7001-1-a1b2c3',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/amd64',
        '--output',
        'type=image,name=ghcr.io/octo/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true',
        '--output',
        'type=docker,"name=ghcr.io/octo/app:main"',
        '.'
      ]
    },
    {
      name: 'attestation-format reference: the pushed image writes the older form',
      spec: spec({ output: { ...NONE, pushTo: 'ghcr.io/octo/app', attestationFormat: 'reference' } }),
      expected: [
        'build',
        '--builder',
        'multiarch-7001-1-a1b2c3',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/amd64',
        '--output',
        'type=image,name=ghcr.io/octo/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true,oci-artifact=false',
        '.'
      ]
    },
    {
      name: 'outputs without push: each names its image after the tags, as --tag would; one pushed by digest by its repository alone',
      spec: spec({
        output: {
          ...NONE,
          load: true,
          names: ['octo/app:1.0', 'octo/app:1'],
          outputs: ['type=docker,dest=app.tar', 'type=cacheonly', 'type=image,push-by-digest=true,push=true']
        }
      }),
      expected: [
        'build',
        '--builder',
        'multiarch-7001-1-a1b2c3',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/amd64',
        '--output',
        'type=docker,dest=app.tar,"name=octo/app:1.0,octo/app:1"',
        '--output',
        'type=cacheonly',
        '--output',
        'type=image,push-by-digest=true,push=true,"name=octo/app"',
        '--output',
        'type=docker,"name=octo/app:1.0,octo/app:1"',
        '.'
      ]
    },
    {
      name: 'outputs beside the by-digest push: each names its own image, a user name kept',
      spec: spec({
        output: {
          ...NONE,
          pushTo: 'ghcr.io/octo/app',
          names: ['ghcr.io/octo/app:1.0', 'ghcr.io/octo/app:1'],
          outputs: ['type=docker,dest=app.tar', 'type=oci,dest=app.oci,name=mine:1', 'type=local,dest=out']
        }
      }),
      expected: [
        'build',
        '--builder',
        'multiarch-7001-1-a1b2c3',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/amd64',
        '--output',
        'type=image,name=ghcr.io/octo/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true',
        '--output',
        'type=docker,dest=app.tar,"name=ghcr.io/octo/app:1.0,ghcr.io/octo/app:1"',
        '--output',
        'type=oci,dest=app.oci,name=mine:1',
        '--output',
        'type=local,dest=out',
        '.'
      ]
    },
    {
      name: 'a docker output without dest is the load: not added twice',
      spec: spec({
        output: { ...NONE, pushTo: 'ghcr.io/octo/app', load: true, names: ['a:1'], outputs: ['type=docker'] }
      }),
      expected: [
        'build',
        '--builder',
        'multiarch-7001-1-a1b2c3',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/amd64',
        '--output',
        'type=image,name=ghcr.io/octo/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true',
        '--output',
        'type=docker,"name=a:1"',
        '.'
      ]
    },
    {
      name: 'no output: build only, the context last',
      spec: spec({ builder: 'default', context: 'https://github.com/octo/app.git#main' }),
      expected: [
        'build',
        '--builder',
        'default',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/amd64',
        'https://github.com/octo/app.git#main'
      ]
    },
    {
      name: 'every option, in a fixed order',
      spec: spec({
        platforms: ['linux/amd64', 'linux/arm/v7'],
        context: 'src',
        file: 'docker/Dockerfile.prod',
        target: 'runtime',
        buildArgs: ['VERSION=1.2.3', 'LIST=a,b'],
        buildContexts: ['alpine=docker-image://alpine:3.20', 'assets=../assets'],
        labels: {
          'org.opencontainers.image.revision': '860c1904a1ce19322e91ac35af1ab07466440c37',
          'org.opencontainers.image.title': 'app'
        },
        annotations: [
          'index:org.opencontainers.image.version=1.2.3',
          'manifest:org.opencontainers.image.version=1.2.3'
        ],
        secrets: ['id=npmrc,src=/tmp/multiarch-x/secret-npmrc', 'id=token,env=GH_TOKEN'],
        ssh: ['default', 'deploy=/home/runner/.ssh/id_ed25519'],
        network: 'host',
        addHosts: ['registry.local:10.0.0.5', 'cache.local:10.0.0.6'],
        shmSize: '2g',
        ulimit: ['nofile=1024:2048', 'nproc=512'],
        provenance: 'false',
        sbom: 'true',
        noCache: true,
        noCacheFilters: ['deps', 'test'],
        pull: true,
        cacheFrom: [
          'type=registry,ref=ghcr.io/octo/app:buildcache',
          'type=registry,ref=ghcr.io/octo/app:buildcache-main'
        ],
        cacheTo: ['type=registry,ref=ghcr.io/octo/app:buildcache,mode=max,ignore-error=true'],
        output: { ...NONE, pushTo: 'ghcr.io/octo/app' }
      }),
      expected: [
        'build',
        '--builder',
        'multiarch-7001-1-a1b2c3',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/amd64,linux/arm/v7',
        '--file',
        'docker/Dockerfile.prod',
        '--target',
        'runtime',
        '--build-arg',
        'VERSION=1.2.3',
        '--build-arg',
        'LIST=a,b',
        '--build-context',
        'alpine=docker-image://alpine:3.20',
        '--build-context',
        'assets=../assets',
        '--label',
        'org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37',
        '--label',
        'org.opencontainers.image.title=app',
        '--annotation',
        'index:org.opencontainers.image.version=1.2.3',
        '--annotation',
        'manifest:org.opencontainers.image.version=1.2.3',
        '--secret',
        'id=npmrc,src=/tmp/multiarch-x/secret-npmrc',
        '--secret',
        'id=token,env=GH_TOKEN',
        '--ssh',
        'default',
        '--ssh',
        'deploy=/home/runner/.ssh/id_ed25519',
        '--network',
        'host',
        '--add-host',
        'registry.local:10.0.0.5',
        '--add-host',
        'cache.local:10.0.0.6',
        '--shm-size',
        '2g',
        '--ulimit',
        'nofile=1024:2048',
        '--ulimit',
        'nproc=512',
        '--provenance=false',
        '--sbom=true',
        '--no-cache',
        '--no-cache-filter',
        'deps,test',
        '--pull',
        '--cache-from',
        'type=registry,ref=ghcr.io/octo/app:buildcache',
        '--cache-from',
        'type=registry,ref=ghcr.io/octo/app:buildcache-main',
        '--cache-to',
        'type=registry,ref=ghcr.io/octo/app:buildcache,mode=max,ignore-error=true',
        '--output',
        'type=image,name=ghcr.io/octo/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true',
        'src'
      ]
    },
    {
      name: 'provenance mode=max and sbom=false are passed as given',
      spec: spec({ provenance: 'mode=max', sbom: 'false' }),
      expected: [
        'build',
        '--builder',
        'multiarch-7001-1-a1b2c3',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/amd64',
        '--provenance=mode=max',
        '--sbom=false',
        '.'
      ]
    },
    {
      name: 'a label value with spaces and = stays one argument',
      spec: spec({ labels: { 'org.opencontainers.image.description': 'An app = good' } }),
      expected: [
        'build',
        '--builder',
        'multiarch-7001-1-a1b2c3',
        '--progress',
        'plain',
        '--metadata-file',
        '/tmp/multiarch-x/metadata.json',
        '--platform',
        'linux/amd64',
        '--label',
        'org.opencontainers.image.description=An app = good',
        '.'
      ]
    }
  ])('$name', ({ spec, expected }) => {
    expect(buildArgv(spec)).toEqual(expected);
  });
});

/** The docker-container builder with nothing optional set. */
function builder(over: Partial<BuilderSpec> = {}): BuilderSpec {
  return {
    name: 'multiarch-7001-1-a1b2c3',
    driver: 'docker-container',
    endpoint: '',
    buildkitImage: 'moby/buildkit:v0.32.2',
    driverOpts: [],
    buildkitdConfig: '',
    buildkitdFlags: '',
    ...over
  };
}

// These commands need a Docker engine, which this machine does not have: the exact argv is their coverage.
describe('createBuilderArgv', () => {
  test.each([
    {
      name: 'docker-container: the pinned BuildKit image is added',
      spec: builder(),
      expected: [
        'create',
        '--name',
        'multiarch-7001-1-a1b2c3',
        '--driver',
        'docker-container',
        '--driver-opt',
        'image=moby/buildkit:v0.32.2'
      ]
    },
    {
      name: 'docker-container: a mirror image',
      spec: builder({ buildkitImage: 'mirror.gcr.io/moby/buildkit:v0.32.2' }),
      expected: [
        'create',
        '--name',
        'multiarch-7001-1-a1b2c3',
        '--driver',
        'docker-container',
        '--driver-opt',
        'image=mirror.gcr.io/moby/buildkit:v0.32.2'
      ]
    },
    {
      name: 'docker-container: the image goes first, then the user driver-opts',
      spec: builder({ driverOpts: ['network=host', 'env.BUILDKIT_STEP_LOG_MAX_SIZE=10485760'] }),
      expected: [
        'create',
        '--name',
        'multiarch-7001-1-a1b2c3',
        '--driver',
        'docker-container',
        '--driver-opt',
        'image=moby/buildkit:v0.32.2',
        '--driver-opt',
        'network=host',
        '--driver-opt',
        'env.BUILDKIT_STEP_LOG_MAX_SIZE=10485760'
      ]
    },
    {
      name: "docker-container: the user's image= wins over buildkit-image",
      spec: builder({ driverOpts: ['network=host', 'image=registry.local/buildkit:custom'] }),
      expected: [
        'create',
        '--name',
        'multiarch-7001-1-a1b2c3',
        '--driver',
        'docker-container',
        '--driver-opt',
        'network=host',
        '--driver-opt',
        'image=registry.local/buildkit:custom'
      ]
    },
    {
      name: 'docker-container: buildkitd config and flags',
      spec: builder({
        buildkitdConfig: '/etc/buildkitd.toml',
        buildkitdFlags: '--allow-insecure-entitlement network.host --debug'
      }),
      expected: [
        'create',
        '--name',
        'multiarch-7001-1-a1b2c3',
        '--driver',
        'docker-container',
        '--driver-opt',
        'image=moby/buildkit:v0.32.2',
        '--buildkitd-config',
        '/etc/buildkitd.toml',
        '--buildkitd-flags',
        '--allow-insecure-entitlement network.host --debug'
      ]
    },
    {
      name: 'remote: the endpoint last, no image added',
      spec: builder({ driver: 'remote', endpoint: 'tcp://buildkitd:1234' }),
      expected: ['create', '--name', 'multiarch-7001-1-a1b2c3', '--driver', 'remote', 'tcp://buildkitd:1234']
    },
    {
      name: 'remote: driver-opts kept, buildkitd-flags dropped (it does not start buildkitd)',
      spec: builder({
        driver: 'remote',
        endpoint: 'unix:///run/buildkit/buildkitd.sock',
        driverOpts: ['cacert=/certs/ca.pem'],
        buildkitdFlags: '--debug'
      }),
      expected: [
        'create',
        '--name',
        'multiarch-7001-1-a1b2c3',
        '--driver',
        'remote',
        '--driver-opt',
        'cacert=/certs/ca.pem',
        'unix:///run/buildkit/buildkitd.sock'
      ]
    }
  ])('$name', ({ spec, expected }) => {
    expect(createBuilderArgv(spec)).toEqual(expected);
  });

  // buildx 0.36.1 refuses it: "setting config file is not supported for remote driver", so the
  // Builder phase fails. Remove `.failing` once the input is rejected or the flag left out.
  test('BUG: remote driver gets --buildkitd-config, which buildx create refuses', () => {
    const argv = createBuilderArgv(
      builder({ driver: 'remote', endpoint: 'tcp://buildkitd:1234', buildkitdConfig: '/etc/buildkitd.toml' })
    );
    expect(argv).not.toContain('--buildkitd-config');
  });
});
