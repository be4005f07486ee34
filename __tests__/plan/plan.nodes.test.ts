import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import type { Context } from '../../src/plan/context.js';
import { InputError } from '../../src/plan/errors.js';
import { makePlan, type Plan, type PlanIds } from '../../src/plan/plan.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import type { Step } from '../../src/plan/steps.js';

const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
const CONTEXT: Context = {
  eventName: 'push',
  ref: 'refs/tags/v1.2.3',
  sha: SHA,
  repo: { fullName: 'octo/app', htmlUrl: 'https://github.com/octo/app', defaultBranch: 'main' },
  commitDate: new Date('2024-03-01T09:30:00Z'),
  runId: '7001',
  runAttempt: '1'
};
const IDS: PlanIds = { builderName: 'mp-b', metadataFile: '/t/metadata.json', secretPaths: {}, runId: '7001' };

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'plan-nodes-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'Dockerfile.arm'), 'FROM scratch\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function plan(given: Record<string, string>): Plan {
  const inputs = readInputs((name) => given[name] ?? '', workspace, nativePlatform('x64', 'linux'));
  return makePlan(inputs, CONTEXT, nativePlatform('x64', 'linux'), new Date('2024-03-05T00:00:00Z'), IDS);
}
const kinds = (p: Plan) => p.steps.map((s) => s.kind);
function stepOf<K extends Step['kind']>(p: Plan, kind: K): Extract<Step, { kind: K }> {
  return p.steps.find((s): s is Extract<Step, { kind: K }> => s.kind === kind)!;
}

const BASE = {
  images: '127.0.0.1:5000/app',
  platforms: 'linux/amd64,linux/arm64',
  tags: 'type=semver,pattern={{version}}',
  labels: '',
  provenance: 'false'
};
const NODES = 'linux/amd64=unix:///n/amd64.sock\nlinux/arm64=tcp://pi.lan:1234';

/** A build's argv less its labels (they are the same on every build and tested elsewhere). */
const withoutLabels = (argv: string[]) => argv.filter((a, i) => a !== '--label' && argv[i - 1] !== '--label');

describe('a nodes plan', () => {
  let p: Plan;
  beforeAll(() => {
    p = plan({ ...BASE, nodes: NODES });
  });

  test('steps: the preflight, buildx, the builder of every node, the builds, then stage, prove, commit; no QEMU', () => {
    expect(kinds(p)).toEqual(['preflight', 'buildx', 'builder', 'builds', 'stage', 'prove', 'commit']);
  });

  test('the builder creates the first node, appends the second, bootstraps once', () => {
    const b = stepOf(p, 'builder');
    expect([b.create, ...(b.append ?? []), b.bootstrap, b.remove]).toEqual([
      [
        'create',
        '--name',
        'mp-b',
        '--driver',
        'remote',
        '--platform',
        'linux/amd64',
        '--node',
        'linux-amd64',
        'unix:///n/amd64.sock'
      ],
      [
        'create',
        '--append',
        '--name',
        'mp-b',
        '--driver',
        'remote',
        '--platform',
        'linux/arm64',
        '--node',
        'linux-arm64',
        'tcp://pi.lan:1234'
      ],
      ['inspect', '--bootstrap', '--builder', 'mp-b'],
      ['rm', '--force', 'mp-b']
    ]);
    expect(b.nodes).toEqual([
      { name: 'linux-amd64', endpoint: 'unix:///n/amd64.sock', platforms: ['linux/amd64'] },
      { name: 'linux-arm64', endpoint: 'tcp://pi.lan:1234', platforms: ['linux/arm64'] }
    ]);
  });

  test('one build per platform, each on its node, its own cache ref (a matrix leg’s) and metadata file, pushed by digest', () => {
    const { builds } = stepOf(p, 'builds');
    expect(builds.map((b) => [b.platform.id, b.node, b.endpoint, b.emulated, b.fallback])).toEqual([
      ['linux/amd64', 'linux-amd64', 'unix:///n/amd64.sock', false, undefined],
      ['linux/arm64', 'linux-arm64', 'tcp://pi.lan:1234', false, undefined]
    ]);
    expect(withoutLabels(builds[1].argv)).toEqual([
      'build',
      '--builder',
      'mp-b',
      '--progress',
      'plain',
      '--metadata-file',
      '/t/metadata-linux-arm64.json',
      '--platform',
      'linux/arm64',
      '--annotation',
      'manifest:org.opencontainers.image.created=2024-03-01T09:30:00.000Z',
      '--annotation',
      `manifest:org.opencontainers.image.revision=${SHA}`,
      '--annotation',
      'manifest:org.opencontainers.image.source=https://github.com/octo/app',
      '--annotation',
      'manifest:org.opencontainers.image.title=app',
      '--annotation',
      'manifest:org.opencontainers.image.url=https://github.com/octo/app',
      '--annotation',
      'manifest:org.opencontainers.image.version=1.2.3',
      '--provenance=false',
      '--sbom=false',
      '--cache-from',
      'type=registry,ref=127.0.0.1:5000/app:buildcache-linux-arm64',
      '--cache-to',
      'type=registry,ref=127.0.0.1:5000/app:buildcache-linux-arm64,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true',
      '--output',
      'type=image,name=127.0.0.1:5000/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true',
      '.'
    ]);
    expect(p.cache.refs).toEqual([
      '127.0.0.1:5000/app:buildcache-linux-amd64',
      '127.0.0.1:5000/app:buildcache-linux-arm64'
    ]);
  });

  test('the stage step merges the builds into a new index with the index annotations; the commit moves the tags last', () => {
    const stage = stepOf(p, 'stage');
    expect([stage.source, stage.image, stage.mirrors, stage.annotations.length]).toEqual([
      'builds',
      '127.0.0.1:5000/app',
      [],
      6
    ]);
    expect(stage.annotations.every((a) => a.startsWith('index:'))).toBe(true);
    expect(stepOf(p, 'prove').floating).toEqual([{ tag: 'latest', ref: '127.0.0.1:5000/app:latest' }]);
    expect(stepOf(p, 'commit').refs).toEqual(['127.0.0.1:5000/app:1.2.3', '127.0.0.1:5000/app:latest']);
  });
});

describe('platforms no node declares', () => {
  test('go to the first node under QEMU, marked emulated; no QEMU step unless qemu names a method', () => {
    const p = plan({ ...BASE, platforms: 'linux/amd64,linux/arm64,linux/arm/v7', nodes: NODES });
    expect(stepOf(p, 'builds').builds.map((b) => [b.platform.id, b.node, b.emulated])).toEqual([
      ['linux/amd64', 'linux-amd64', false],
      ['linux/arm64', 'linux-arm64', false],
      ['linux/arm/v7', 'linux-amd64', true]
    ]);
    expect([p.emulated.map((e) => e.id), kinds(p).slice(0, 2)]).toEqual([['linux/arm/v7'], ['preflight', 'buildx']]);
    const named = plan({ ...BASE, platforms: 'linux/amd64,linux/arm/v7', nodes: NODES, qemu: 'host' });
    expect(stepOf(named, 'qemu').platforms.map((x) => x.id)).toEqual(['linux/arm/v7']);
  });

  test("the QEMU step names only what this runner cannot run: a platform a node emulates may be the runner's own", () => {
    // Only an arm64 node: linux/amd64 goes to it under QEMU, but this amd64 runner needs no handler for it.
    const armOnly = 'linux/arm64=tcp://pi.lan:1234';
    const p = plan({ ...BASE, platforms: 'linux/amd64,linux/arm64,linux/arm/v7', nodes: armOnly, qemu: 'host' });
    expect(p.emulated.map((e) => e.id)).toEqual(['linux/amd64', 'linux/arm/v7']);
    expect(stepOf(p, 'qemu').platforms.map((x) => x.id)).toEqual(['linux/arm/v7']);
    const native = plan({ ...BASE, platforms: 'linux/amd64,linux/arm64', nodes: armOnly, qemu: 'host' });
    expect(kinds(native)).not.toContain('qemu');
  });

  test('are refused with emulate: false, naming the platform', () => {
    expect(() => plan({ ...BASE, platforms: 'linux/amd64,linux/arm/v7', nodes: NODES, emulate: 'false' })).toThrow(
      new InputError(
        'platforms',
        'linux/arm/v7',
        'a platform some node declares (linux-amd64: linux/amd64; linux-arm64: linux/arm64), or emulate: true to build it under QEMU on node linux-amd64'
      )
    );
  });
});

describe('node-fallback: emulate', () => {
  test('each build has a one-node builder on the other node, declared for its platform', () => {
    const p = plan({ ...BASE, nodes: NODES, 'node-fallback': 'emulate' });
    const f = stepOf(p, 'builds').builds[1].fallback!;
    expect([f.node, f.endpoint, f.builder, f.create, f.remove, f.metadataFile]).toEqual([
      'linux-amd64',
      'unix:///n/amd64.sock',
      'mp-b-fallback-linux-arm64',
      [
        'create',
        '--name',
        'mp-b-fallback-linux-arm64',
        '--driver',
        'remote',
        '--platform',
        'linux/amd64,linux/arm64',
        '--node',
        'linux-amd64',
        'unix:///n/amd64.sock'
      ],
      ['rm', '--force', 'mp-b-fallback-linux-arm64'],
      '/t/metadata-linux-arm64-fallback.json'
    ]);
    expect(f.argv.slice(0, 9)).toEqual([
      'build',
      '--builder',
      'mp-b-fallback-linux-arm64',
      '--progress',
      'plain',
      '--metadata-file',
      '/t/metadata-linux-arm64-fallback.json',
      '--platform',
      'linux/arm64'
    ]);
  });

  test('needs a second node', () => {
    expect(() =>
      plan({ ...BASE, platforms: 'linux/amd64', nodes: 'linux/amd64=unix:///a.sock', 'node-fallback': 'emulate' })
    ).toThrow(
      'input "node-fallback": "emulate" is not accepted; expected fail when there is one node (a fallback needs another node)'
    );
  });
});

describe('per-platform values without nodes', () => {
  test('one build per platform on the one builder, each with its own Dockerfile, args and target', () => {
    const p = plan({
      ...BASE,
      file: 'linux/arm64=Dockerfile.arm',
      'build-args': 'A=1\nlinux/arm64=B=2',
      target: 'linux/amd64=slim'
    });
    expect(kinds(p)).toEqual(['preflight', 'qemu', 'buildx', 'builder', 'builds', 'stage', 'prove', 'commit']);
    const pick = (argv: string[]) =>
      argv.flatMap((a, i) =>
        ['--builder', '--file', '--target', '--build-arg'].includes(argv[i - 1]) ? [`${argv[i - 1]} ${a}`] : []
      );
    expect(stepOf(p, 'builds').builds.map((b) => [b.platform.id, b.node, b.emulated, pick(b.argv)])).toEqual([
      ['linux/amd64', '', false, ['--builder mp-b', '--target slim', '--build-arg A=1']],
      ['linux/arm64', '', true, ['--builder mp-b', '--file Dockerfile.arm', '--build-arg A=1', '--build-arg B=2']]
    ]);
  });

  test('a matrix leg takes its platform’s values', () => {
    const p = plan({ ...BASE, mode: 'platform', platforms: 'linux/arm64', file: 'linux/arm64=Dockerfile.arm' });
    const argv = stepOf(p, 'build').argv;
    expect(argv[argv.indexOf('--file') + 1]).toBe('Dockerfile.arm');
  });
});
