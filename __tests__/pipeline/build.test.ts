import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBuild, runBuilder, runBuildx, runQemu } from '../../src/pipeline/build.js';
import { BuildFailed } from '../../src/pipeline/failure.js';
import { openSession } from '../../src/pipeline/session.js';
import type { BuildStep } from '../../src/plan/steps.js';
import { ExecError } from '../../src/tools/exec.js';
import { recordingLog } from '../support/log.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { memoryEdges } from '../support/edges.js';
import { FakeBuildx } from './support/fake-buildx.js';
import { fakeHandle, planFor, stepOf } from './support/plans.js';

// The build phase's steps: QEMU, buildx, the builder and the build itself, over the fake buildx.

let dir: string;
let buildx: FakeBuildx;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'build-phase-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  buildx = new FakeBuildx(new MemoryRegistry());
});

const IMAGE = 'registry.test/acme/app';

/** The build step of these inputs, its metadata file in this test's directory. */
function buildStep(given: Record<string, string>): BuildStep {
  const step = stepOf(planFor(dir, { images: IMAGE, builder: 'shared', ...given }), 'build');
  const metadataFile = path.join(dir, 'metadata.json');
  rmSync(metadataFile, { force: true });
  return { ...step, metadataFile, argv: step.argv.map((a) => (a === step.metadataFile ? metadataFile : a)) };
}

describe('runQemu', () => {
  test.each([
    {
      name: 'qemu false with a foreign platform: said, and nothing done',
      mode: 'false' as const,
      platforms: 'linux/arm64',
      lines: [
        'qemu is false: linux/arm64 must run on builder nodes of that architecture (no emulation is set up)',
        'no QEMU set-up: qemu: false'
      ]
    },
    {
      name: 'every platform native (the plan emulates none): nothing done',
      mode: 'auto' as const,
      platforms: 'linux/amd64',
      lines: ['no QEMU set-up: no platform to emulate']
    }
  ])('$name', async ({ mode, platforms, lines }) => {
    const mem = memoryEdges();
    const session = openSession({ edges: mem, env: {}, cwd: dir, runner: buildx.runner });
    const p = planFor(dir, { images: IMAGE, platforms, push: 'false' });

    await runQemu(
      session,
      {
        kind: 'qemu',
        mode,
        image: 'tonistiigi/binfmt:qemu-v9.2.2-52',
        // What the plan hands a QEMU step: the platforms it emulates on this (amd64) host.
        platforms: p.emulated
      },
      0
    );

    expect(mem.log.infos).toEqual(lines);
    expect(buildx.calls).toEqual([]);
  });
});

test('runBuildx: the installed buildx, found by its version', async () => {
  const mem = memoryEdges();
  const session = openSession({ edges: mem, env: { HOME: dir }, cwd: dir, runner: buildx.runner });

  const found = await runBuildx(session, { kind: 'buildx', version: '', mirror: '' }, 0);

  expect(found).toEqual({ command: 'docker', prefix: ['buildx'], version: '0.36.1', source: 'installed' });
  expect(buildx.lines).toEqual(['buildx version']);
  expect(mem.log.infos).toEqual(['buildx 0.36.1 (docker buildx)']);
});

describe('runBuilder', () => {
  test('creates the builder, says so at once for the clean-up, bootstraps it, warns of platforms it does not list', async () => {
    buildx.builderPlatforms = ['linux/amd64', 'linux/386'];
    const rec = recordingLog();
    const p = planFor(dir, { images: IMAGE, platforms: 'linux/amd64,linux/arm64,linux/riscv64' });
    const created: string[][] = [];

    const info = await runBuilder(
      fakeHandle(buildx, rec),
      stepOf(p, 'builder'),
      p.platforms.map((x) => x.id),
      () => created.push([...buildx.lines])
    );

    expect(created).toEqual([
      [
        'buildx create --name multiarch-7001-1-a1b2c3 --driver docker-container --driver-opt image=moby/buildkit:v0.32.2'
      ]
    ]);
    expect(buildx.lines.at(-1)).toBe('buildx inspect --bootstrap --builder multiarch-7001-1-a1b2c3');
    expect(info).toEqual({
      name: 'multiarch-7001-1-a1b2c3',
      driver: 'docker-container',
      platforms: ['linux/amd64', 'linux/386'],
      buildkitVersion: 'v0.32.2',
      nodes: [
        {
          name: 'multiarch-7001-1-a1b2c30',
          endpoint: 'unix:///var/run/docker.sock',
          status: 'running',
          platforms: ['linux/amd64', 'linux/386'],
          buildkitVersion: 'v0.32.2'
        }
      ]
    });
    expect(rec.infos).toEqual([
      'builder multiarch-7001-1-a1b2c3: driver docker-container, BuildKit v0.32.2',
      'platforms: linux/amd64, linux/386'
    ]);
    expect(rec.warnings).toEqual([
      'builder multiarch-7001-1-a1b2c3 does not list linux/arm64, linux/riscv64; the build may fail for them'
    ]);
  });

  test('a builder that lists no platforms: no warning', async () => {
    buildx.builderPlatforms = [];
    buildx.builders.add('shared');
    const rec = recordingLog();
    const p = planFor(dir, { images: IMAGE, builder: 'shared' });

    await runBuilder(fakeHandle(buildx, rec), stepOf(p, 'builder'), ['linux/arm64'], () => undefined);

    expect([rec.infos.at(-1), rec.warnings]).toEqual(['platforms: (none listed)', []]);
  });
});

describe('runBuild', () => {
  test('a push: the digest buildx reported, and the by-digest source the tags will point at', async () => {
    const step = buildStep({ platforms: 'linux/amd64' });

    const built = await runBuild(fakeHandle(buildx, recordingLog()), step, []);

    const digest = buildx.pushed[0].digest;
    expect(built).toEqual({
      metadata: {
        'buildx.build.ref': 'shared/shared0/fakebuildref',
        'containerimage.digest': digest,
        'image.name': IMAGE
      },
      digest,
      source: `${IMAGE}@${digest}`
    });
  });

  test.each([
    {
      name: 'a first build with no cache yet: said, no warning',
      progress:
        '#4 importing cache manifest from registry.test/acme/app:buildcache\n#4 ERROR: registry.test/acme/app:buildcache: not found\n',
      lines: ['linux/amd64, linux/arm64: no cache yet at registry.test/acme/app:buildcache'],
      warnings: []
    },
    {
      name: 'a cache that cannot be read or written: a warning each, the build goes on',
      progress:
        '#4 importing cache manifest from registry.test/acme/app:buildcache\n#4 ERROR: unexpected status: 403 Forbidden\n' +
        '#12 exporting cache to registry\n#12 ERROR: failed to push registry.test/acme/app:buildcache: 503 Service Unavailable\n',
      lines: [],
      warnings: [
        'linux/amd64, linux/arm64: the registry cache registry.test/acme/app:buildcache could not be read (refused (403: no read access)); the build went on without it: unexpected status: 403 Forbidden',
        'linux/amd64, linux/arm64: the registry cache registry.test/acme/app:buildcache could not be written; the build went on without it: failed to push registry.test/acme/app:buildcache: 503 Service Unavailable'
      ]
    }
  ])('$name', async ({ progress, lines, warnings }) => {
    buildx.buildProgress = progress;
    const rec = recordingLog();

    await runBuild(fakeHandle(buildx, rec), buildStep({ push: 'false' }), ['registry.test/acme/app:buildcache']);

    expect([rec.infos, rec.warnings]).toEqual([lines, warnings]);
  });

  test('a push whose metadata holds no digest fails, naming what it holds', async () => {
    const step = buildStep({ platforms: 'linux/amd64' });
    writeFileSync(step.metadataFile, '{"buildx.build.ref":"shared/shared0/x"}');
    buildx.fail('build', '', { code: 0 });

    await expect(runBuild(fakeHandle(buildx, recordingLog()), step, [])).rejects.toThrow(
      'the build finished but buildx reported no image digest in its metadata (buildx.build.ref)'
    );
  });

  test('a build that wrote no metadata fails, naming the file', async () => {
    const step = buildStep({ push: 'false' });
    buildx.fail('build', '', { code: 0 });

    await expect(runBuild(fakeHandle(buildx, recordingLog()), step, [])).rejects.toThrow(
      `buildx wrote no readable metadata file at ${step.metadataFile}: ENOENT`
    );
    expect(existsSync(step.metadataFile)).toBe(false);
  });

  test.each([
    {
      name: 'a RUN step of the only platform: the platform named though the output does not',
      platforms: 'linux/amd64',
      stderr:
        '#6 [2/2] RUN false\n#6 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1\nERROR: failed to build: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1\n',
      type: BuildFailed,
      first: 'linux/amd64: RUN false failed: exit code 1'
    },
    {
      name: 'output that says nothing about a step: the command’s own error',
      platforms: 'linux/amd64,linux/arm64',
      stderr: 'Killed\n',
      type: ExecError,
      first: 'docker buildx build failed with exit code 137:'
    }
  ])('a failed build: $name', async ({ platforms, stderr, type, first }) => {
    buildx.fail('build', stderr, { code: stderr === 'Killed\n' ? 137 : 1 });

    const error = await runBuild(fakeHandle(buildx, recordingLog()), buildStep({ platforms, push: 'false' }), []).catch(
      (e: unknown) => e as Error
    );

    expect(error).toBeInstanceOf(type);
    expect((error as Error).message.split('\n')[0]).toBe(first);
  });
});
