import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import type { BuildFlags, Inputs } from '../../src/plan/inputs.js';
import { InputError } from '../../src/plan/errors.js';
import { makePlan, type Plan, type PlanIds } from '../../src/plan/plan.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import { context } from '../support/context.js';
import { errorOf } from '../support/errors.js';

/*
 * One path per build flag: every build (the one build of every platform, each platform's own
 * build, a node's fallback) takes its spec and output from plan/spec.ts. These tests set each
 * flag and read it back from every argv the plan holds, so the paths cannot drift apart again.
 */

const AMD64_HOST = nativePlatform('x64', 'linux');
const IDS: PlanIds = { builderName: 'mp-b', metadataFile: '/t/metadata.json', secretPaths: {}, runId: '7001' };
const CONTEXT = context({ commitDate: new Date('2024-03-01T09:30:00Z') });

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'plan-spec-'));
  for (const dir of ['app', 'docker']) mkdirSync(path.join(workspace, dir));
  for (const file of ['Dockerfile', 'Dockerfile.arm', 'app/Dockerfile', 'docker/Dockerfile.prod'])
    writeFileSync(path.join(workspace, file), 'FROM scratch\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function inputs(given: Record<string, string>): Inputs {
  return readInputs((name) => given[name] ?? '', workspace, AMD64_HOST);
}
function plan(given: Record<string, string>): Plan {
  return makePlan(inputs(given), CONTEXT, AMD64_HOST, new Date('2024-03-05T00:00:00Z'), IDS);
}

/** Every `buildx build` argv a plan holds: the one build, each platform's, each fallback's. */
function buildArgvs(p: Plan): string[][] {
  return p.steps.flatMap((step) => {
    if (step.kind === 'build') return [step.argv];
    if (step.kind === 'builds') return step.builds.flatMap((b) => [b.argv, ...(b.fallback ? [b.fallback.argv] : [])]);
    return [];
  });
}

/** Whether `part` appears in `argv` as consecutive arguments. */
function holds(argv: string[], part: string[]): boolean {
  return argv.some((_, i) => part.every((arg, j) => argv[i + j] === arg));
}

const BASE = { images: 'ghcr.io/octo/app', platforms: 'linux/amd64,linux/arm64' };

/** The three kinds of build, each as inputs that lead to it (lines merged with the flag's own). */
const PATHS: Record<string, Record<string, string>> = {
  'one build': {},
  'per-platform builds': { 'build-args': 'linux/arm64=PER=1' },
  'nodes, with their fallback': {
    nodes: 'linux/amd64=tcp://a.lan:1234\nlinux/arm64=tcp://b.lan:1234',
    'node-fallback': 'emulate'
  }
};

/**
 * Every pass-through flag: the input that sets it and what it adds to the argv. A Record over
 * BuildFlags' keys: a flag added to the group without a row here does not compile.
 */
const FLAGS: Record<keyof BuildFlags, { input: string; value: string; argv: string[] }> = {
  context: { input: 'context', value: 'app', argv: ['app'] },
  file: { input: 'file', value: 'docker/Dockerfile.prod', argv: ['--file', 'docker/Dockerfile.prod'] },
  target: { input: 'target', value: 'runtime', argv: ['--target', 'runtime'] },
  buildArgs: { input: 'build-args', value: 'V=1', argv: ['--build-arg', 'V=1'] },
  buildContexts: {
    input: 'build-contexts',
    value: 'alpine=docker-image://alpine:3.20',
    argv: ['--build-context', 'alpine=docker-image://alpine:3.20']
  },
  ssh: { input: 'ssh', value: 'default', argv: ['--ssh', 'default'] },
  network: { input: 'network', value: 'host', argv: ['--network', 'host'] },
  addHosts: { input: 'add-hosts', value: 'cache.local:10.0.0.6', argv: ['--add-host', 'cache.local:10.0.0.6'] },
  shmSize: { input: 'shm-size', value: '2g', argv: ['--shm-size', '2g'] },
  ulimit: { input: 'ulimit', value: 'nofile=1024:2048', argv: ['--ulimit', 'nofile=1024:2048'] },
  provenance: { input: 'provenance', value: 'mode=max', argv: ['--provenance=mode=max'] },
  sbom: { input: 'sbom', value: 'true', argv: ['--sbom=true'] },
  noCache: { input: 'no-cache', value: 'true', argv: ['--no-cache'] },
  noCacheFilters: { input: 'no-cache-filters', value: 'deps', argv: ['--no-cache-filter', 'deps'] },
  pull: { input: 'pull', value: 'true', argv: ['--pull'] }
};

/** The inputs the one output builder reads besides push and load. */
const OUTPUT_INPUTS = [
  {
    input: 'attestation-format',
    value: 'reference',
    argv: [
      '--output',
      'type=image,name=ghcr.io/octo/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true,oci-artifact=false'
    ]
  },
  {
    input: 'outputs',
    value: 'type=cacheonly',
    argv: ['--output', 'type=cacheonly']
  }
];

/** The flag's inputs on a path: a line of the same input (the per-platform trigger) is kept beside it. */
function given(pathInputs: Record<string, string>, input: string, value: string): Record<string, string> {
  const own = pathInputs[input];
  return { ...BASE, push: 'true', ...pathInputs, [input]: own ? `${value}\n${own}` : value };
}

const CASES = Object.entries(PATHS).flatMap(([pathName, pathInputs]) => [
  ...Object.entries(FLAGS).map(([key, flag]) => ({ pathName, pathInputs, key, ...flag })),
  ...OUTPUT_INPUTS.map((flag) => ({ pathName, pathInputs, key: flag.input, ...flag }))
]);

describe('every build flag reaches every build', () => {
  test.each(CASES)('$input on $pathName', ({ pathName, pathInputs, input, value, argv }) => {
    const argvs = buildArgvs(plan(given(pathInputs, input, value)));
    const expected = { 'one build': 1, 'per-platform builds': 2, 'nodes, with their fallback': 4 }[pathName];
    expect(argvs).toHaveLength(expected!);
    for (const one of argvs) expect({ argv: one, holds: holds(one, argv) }).toEqual({ argv: one, holds: true });
  });

  test.each(Object.entries(FLAGS))('%s is set by its row (the table tests what it names)', (key, flag) => {
    const set = inputs({ ...BASE, [flag.input]: flag.value }).build[key as keyof BuildFlags];
    const unset = inputs(BASE).build[key as keyof BuildFlags];
    expect(set).not.toEqual(unset);
  });
});

describe('one platform pushed as an index carries the index annotations', () => {
  const one = { images: 'ghcr.io/octo/app', platforms: 'linux/amd64' };
  const levels = (p: Plan) => [
    ...new Set(buildArgvs(p)[0].flatMap((arg, i, all) => (all[i - 1] === '--annotation' ? [arg.split(':')[0]] : [])))
  ];

  test.each([
    { name: 'provenance on (the default): an index', given: one, expected: ['index', 'manifest'] },
    {
      name: 'an sbom alone: an index',
      given: { ...one, provenance: 'false', sbom: 'true' },
      expected: ['index', 'manifest']
    },
    {
      name: 'no attestation: a plain manifest, which refuses index annotations',
      given: { ...one, provenance: 'false' },
      expected: ['manifest']
    },
    {
      name: 'pushed and loaded too (provenance off): a plain manifest',
      given: { ...one, load: 'true', push: 'true' },
      expected: ['manifest']
    },
    { name: 'a matrix leg: the merge makes the index', given: { ...one, mode: 'platform' }, expected: ['manifest'] }
  ])('$name', ({ given: g, expected }) => {
    expect(levels(plan(g))).toEqual(expected);
  });
});

describe('outputs', () => {
  test("without push: nothing is pushed (build-push-action's default), the tags name the exported image", () => {
    const p = plan({ ...BASE, outputs: 'type=docker,dest=app.tar\ntype=cacheonly' });
    expect(p.steps.map((s) => s.kind)).toEqual(['qemu', 'buildx', 'builder', 'build']);
    const [argv] = buildArgvs(p);
    const names = 'ghcr.io/octo/app:main,ghcr.io/octo/app:sha-860c190';
    expect(holds(argv, ['--output', `type=docker,dest=app.tar,"name=${names}"`, '--output', 'type=cacheonly'])).toBe(
      true
    );
    expect(argv.join(' ')).not.toContain('push-by-digest');
  });

  test("an image output with push false is the user's own: as written, named by its repository (a by-digest push refuses a tag)", () => {
    const out = 'type=image,push-by-digest=true,name-canonical=true,push=true';
    const argv = buildArgvs(plan({ ...BASE, push: 'false', outputs: out }))[0];
    expect(holds(argv, ['--output', `${out},"name=ghcr.io/octo/app"`])).toBe(true);
    expect(argv).not.toContain('--tag');
  });

  test('with push: true, the release goes on beside the outputs', () => {
    const p = plan({ ...BASE, push: 'true', outputs: 'type=local,dest=out' });
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
    expect(holds(buildArgvs(p)[0], ['--output', 'type=local,dest=out'])).toBe(true);
  });

  test.each([
    { outputs: 'type=docker,dest=app.tar', expected: 'false' },
    { outputs: 'type=oci,dest=app.tar', expected: 'mode=min' },
    { outputs: 'type=cacheonly', expected: 'mode=min' }
  ])(
    "provenance defaults off beside a docker exporter ($outputs), as build-push-action leaves it: BuildKit's docker exporter refuses attestations",
    ({ outputs, expected }) => {
      expect(inputs({ ...BASE, outputs }).build.provenance).toBe(expected);
    }
  );

  test('a bare directory is a local export, as buildx reads it', () => {
    expect(inputs({ ...BASE, outputs: 'dist' }).outputs).toEqual(['type=local,dest=dist']);
  });

  test.each([
    {
      name: 'an unknown type',
      value: 'type=bogus,dest=x',
      accepted: 'a type= among image, registry, docker, oci, local, tar, cacheonly'
    },
    { name: 'a local export without dest', value: 'type=local', accepted: 'dest= with type=local' },
    { name: 'a tar to stdout', value: 'type=tar,dest=-', accepted: 'not -' },
    { name: 'stdout', value: '-', accepted: 'not -' },
    { name: 'a field without a key', value: 'type=docker,app.tar', accepted: 'key=value fields' },
    { name: 'an unclosed quote', value: 'type=docker,"dest=a', accepted: 'key=value fields' }
  ])('refused before anything runs: $name', ({ value, accepted }) => {
    const error = errorOf(InputError, () => inputs({ ...BASE, outputs: value }));
    expect(error.input).toBe('outputs');
    expect(error.value).toBe(value);
    expect(error.accepted).toContain(accepted);
  });

  test.each(['type=image,name=ghcr.io/octo/app', 'type=registry'])(
    'with push: true, an output that pushes an image itself is refused (it would move tags before the proof): %s',
    (value) => {
      const error = errorOf(InputError, () => inputs({ ...BASE, push: 'true', outputs: value }));
      expect([error.input, error.value]).toEqual(['outputs', value]);
      expect(error.accepted).toContain('set push: false');
    }
  );

  test.each(Object.entries(PATHS).filter(([name]) => name !== 'one build'))(
    'a dest= is refused when each platform is built on its own (%s): every build would write it',
    (_, pathInputs) => {
      const error = errorOf(InputError, () => plan(given(pathInputs, 'outputs', 'type=oci,dest=app.tar')));
      expect([error.input, error.value]).toEqual(['outputs', 'type=oci,dest=app.tar']);
      expect(error.accepted).toContain('no dest= when each platform is built on its own');
    }
  );

  test('a merge builds nothing: outputs refused', () => {
    const error = errorOf(InputError, () => inputs({ ...BASE, mode: 'merge', outputs: 'type=docker,dest=app.tar' }));
    expect([error.input, error.accepted]).toEqual(['outputs', expect.stringContaining('empty with mode merge')]);
  });
});
