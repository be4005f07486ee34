import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import type { Inputs } from '../../src/plan/inputs.js';
import type { Context } from '../../src/plan/context.js';
import { context, SHA } from '../support/context.js';
import { InputError } from '../../src/plan/errors.js';
import { makePlan, type Plan, type PlanIds } from '../../src/plan/plan.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import type { Step } from '../../src/plan/steps.js';

/** The plan's step of one kind (each appears at most once in these plans). */
function stepOf<K extends Step['kind']>(p: Plan, kind: K): Extract<Step, { kind: K }> | undefined {
  return p.steps.find((s): s is Extract<Step, { kind: K }> => s.kind === kind);
}
const argvOf = (p: Plan): string[] => stepOf(p, 'build')?.argv ?? [];

const NOW = new Date('2024-03-05T14:07:09.042Z');
const AMD64_HOST = nativePlatform('x64', 'linux');

const CONTEXT: Context = context({ commitDate: new Date('2024-03-01T09:30:00Z') });

const IDS: PlanIds = {
  builderName: 'multiarch-7001-1-a1b2c3',
  metadataFile: '/tmp/multiarch-x/metadata.json',
  secretPaths: {},
  runId: '7001'
};

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'plan-test-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function inputs(given: Record<string, string | undefined>): Inputs {
  return readInputs((name) => given[name] ?? '', workspace);
}

function plan(given: Record<string, string | undefined>, context: Context = CONTEXT, ids: PlanIds = IDS): Plan {
  return makePlan(inputs(given), context, AMD64_HOST, NOW, ids);
}

const HEAD = [
  'build',
  '--builder',
  'multiarch-7001-1-a1b2c3',
  '--progress',
  'plain',
  '--metadata-file',
  '/tmp/multiarch-x/metadata.json'
];
const LABELS = {
  'org.opencontainers.image.created': '2024-03-01T09:30:00.000Z',
  'org.opencontainers.image.revision': SHA,
  'org.opencontainers.image.source': 'https://github.com/octo/app',
  'org.opencontainers.image.title': 'app',
  'org.opencontainers.image.url': 'https://github.com/octo/app',
  'org.opencontainers.image.version': 'main'
};
const LABEL_ARGS = [
  '--label',
  'org.opencontainers.image.created=2024-03-01T09:30:00.000Z',
  '--label',
  `org.opencontainers.image.revision=${SHA}`,
  '--label',
  'org.opencontainers.image.source=https://github.com/octo/app',
  '--label',
  'org.opencontainers.image.title=app',
  '--label',
  'org.opencontainers.image.url=https://github.com/octo/app',
  '--label',
  'org.opencontainers.image.version=main'
];
const MANIFEST_ANNOTATIONS = [
  'manifest:org.opencontainers.image.created=2024-03-01T09:30:00.000Z',
  `manifest:org.opencontainers.image.revision=${SHA}`,
  'manifest:org.opencontainers.image.source=https://github.com/octo/app',
  'manifest:org.opencontainers.image.title=app',
  'manifest:org.opencontainers.image.url=https://github.com/octo/app',
  'manifest:org.opencontainers.image.version=main'
];
const INDEX_ANNOTATIONS = MANIFEST_ANNOTATIONS.map((a) => a.replace(/^manifest:/, 'index:'));
const PUSH_OUTPUT = [
  '--output',
  'type=image,name=ghcr.io/octo/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true'
];
const WRITE = 'mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true';

describe('makePlan: build mode', () => {
  const result = (): Plan => plan({ images: 'ghcr.io/octo/app' });

  test('one build of every platform, pushed by digest, with the registry cache', () => {
    expect(argvOf(result())).toEqual([
      ...HEAD,
      '--platform',
      'linux/amd64,linux/arm64',
      ...LABEL_ARGS,
      ...INDEX_ANNOTATIONS.flatMap((a) => ['--annotation', a]),
      ...MANIFEST_ANNOTATIONS.flatMap((a) => ['--annotation', a]),
      '--provenance=mode=min',
      '--sbom=false',
      '--cache-from',
      'type=registry,ref=ghcr.io/octo/app:buildcache',
      '--cache-to',
      `type=registry,ref=ghcr.io/octo/app:buildcache,${WRITE}`,
      ...PUSH_OUTPUT,
      '.'
    ]);
  });

  test('the rest of the plan', () => {
    const p = result();
    expect(p.platforms.map((x) => x.id)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(p.emulated.map((x) => x.id)).toEqual(['linux/arm64']);
    expect(p.tags.refs).toEqual(['ghcr.io/octo/app:main', 'ghcr.io/octo/app:sha-860c190']);
    expect(p.labels).toEqual(LABELS);
    expect(p.annotations).toEqual([...INDEX_ANNOTATIONS, ...MANIFEST_ANNOTATIONS]);
    expect(p.cache.refs).toEqual(['ghcr.io/octo/app:buildcache']);
    expect(p.builder).toBe('multiarch-7001-1-a1b2c3');
    expect(p.steps.map((s) => s.kind)).toEqual([
      'preflight',
      'qemu',
      'buildx',
      'builder',
      'build',
      'stage',
      'prove',
      'commit'
    ]);
    expect(stepOf(p, 'preflight')).toEqual({ kind: 'preflight', repositories: ['ghcr.io/octo/app'] });
    expect(stepOf(p, 'qemu')).toEqual({
      kind: 'qemu',
      mode: 'auto',
      image: 'tonistiigi/binfmt:qemu-v9.2.2-52',
      platforms: [expect.objectContaining({ id: 'linux/arm64' })]
    });
    expect(stepOf(p, 'buildx')).toEqual({
      kind: 'buildx',
      version: '',
      mirror: 'https://github.com/docker/buildx/releases/download'
    });
    expect(stepOf(p, 'builder')).toEqual({
      kind: 'builder',
      name: 'multiarch-7001-1-a1b2c3',
      create: [
        'create',
        '--name',
        'multiarch-7001-1-a1b2c3',
        '--driver',
        'docker-container',
        '--driver-opt',
        'image=moby/buildkit:v0.32.2'
      ],
      bootstrap: ['inspect', '--bootstrap', '--builder', 'multiarch-7001-1-a1b2c3'],
      remove: ['rm', '--force', 'multiarch-7001-1-a1b2c3']
    });
    expect(stepOf(p, 'build')?.pushTo).toBe('ghcr.io/octo/app');
    expect(stepOf(p, 'stage')).toEqual({
      kind: 'stage',
      builder: 'multiarch-7001-1-a1b2c3',
      image: 'ghcr.io/octo/app',
      mirrors: [],
      source: 'build',
      annotations: [],
      handOff: false
    });
    expect(stepOf(p, 'prove')).toEqual({
      kind: 'prove',
      builder: 'multiarch-7001-1-a1b2c3',
      repositories: ['ghcr.io/octo/app'],
      platforms: ['linux/amd64', 'linux/arm64'],
      attestations: { provenance: true, sbom: false },
      floating: [],
      handOff: false
    });
    expect(stepOf(p, 'commit')).toEqual({
      kind: 'commit',
      builder: 'multiarch-7001-1-a1b2c3',
      refs: ['ghcr.io/octo/app:main', 'ghcr.io/octo/app:sha-860c190'],
      platformTags: [],
      held: [],
      handOff: false
    });
  });

  test('a second image: push access checked in both before the build, the index staged there by digest, proven in both, its tags committed last', () => {
    const release: Context = { ...CONTEXT, ref: 'refs/tags/v1.2.3' };
    const p = plan({ images: 'ghcr.io/octo/app\nquay.io/octo/app' }, release);
    expect(p.steps.map((s) => s.kind)).toEqual([
      'preflight',
      'qemu',
      'buildx',
      'builder',
      'build',
      'stage',
      'prove',
      'commit'
    ]);
    expect(stepOf(p, 'preflight')?.repositories).toEqual(['ghcr.io/octo/app', 'quay.io/octo/app']);
    expect(stepOf(p, 'stage')?.mirrors).toEqual(['quay.io/octo/app']);
    expect(stepOf(p, 'prove')?.repositories).toEqual(['ghcr.io/octo/app', 'quay.io/octo/app']);
    expect(stepOf(p, 'prove')?.floating).toEqual(
      ['1.2', '1', 'latest'].map((tag) => ({ tag, ref: `ghcr.io/octo/app:${tag}` }))
    );
    expect(stepOf(p, 'commit')).toEqual({
      kind: 'commit',
      builder: 'multiarch-7001-1-a1b2c3',
      refs: [
        ...['1.2.3', '1.2', '1', 'v1.2.3', 'sha-860c190', 'latest'].map((t) => `ghcr.io/octo/app:${t}`),
        ...['1.2.3', '1.2', '1', 'v1.2.3', 'sha-860c190', 'latest'].map((t) => `quay.io/octo/app:${t}`)
      ],
      platformTags: [],
      held: [],
      handOff: false
    });
  });

  test('a pre-release never moves latest: the plan holds it, so the prove step does not read it', () => {
    const rc: Context = { ...CONTEXT, ref: 'refs/tags/v2.0.0-rc.1' };
    const p = plan({ images: 'ghcr.io/octo/app', flavor: 'latest=true' }, rc);
    expect(p.tags.tags).toEqual(['2.0.0-rc.1', 'v2.0.0-rc.1', 'sha-860c190', 'latest']);
    expect(stepOf(p, 'commit')?.held).toEqual([
      { tag: 'latest', current: undefined, ours: '2.0.0-rc.1', reason: 'prerelease' }
    ]);
    expect(stepOf(p, 'prove')?.floating).toEqual([]);
  });

  test.each([
    {
      name: 'true: <tag>-<platform> for every tag and platform, each moving with its tag',
      given: 'true',
      expected: ['main-amd64', 'main-arm-v7', 'sha-860c190-amd64', 'sha-860c190-arm-v7']
    },
    {
      name: 'a suffix of the user’s',
      given: '_{{platform}}_img',
      expected: ['main_amd64_img', 'main_arm-v7_img', 'sha-860c190_amd64_img', 'sha-860c190_arm-v7_img']
    }
  ])('platform-tags $name', ({ given, expected }) => {
    const p = plan({ images: 'ghcr.io/octo/app', platforms: 'linux/amd64,linux/arm/v7', 'platform-tags': given });
    const step = stepOf(p, 'commit')!;
    expect(step.platformTags.map((t) => t.ref)).toEqual(expected.map((t) => `ghcr.io/octo/app:${t}`));
    expect(step.platformTags.map((t) => [t.platform, t.of])).toEqual([
      ['linux/amd64', 'ghcr.io/octo/app:main'],
      ['linux/arm/v7', 'ghcr.io/octo/app:main'],
      ['linux/amd64', 'ghcr.io/octo/app:sha-860c190'],
      ['linux/arm/v7', 'ghcr.io/octo/app:sha-860c190']
    ]);
  });

  test.each([
    { given: 'maybe', message: /input "platform-tags": "maybe" is not accepted; expected true, false, or a suffix/ },
    { given: '-arm64', message: /holding \{\{platform\}\}/ },
    { given: '-{{platform}}' + 'x'.repeat(120), message: /input "platform-tags": "main-amd64x+" is not accepted/ }
  ])('platform-tags $given is refused before anything runs', ({ given, message }) => {
    expect(() => plan({ images: 'ghcr.io/octo/app', platforms: 'linux/amd64', 'platform-tags': given })).toThrow(
      message
    );
  });

  test('a remote builder gets no QEMU step unless qemu names a method', () => {
    const remote = { images: 'ghcr.io/octo/app', driver: 'remote', endpoint: 'tcp://buildkit:1234' };
    expect(stepOf(plan(remote), 'qemu')).toBeUndefined();
    expect(stepOf(plan({ ...remote, qemu: 'host' }), 'qemu')?.mode).toBe('host');
    expect(stepOf(plan({ images: 'ghcr.io/octo/app', qemu: 'false' }), 'qemu')).toBeUndefined();
  });
});

describe('makePlan: builder', () => {
  test.each([
    {
      name: 'remote driver: created against the endpoint',
      given: { driver: 'remote', endpoint: 'unix:///run/buildkit/buildkitd.sock' },
      expected: {
        name: 'multiarch-7001-1-a1b2c3',
        create: [
          'create',
          '--name',
          'multiarch-7001-1-a1b2c3',
          '--driver',
          'remote',
          'unix:///run/buildkit/buildkitd.sock'
        ]
      }
    },
    {
      name: 'a mirror BuildKit image',
      given: { 'buildkit-image': 'mirror.gcr.io/moby/buildkit:v0.32.2' },
      expected: {
        name: 'multiarch-7001-1-a1b2c3',
        create: [
          'create',
          '--name',
          'multiarch-7001-1-a1b2c3',
          '--driver',
          'docker-container',
          '--driver-opt',
          'image=mirror.gcr.io/moby/buildkit:v0.32.2'
        ]
      }
    },
    {
      name: 'docker driver: the default builder, nothing created',
      given: { driver: 'docker' },
      expected: { name: 'default' }
    },
    {
      name: 'an existing builder: used, nothing created',
      given: { builder: 'shared' },
      expected: { name: 'shared' }
    }
  ])('$name', ({ given, expected }) => {
    const p = plan({ images: 'ghcr.io/octo/app', ...given });
    const owned = 'create' in expected;
    expect(stepOf(p, 'builder')).toEqual({
      kind: 'builder',
      ...expected,
      bootstrap: ['inspect', '--bootstrap', '--builder', expected.name],
      ...(owned ? { remove: ['rm', '--force', expected.name] } : {})
    });
    expect(argvOf(p).slice(0, 3)).toEqual(['build', '--builder', expected.name]);
  });
});

describe('makePlan: merge mode', () => {
  test('no build, no builder, one leg per platform, one new index with the index annotations', () => {
    const p = plan({ images: 'ghcr.io/octo/app', mode: 'merge', platforms: 'linux/amd64,linux/arm64,linux/arm/v7' });
    expect(p.steps.map((s) => s.kind)).toEqual([
      'preflight',
      'buildx',
      'find-legs',
      'stage',
      'prove',
      'commit',
      'remove-legs'
    ]);
    expect(stepOf(p, 'remove-legs')).toEqual({
      kind: 'remove-legs',
      legs: [
        'ghcr.io/octo/app:leg-860c190-7001-linux-amd64',
        'ghcr.io/octo/app:leg-860c190-7001-linux-arm64',
        'ghcr.io/octo/app:leg-860c190-7001-linux-arm-v7'
      ]
    });
    expect(p.builder).toBe('');
    expect(p.cache).toEqual({ from: [], to: [], refs: [] });
    expect(stepOf(p, 'find-legs')?.legs.map((l) => [l.platform.id, l.ref])).toEqual([
      ['linux/amd64', 'ghcr.io/octo/app:leg-860c190-7001-linux-amd64'],
      ['linux/arm64', 'ghcr.io/octo/app:leg-860c190-7001-linux-arm64'],
      ['linux/arm/v7', 'ghcr.io/octo/app:leg-860c190-7001-linux-arm-v7']
    ]);
    expect(p.tags.refs).toEqual(['ghcr.io/octo/app:main', 'ghcr.io/octo/app:sha-860c190']);
    expect(stepOf(p, 'find-legs')?.attestations).toEqual({ provenance: true, sbom: false });
    expect(stepOf(p, 'stage')).toEqual({
      kind: 'stage',
      builder: '',
      image: 'ghcr.io/octo/app',
      mirrors: [],
      source: 'legs',
      annotations: INDEX_ANNOTATIONS,
      handOff: false
    });
    expect(stepOf(p, 'commit')?.refs).toEqual(['ghcr.io/octo/app:main', 'ghcr.io/octo/app:sha-860c190']);
  });

  test('explicit digests are checked against the platforms, not looked for', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const p = plan({ images: 'ghcr.io/octo/app', mode: 'merge', platforms: 'linux/amd64', digests: digest });
    expect(stepOf(p, 'check-digests')).toEqual({
      kind: 'check-digests',
      builder: '',
      platforms: [expect.objectContaining({ id: 'linux/amd64' })],
      refs: [`ghcr.io/octo/app@${digest}`],
      attestations: { provenance: true, sbom: false }
    });
    expect(stepOf(p, 'stage')?.source).toBe('digests');
    // After the commit, this run's hand-off tag goes only if it names a given digest.
    expect(p.steps.map((s) => s.kind)).toEqual([
      'preflight',
      'buildx',
      'check-digests',
      'stage',
      'prove',
      'commit',
      'remove-legs'
    ]);
    expect(stepOf(p, 'remove-legs')).toEqual({
      kind: 'remove-legs',
      legs: [`ghcr.io/octo/app:leg-860c190-7001-linux-amd64`],
      ofDigests: true
    });
  });

  test('legs are looked for under the run id given', () => {
    const p = plan({ images: 'ghcr.io/octo/app', mode: 'merge', platforms: 'linux/riscv64' }, CONTEXT, {
      ...IDS,
      runId: 'release-42'
    });
    expect(stepOf(p, 'find-legs')?.legs.map((l) => l.ref)).toEqual([
      'ghcr.io/octo/app:leg-860c190-release-42-linux-riscv64'
    ]);
  });
});

describe('makePlan: platform mode (one matrix leg)', () => {
  test('one leg, its own cache, pushed by digest', () => {
    const p = plan({ images: 'ghcr.io/octo/app', mode: 'platform', platforms: 'linux/arm64' });
    expect(stepOf(p, 'stage')).toEqual({
      kind: 'stage',
      builder: 'multiarch-7001-1-a1b2c3',
      image: 'ghcr.io/octo/app',
      mirrors: [],
      source: 'build',
      annotations: [],
      handOff: true
    });
    expect(stepOf(p, 'commit')).toEqual({
      kind: 'commit',
      builder: 'multiarch-7001-1-a1b2c3',
      refs: ['ghcr.io/octo/app:leg-860c190-7001-linux-arm64'],
      platformTags: [],
      held: [],
      handOff: true
    });
    expect(p.warnings).toEqual([]);
    expect(p.cache).toEqual({
      from: ['type=registry,ref=ghcr.io/octo/app:buildcache-linux-arm64'],
      to: [`type=registry,ref=ghcr.io/octo/app:buildcache-linux-arm64,${WRITE}`],
      refs: ['ghcr.io/octo/app:buildcache-linux-arm64']
    });
    expect(argvOf(p)).toEqual([
      ...HEAD,
      '--platform',
      'linux/arm64',
      ...LABEL_ARGS,
      ...MANIFEST_ANNOTATIONS.flatMap((a) => ['--annotation', a]),
      '--provenance=mode=min',
      '--sbom=false',
      '--cache-from',
      'type=registry,ref=ghcr.io/octo/app:buildcache-linux-arm64',
      '--cache-to',
      `type=registry,ref=ghcr.io/octo/app:buildcache-linux-arm64,${WRITE}`,
      ...PUSH_OUTPUT,
      '.'
    ]);
  });

  test('a leg on a pull request reads the default branch cache of its platform', () => {
    const pr: Context = {
      ...CONTEXT,
      eventName: 'pull_request',
      ref: 'refs/pull/12/merge',
      pr: { number: 12, baseRef: 'main', headRef: 'fix' }
    };
    const p = plan({ images: 'ghcr.io/octo/app', mode: 'platform', platforms: 'linux/amd64' }, pr);
    expect(p.cache.from).toEqual([
      'type=registry,ref=ghcr.io/octo/app:buildcache-linux-amd64-pr-12',
      'type=registry,ref=ghcr.io/octo/app:buildcache-linux-amd64'
    ]);
    expect(p.cache.to).toEqual([`type=registry,ref=ghcr.io/octo/app:buildcache-linux-amd64-pr-12,${WRITE}`]);
  });

  test.each([
    { name: 'a pull request that does not push', push: 'false', fork: false },
    { name: "a fork's pull request, even pushing", push: 'true', fork: true }
  ])("$name reads the default branch's cache and writes none", ({ push, fork }) => {
    const pr: Context = {
      ...CONTEXT,
      eventName: 'pull_request',
      ref: 'refs/pull/12/merge',
      pr: { number: 12, baseRef: 'main', headRef: 'fix', fork }
    };
    const p = plan({ images: 'ghcr.io/octo/app', push, tags: 'type=ref,event=pr' }, pr);
    expect(p.cache).toEqual({
      from: ['type=registry,ref=ghcr.io/octo/app:buildcache'],
      to: [],
      refs: ['ghcr.io/octo/app:buildcache']
    });
  });

  test('a leg needs no tag of its own', () => {
    const p = plan({
      images: 'ghcr.io/octo/app',
      mode: 'platform',
      platforms: 'linux/arm64',
      tags: 'type=ref,event=tag'
    });
    expect(p.tags.refs).toEqual([]);
    expect(stepOf(p, 'commit')?.refs).toEqual(['ghcr.io/octo/app:leg-860c190-7001-linux-arm64']);
  });
});

describe('makePlan: load mode', () => {
  test('loaded with every tag, no annotations, the cache read and not written', () => {
    const p = plan({ images: 'octo/app', push: 'false', load: 'true', platforms: 'linux/arm64' });
    expect(p.steps.map((s) => s.kind)).toEqual(['qemu', 'buildx', 'builder', 'build']);
    expect(stepOf(p, 'build')?.pushTo).toBeUndefined();
    expect(argvOf(p)).toEqual([
      ...HEAD,
      '--platform',
      'linux/arm64',
      ...LABEL_ARGS,
      '--provenance=false',
      '--sbom=false',
      '--cache-from',
      'type=registry,ref=octo/app:buildcache',
      '--tag',
      'octo/app:main',
      '--tag',
      'octo/app:sha-860c190',
      '--load',
      '.'
    ]);
  });

  test('pushed by digest and loaded: the tags name the loaded image only', () => {
    const p = plan({ images: 'octo/app', push: 'true', load: 'true', platforms: 'linux/arm64' });
    expect(stepOf(p, 'build')?.pushTo).toBe('octo/app');
    expect(argvOf(p).slice(argvOf(p).indexOf('--provenance=false'))).toEqual([
      '--provenance=false',
      '--sbom=false',
      '--cache-from',
      'type=registry,ref=octo/app:buildcache',
      '--cache-to',
      `type=registry,ref=octo/app:buildcache,${WRITE}`,
      '--output',
      'type=image,name=octo/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true',
      '--output',
      'type=docker,"name=octo/app:main,octo/app:sha-860c190"',
      '.'
    ]);
    expect(argvOf(p)).not.toContain('--tag');
  });

  test('build only: no output at all', () => {
    const p = plan({ push: 'false', platforms: 'linux/amd64', provenance: 'false' });
    expect(p.steps.map((s) => s.kind)).toEqual(['buildx', 'builder', 'build']);
    expect(argvOf(p)).toEqual([
      ...HEAD,
      '--platform',
      'linux/amd64',
      ...LABEL_ARGS,
      '--provenance=false',
      '--sbom=false',
      '.'
    ]);
  });
});

describe('makePlan: secrets and options reach the argv', () => {
  test('secret specs, build args, explicit cache', () => {
    const p = plan(
      {
        images: 'ghcr.io/octo/app',
        platforms: 'linux/amd64',
        'build-args': 'V=1',
        'cache-from': 'type=gha',
        'cache-to': 'type=gha,mode=max',
        target: 'runtime',
        secrets: 'npm=s3cret-value',
        'secret-envs': 'gh=GITHUB_TOKEN',
        'secret-files': 'cfg=Dockerfile'
      },
      CONTEXT,
      { ...IDS, secretPaths: { npm: '/tmp/multiarch-x/secret-npm' } }
    );
    expect(argvOf(p)).toEqual([
      ...HEAD,
      '--platform',
      'linux/amd64',
      '--target',
      'runtime',
      '--build-arg',
      'V=1',
      ...LABEL_ARGS,
      // One platform with provenance (the default) is pushed as an index: it gets the index's annotations too.
      ...[...INDEX_ANNOTATIONS, ...MANIFEST_ANNOTATIONS].flatMap((a) => ['--annotation', a]),
      '--secret',
      'id=npm,src=/tmp/multiarch-x/secret-npm',
      '--secret',
      'id=gh,env=GITHUB_TOKEN',
      '--secret',
      'id=cfg,src=Dockerfile',
      '--provenance=mode=min',
      '--sbom=false',
      '--cache-from',
      'type=gha',
      '--cache-to',
      'type=gha,mode=max,ignore-error=true',
      ...PUSH_OUTPUT,
      '.'
    ]);
  });
});

describe('makePlan: push with rules that give no tag', () => {
  test.each([
    {
      name: 'a tag-only rule on a branch push',
      given: { tags: 'type=ref,event=tag' },
      context: CONTEXT,
      value: 'type=ref,event=tag',
      accepted: 'a push event on refs/heads/main'
    },
    {
      name: 'two rules, neither applies',
      given: { tags: 'type=semver,pattern={{version}}\ntype=schedule' },
      context: CONTEXT,
      value: 'type=semver,pattern={{version}}\ntype=schedule',
      accepted: 'a push event on refs/heads/main'
    },
    {
      name: 'merge mode too',
      given: { tags: 'type=ref,event=pr', mode: 'merge', platforms: 'linux/amd64,linux/arm64' },
      context: { ...CONTEXT, ref: 'refs/tags/v1.0.0' },
      value: 'type=ref,event=pr',
      accepted: 'a push event on refs/tags/v1.0.0'
    }
  ])('$name → InputError naming tags', ({ given, context, value, accepted }) => {
    let error: unknown;
    try {
      plan({ images: 'ghcr.io/octo/app', ...given }, context);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('tags');
    expect((error as InputError).value).toBe(value);
    expect((error as InputError).message).toContain('rules that give at least one tag for');
    expect((error as InputError).message).toContain(accepted);
  });

  test('without push, no tag is fine', () => {
    expect(plan({ push: 'false', tags: 'type=ref,event=tag' }).tags.refs).toEqual([]);
  });
});
