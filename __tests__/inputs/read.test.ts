import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import type { Inputs } from '../../src/plan/inputs.js';
import { InputError } from '../../src/plan/errors.js';
import { errorOf } from '../support/errors.js';

/*
 * A workspace with:  Dockerfile, app/Dockerfile, docker/Dockerfile.prod, empty/ (no Dockerfile),
 * and notadir (a file).
 */
let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'inputs-test-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
  mkdirSync(path.join(workspace, 'app'));
  writeFileSync(path.join(workspace, 'app', 'Dockerfile'), 'FROM scratch\n');
  mkdirSync(path.join(workspace, 'docker'));
  writeFileSync(path.join(workspace, 'docker', 'Dockerfile.prod'), 'FROM scratch\n');
  mkdirSync(path.join(workspace, 'empty'));
  writeFileSync(path.join(workspace, 'notadir'), '');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

/** The action's inputs as a workflow gives them: '' for anything not set. */
function read(given: Record<string, string | undefined>): Inputs {
  return readInputs((name) => given[name] ?? '', workspace, nativePlatform('x64', 'linux'), 'push');
}

const IMAGE = { images: 'ghcr.io/octo/app' };
// Build only: no push, so no image is needed.
const LOCAL = { push: 'false' };

describe('readInputs: good inputs', () => {
  test('defaults: build mode, two platforms, push, cache auto, qemu auto', () => {
    expect(read(IMAGE)).toEqual({
      mode: 'build',
      images: ['ghcr.io/octo/app'],
      platforms: [
        { os: 'linux', arch: 'amd64', variant: undefined, id: 'linux/amd64' },
        { os: 'linux', arch: 'arm64', variant: undefined, id: 'linux/arm64' }
      ],
      tagRules: [
        { raw: 'type=schedule', enable: 'true', priority: 1000, type: 'schedule', pattern: 'nightly' },
        { raw: 'type=ref,event=branch', enable: 'true', priority: 600, type: 'ref', event: 'branch' },
        { raw: 'type=ref,event=tag', enable: 'true', priority: 500, type: 'ref', event: 'tag' },
        { raw: 'type=ref,event=pr', enable: 'true', priority: 400, type: 'ref', event: 'pr', prefix: 'pr-' },
        {
          raw: 'type=semver,pattern={{version}}',
          enable: 'true',
          priority: 900,
          type: 'semver',
          pattern: '{{version}}'
        },
        {
          raw: 'type=semver,pattern={{major}}.{{minor}}',
          enable: 'true',
          priority: 900,
          type: 'semver',
          pattern: '{{major}}.{{minor}}'
        },
        {
          raw: 'type=semver,pattern={{major}}',
          enable: 'true',
          priority: 900,
          type: 'semver',
          pattern: '{{major}}',
          skipMajorZero: true
        },
        { raw: 'type=sha', enable: 'true', priority: 100, type: 'sha', prefix: 'sha-', format: 'short' }
      ],
      flavor: { latest: 'auto', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false },
      labels: [],
      annotations: [],
      build: {
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
        provenance: 'mode=min',
        sbom: 'false',
        noCache: false,
        noCacheFilters: [],
        pull: false
      },
      secrets: [],
      secretEnvs: [],
      secretFiles: [],
      push: true,
      pushNote: '',
      platformTags: '',
      load: false,
      outputs: [],
      cache: 'auto',
      cacheTag: 'buildcache',
      cacheFrom: [],
      cacheTo: [],
      qemu: 'auto',
      qemuImage: 'tonistiigi/binfmt:qemu-v9.2.2-52',
      buildxVersion: '',
      buildxMirror: 'https://github.com/docker/buildx/releases/download',
      builder: '',
      driver: 'docker-container',
      driverOpts: [],
      endpoint: '',
      buildkitImage: 'moby/buildkit:v0.32.2',
      buildkitdConfig: '',
      buildkitdConfigInline: '',
      buildkitdFlags: '',
      retries: 3,
      stallTimeoutMs: 600000,
      dryRun: false,
      metadataSource: 'auto',
      digests: [],
      runId: '',
      attestationFormat: 'oci-artifact',
      signing: { mode: 'false', password: '', tlog: true, cosignVersion: 'v2.6.1' },
      nodes: [],
      emulate: true,
      nodeFallback: 'fail',
      perPlatform: {},
      runners: new Map()
    });
  });

  test.each([
    { name: 'qemu: true means auto', given: { ...IMAGE, qemu: 'true' }, pick: (i: Inputs) => i.qemu, expected: 'auto' },
    { name: 'qemu: false', given: { ...IMAGE, qemu: 'false' }, pick: (i: Inputs) => i.qemu, expected: 'false' },
    { name: 'qemu: host', given: { ...IMAGE, qemu: 'host' }, pick: (i: Inputs) => i.qemu, expected: 'host' },
    {
      name: 'upper-case image is lower-cased, not rejected',
      given: { images: 'ghcr.io/Octo/My-App' },
      pick: (i: Inputs) => i.images,
      expected: ['ghcr.io/octo/my-app']
    },
    {
      name: 'images comma separated, duplicates once',
      given: { images: 'ghcr.io/octo/app, docker.io/octo/app,GHCR.io/octo/app' },
      pick: (i: Inputs) => i.images,
      expected: ['ghcr.io/octo/app', 'docker.io/octo/app']
    },
    {
      name: 'platform aliases normalised',
      given: { ...IMAGE, platforms: 'x86_64\narmhf, aarch64' },
      pick: (i: Inputs) => i.platforms.map((p) => p.id),
      expected: ['linux/amd64', 'linux/arm/v7', 'linux/arm64']
    },
    {
      name: 'cache auto stays auto (the plan decides)',
      given: { ...LOCAL },
      pick: (i: Inputs) => i.cache,
      expected: 'auto'
    },
    {
      name: 'cache true without push',
      given: { ...LOCAL, cache: 'true' },
      pick: (i: Inputs) => i.cache,
      expected: true
    },
    {
      name: 'cache false with push',
      given: { ...IMAGE, cache: 'false' },
      pick: (i: Inputs) => i.cache,
      expected: false
    },
    {
      name: 'cache gha',
      given: { ...IMAGE, cache: 'gha' },
      pick: (i: Inputs) => i.cache,
      expected: 'gha'
    },
    {
      name: 'cache registry is auto by its name',
      given: { ...IMAGE, cache: 'registry' },
      pick: (i: Inputs) => i.cache,
      expected: 'auto'
    },
    {
      name: 'cache off is false',
      given: { ...IMAGE, cache: 'off' },
      pick: (i: Inputs) => i.cache,
      expected: false
    },
    {
      name: 'booleans in YAML spellings',
      given: { ...IMAGE, push: 'True', pull: 'TRUE', 'no-cache': 'True', 'dry-run': 'true' },
      pick: (i: Inputs) => [i.push, i.build.pull, i.build.noCache, i.dryRun],
      expected: [true, true, true, true]
    },
    {
      name: 'false spelt FALSE',
      given: { ...LOCAL, push: 'FALSE', load: 'False' },
      pick: (i: Inputs) => [i.push, i.load],
      expected: [false, false]
    },
    {
      name: 'load without platforms: the native platform, provenance off',
      given: { ...IMAGE, push: 'false', load: 'true' },
      pick: (i: Inputs) => [i.platforms.map((p) => p.id), i.build.provenance],
      expected: [['linux/amd64'], 'false']
    },
    {
      name: 'push and load one platform: both, provenance off',
      given: { ...IMAGE, push: 'true', load: 'true', platforms: 'linux/arm64' },
      pick: (i: Inputs) => [i.push, i.load, i.platforms.map((p) => p.id), i.build.provenance],
      expected: [true, true, ['linux/arm64'], 'false']
    },
    {
      name: 'load with an explicit provenance keeps it',
      given: { ...IMAGE, push: 'false', load: 'true', provenance: 'mode=max' },
      pick: (i: Inputs) => i.build.provenance,
      expected: 'mode=max'
    },
    {
      name: 'without load, provenance defaults to mode=min and platforms to two',
      given: { ...IMAGE },
      pick: (i: Inputs) => [i.build.provenance, i.platforms.map((p) => p.id)],
      expected: ['mode=min', ['linux/amd64', 'linux/arm64']]
    },
    {
      name: 'load one platform without push',
      given: { ...IMAGE, push: 'false', load: 'true', platforms: 'linux/arm64' },
      pick: (i: Inputs) => [i.load, i.platforms.map((p) => p.id)],
      expected: [true, ['linux/arm64']]
    },
    {
      name: 'a context directory with its Dockerfile',
      given: { ...IMAGE, context: 'app' },
      pick: (i: Inputs) => [i.build.context, i.build.file],
      expected: ['app', '']
    },
    {
      name: 'a file outside the context',
      given: { ...IMAGE, file: 'docker/Dockerfile.prod' },
      pick: (i: Inputs) => [i.build.context, i.build.file],
      expected: ['.', 'docker/Dockerfile.prod']
    },
    {
      name: 'a git URL context is not looked for on disk',
      given: { ...IMAGE, context: 'https://github.com/octo/app.git#main' },
      pick: (i: Inputs) => i.build.context,
      expected: 'https://github.com/octo/app.git#main'
    },
    {
      name: 'matrix mode needs no image and no context, and reads runners',
      given: { mode: 'matrix', context: 'nope', runners: 'linux/riscv64=self-hosted,riscv64' },
      pick: (i: Inputs) => [i.mode, i.images, i.runners],
      expected: ['matrix', [], new Map([['linux/riscv64', ['self-hosted', 'riscv64']]])]
    },
    {
      name: 'merge mode does not need the context',
      given: { ...IMAGE, mode: 'merge', platforms: 'linux/amd64', context: 'nope' },
      pick: (i: Inputs) => i.mode,
      expected: 'merge'
    },
    {
      name: 'merge with explicit digests needs no platforms list',
      given: { ...IMAGE, mode: 'merge', digests: `sha256:${'a'.repeat(64)}` },
      pick: (i: Inputs) => i.digests,
      expected: [`sha256:${'a'.repeat(64)}`]
    },
    {
      name: 'remote driver with its endpoint',
      given: { ...IMAGE, driver: 'remote', endpoint: 'tcp://buildkitd:1234' },
      pick: (i: Inputs) => [i.driver, i.endpoint],
      expected: ['remote', 'tcp://buildkitd:1234']
    },
    {
      name: 'retries and stall-timeout bounds',
      given: { ...IMAGE, retries: '10', 'stall-timeout': '0' },
      pick: (i: Inputs) => [i.retries, i.stallTimeoutMs],
      expected: [10, 0]
    },
    {
      name: 'stall-timeout in seconds',
      given: { ...IMAGE, 'stall-timeout': '90' },
      pick: (i: Inputs) => i.stallTimeoutMs,
      expected: 90000
    },
    {
      name: 'values trimmed',
      given: { images: ' ghcr.io/octo/app ', retries: ' 2 ', 'run-id': ' 7001-a ' },
      pick: (i: Inputs) => [i.images, i.retries, i.runId],
      expected: [['ghcr.io/octo/app'], 2, '7001-a']
    },
    {
      name: 'build-args keep their commas',
      given: { ...IMAGE, 'build-args': 'LIST=a,b\nV=1' },
      pick: (i: Inputs) => i.build.buildArgs,
      expected: ['LIST=a,b', 'V=1']
    },
    {
      name: 'no-cache-filters comma separated',
      given: { ...IMAGE, 'no-cache-filters': 'deps, test' },
      pick: (i: Inputs) => i.build.noCacheFilters,
      expected: ['deps', 'test']
    },
    {
      name: 'buildkitd-config-inline kept as written',
      given: { ...IMAGE, 'buildkitd-config-inline': '[registry."r"]\n  http = true\n' },
      pick: (i: Inputs) => i.buildkitdConfigInline,
      expected: '[registry."r"]\n  http = true\n'
    }
  ])('$name', ({ given, pick, expected }) => {
    expect(pick(read(given))).toEqual(expected);
  });
});

/** One row: the inputs given, then the input the error must name, the value it must show and part of what it accepts. */
interface BadCase {
  name: string;
  given: Record<string, string>;
  input: string;
  value: string;
  accepted: string;
}

const BOOLEANS: BadCase[] = ['push', 'load', 'no-cache', 'pull', 'dry-run'].flatMap((input) =>
  ['yes', 'ture', '1'].map((value) => ({
    name: `${input}: ${value}`,
    given: { ...IMAGE, [input]: value },
    input,
    value,
    accepted: 'true or false'
  }))
);

describe('readInputs: the bad-input table', () => {
  test.each<BadCase>([
    {
      name: 'unknown platform, with a suggestion',
      given: { ...IMAGE, platforms: 'linux/amd46' },
      input: 'platforms',
      value: 'linux/amd46',
      accepted: 'did you mean linux/amd64?'
    },
    {
      name: 'misspelt os',
      given: { ...IMAGE, platforms: 'linx/arm64' },
      input: 'platforms',
      value: 'linx/arm64',
      accepted: 'did you mean linux/arm64?'
    },
    {
      name: 'not a platform at all, no suggestion',
      given: { ...IMAGE, platforms: 'windows/amd64' },
      input: 'platforms',
      value: 'windows/amd64',
      accepted: 'one of linux/amd64, linux/amd64/v2'
    },
    {
      name: 'the same platform twice under two names',
      given: { ...IMAGE, platforms: 'linux/arm64,linux/aarch64' },
      input: 'platforms',
      value: 'linux/aarch64',
      accepted: 'each platform once, but this is linux/arm64, already given as "linux/arm64"'
    },
    {
      name: 'image with a space',
      given: { images: 'ghcr.io/octo/my app' },
      input: 'images',
      value: 'ghcr.io/octo/my app',
      accepted: '"my app" is not a valid path component'
    },
    {
      name: 'image with a tag',
      given: { images: 'ghcr.io/acme/app:tag' },
      input: 'images',
      value: 'ghcr.io/acme/app:tag',
      accepted: 'a tag is not accepted in an image name'
    },
    {
      name: 'image with ..',
      given: { images: 'ghcr.io/acme/..' },
      input: 'images',
      value: 'ghcr.io/acme/..',
      accepted: '".." is not a valid path component'
    },
    {
      name: 'image with a digest',
      given: { images: `ghcr.io/acme/app@sha256:${'a'.repeat(64)}` },
      input: 'images',
      value: `ghcr.io/acme/app@sha256:${'a'.repeat(64)}`,
      accepted: 'a digest is not accepted'
    },
    {
      name: 'image path ending in a separator',
      given: { images: 'acme/app-' },
      input: 'images',
      value: 'acme/app-',
      accepted: '"app-" is not a valid path component'
    },
    { name: 'images empty with push true', given: {}, input: 'images', value: '', accepted: 'at least one image name' },
    {
      name: 'images empty in platform mode',
      given: { push: 'false', mode: 'platform' },
      input: 'images',
      value: '',
      accepted: 'at least one image name'
    },
    {
      name: 'images empty with load',
      given: { push: 'false', load: 'true', platforms: 'linux/amd64' },
      input: 'images',
      value: '',
      accepted: 'at least one image name'
    },
    {
      name: 'unknown tag type',
      given: { ...IMAGE, tags: 'type=semvar,pattern={{version}}' },
      input: 'tags',
      value: 'type=semvar,pattern={{version}}',
      accepted: 'unknown type "semvar"'
    },
    {
      name: 'unknown sha format',
      given: { ...IMAGE, tags: 'type=sha,format=medium' },
      input: 'tags',
      value: 'type=sha,format=medium',
      accepted: 'format must be short or long, not "medium"'
    },
    {
      name: 'tag rule enable=yes',
      given: { ...IMAGE, tags: 'type=sha,enable=yes' },
      input: 'tags',
      value: 'type=sha,enable=yes',
      accepted: 'enable must be true, false or an expression'
    },
    {
      name: 'tag rule with an unknown expression',
      given: { ...IMAGE, tags: 'type=raw,value={{branchname}}' },
      input: 'tags',
      value: 'type=raw,value={{branchname}}',
      accepted: 'unknown expression {{branchname}}'
    },
    {
      name: 'semver without pattern',
      given: { ...IMAGE, tags: 'type=semver' },
      input: 'tags',
      value: 'type=semver',
      accepted: 'type=semver needs pattern='
    },
    {
      name: 'flavor latest=maybe',
      given: { ...IMAGE, flavor: 'latest=maybe' },
      input: 'flavor',
      value: 'latest=maybe',
      accepted: 'latest must be auto, true or false'
    },
    {
      name: 'unknown driver',
      given: { ...IMAGE, driver: 'docker-containr' },
      input: 'driver',
      value: 'docker-containr',
      accepted: 'one of docker-container, remote, docker'
    },
    {
      name: 'remote without endpoint',
      given: { ...IMAGE, driver: 'remote' },
      input: 'endpoint',
      value: '',
      accepted: 'the BuildKit address (tcp://host:1234 or unix:///path) when driver is remote'
    },
    {
      name: 'endpoint without remote',
      given: { ...IMAGE, endpoint: 'tcp://buildkitd:1234' },
      input: 'endpoint',
      value: 'tcp://buildkitd:1234',
      accepted: 'empty unless driver is remote'
    },
    {
      name: 'load with two platforms given',
      given: { ...IMAGE, push: 'false', load: 'true', platforms: 'linux/amd64,linux/arm64' },
      input: 'platforms',
      value: 'linux/amd64,linux/arm64',
      accepted:
        'one platform when load is true (the local image store holds one platform per tag); leave platforms empty for the native one'
    },
    {
      name: 'push and load with two platforms',
      given: { ...IMAGE, push: 'true', load: 'true', platforms: 'linux/amd64,linux/arm64' },
      input: 'platforms',
      value: 'linux/amd64,linux/arm64',
      accepted: 'one platform when load is true'
    },
    {
      name: 'missing Dockerfile given as file',
      given: { ...IMAGE, file: 'docker/Dockerfile.missing' },
      input: 'file',
      value: 'docker/Dockerfile.missing',
      accepted: 'an existing Dockerfile'
    },
    {
      name: 'context without a Dockerfile',
      given: { ...IMAGE, context: 'empty' },
      input: 'file',
      value: 'empty/Dockerfile',
      accepted: 'an existing Dockerfile'
    },
    {
      name: 'missing context directory',
      given: { ...IMAGE, context: 'nope' },
      input: 'context',
      value: 'nope',
      accepted: 'an existing directory'
    },
    {
      name: 'context is a file',
      given: { ...IMAGE, context: 'notadir' },
      input: 'context',
      value: 'notadir',
      accepted: 'an existing directory'
    },
    ...BOOLEANS,
    {
      name: 'cache: yes',
      given: { ...IMAGE, cache: 'yes' },
      input: 'cache',
      value: 'yes',
      accepted: 'auto, registry, gha, off, true or false'
    },
    {
      name: 'qemu: maybe',
      given: { ...IMAGE, qemu: 'maybe' },
      input: 'qemu',
      value: 'maybe',
      accepted: 'one of auto, binfmt-image, host, false'
    },
    {
      name: 'retries: -1',
      given: { ...IMAGE, retries: '-1' },
      input: 'retries',
      value: '-1',
      accepted: 'a whole number from 0 to 10'
    },
    {
      name: 'retries: abc',
      given: { ...IMAGE, retries: 'abc' },
      input: 'retries',
      value: 'abc',
      accepted: 'a whole number from 0 to 10'
    },
    {
      name: 'retries: 11',
      given: { ...IMAGE, retries: '11' },
      input: 'retries',
      value: '11',
      accepted: 'a whole number from 0 to 10'
    },
    {
      name: 'retries: 2.5',
      given: { ...IMAGE, retries: '2.5' },
      input: 'retries',
      value: '2.5',
      accepted: 'a whole number from 0 to 10'
    },
    {
      name: 'stall-timeout: soon',
      given: { ...IMAGE, 'stall-timeout': 'soon' },
      input: 'stall-timeout',
      value: 'soon',
      accepted: 'a whole number from 0 to 86400'
    },
    {
      name: 'stall-timeout: 10m',
      given: { ...IMAGE, 'stall-timeout': '10m' },
      input: 'stall-timeout',
      value: '10m',
      accepted: 'a whole number from 0 to 86400'
    },
    {
      name: 'cache-tag with /',
      given: { ...IMAGE, 'cache-tag': 'cache/main' },
      input: 'cache-tag',
      value: 'cache/main',
      accepted: 'a tag name of letters, digits, _ . -'
    },
    {
      name: 'cache-tag starting with -',
      given: { ...IMAGE, 'cache-tag': '-cache' },
      input: 'cache-tag',
      value: '-cache',
      accepted: 'a tag name of letters, digits, _ . -'
    },
    {
      name: 'metadata-source: svn',
      given: { ...IMAGE, 'metadata-source': 'svn' },
      input: 'metadata-source',
      value: 'svn',
      accepted: 'one of auto, workflow, git'
    },
    {
      name: 'mode: matrics',
      given: { ...IMAGE, mode: 'matrics' },
      input: 'mode',
      value: 'matrics',
      accepted: 'one of build, platform, merge, matrix'
    },
    {
      name: 'runners: a line with no runner',
      given: { mode: 'matrix', runners: 'linux/s390x=' },
      input: 'runners',
      value: 'linux/s390x=',
      accepted: 'one PLATFORM=RUNNER a line'
    },
    {
      name: 'merge without platforms or digests',
      given: { ...IMAGE, mode: 'merge' },
      input: 'platforms',
      value: '',
      accepted: 'the list of platforms every matrix leg built'
    },
    {
      name: 'buildkitd-config with the remote driver',
      given: { ...IMAGE, driver: 'remote', endpoint: 'tcp://b:1234', 'buildkitd-config': 'bk.toml' },
      input: 'buildkitd-config',
      value: 'bk.toml',
      accepted: 'empty with driver remote'
    },
    {
      name: 'buildkitd-flags with the docker driver',
      given: { ...IMAGE, driver: 'docker', 'buildkitd-flags': '--debug' },
      input: 'buildkitd-flags',
      value: '--debug',
      accepted: 'empty with driver docker'
    },
    {
      name: 'buildx-version newest',
      given: { ...IMAGE, 'buildx-version': 'newest' },
      input: 'buildx-version',
      value: 'newest',
      accepted: 'a release version like v0.36.1, or latest'
    },
    {
      name: 'run-id with spaces',
      given: { ...IMAGE, 'run-id': 'run 7001' },
      input: 'run-id',
      value: 'run 7001',
      accepted: 'letters, digits, _ . - (at most 40)'
    },
    {
      name: 'run-id over 40 characters',
      given: { ...IMAGE, 'run-id': 'r'.repeat(41) },
      input: 'run-id',
      value: 'r'.repeat(41),
      accepted: 'letters, digits, _ . - (at most 40)'
    }
  ])('$name', ({ given, input, value, accepted }) => {
    const error = errorOf(InputError, () => read(given));
    expect(error.input).toBe(input);
    expect(error.value).toBe(value);
    expect(error.message).toContain(`input "${input}"`);
    expect(error.message).toContain(JSON.stringify(value));
    expect(error.message).toContain(accepted);
  });

  test('empty platforms (a comma only) is refused', () => {
    const error = errorOf(InputError, () => read({ ...IMAGE, platforms: ',' }));
    expect(error.input).toBe('platforms');
    expect(error.message).toContain('at least one platform, e.g. linux/amd64,linux/arm64');
  });

  // parsePlatforms is handed the parsed (empty) list, so the message shows "" rather than what was typed.
  test('empty platforms shows the value as given', () => {
    expect(errorOf(InputError, () => read({ ...IMAGE, platforms: ',' })).value).toBe(',');
  });

  // validateTag exists in plan/image.ts but the tag rules never call it: a raw value is passed
  // through safeTag when tags are computed, so `my tag` becomes `my-tag` and a 129-character tag
  // is cut to 128, with no error and no warning.
  test.each([
    { name: 'a space', tags: 'type=raw,value=my tag' },
    { name: 'over 128 characters', tags: `type=raw,value=${'v'.repeat(129)}` },
    { name: 'a bare tag with a slash', tags: 'release/1.0' }
  ])('a literal type=raw value with $name is refused', ({ tags }) => {
    errorOf(InputError, () => read({ ...IMAGE, tags }));
  });

  test('buildx-version latest is accepted (resolved when buildx is installed, as setup-buildx does); a word that is not a version is not', () => {
    expect(read({ ...IMAGE, 'buildx-version': 'latest' }).buildxVersion).toBe('latest');
    errorOf(InputError, () => read({ ...IMAGE, 'buildx-version': 'newest' }));
  });
});
