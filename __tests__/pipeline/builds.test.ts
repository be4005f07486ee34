import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Masker, type Log, type Runner } from '../../src/ports.js';
import { runBuilds } from '../../src/pipeline/builds.js';
import type { Session } from '../../src/pipeline/session.js';
import { parsePlatforms } from '../../src/plan/platforms.js';
import type { BuildsStep, PlatformBuild } from '../../src/plan/steps.js';
import type { BuilderInfo } from '../../src/tools/buildx/builder.js';
import { ExecError } from '../../src/tools/exec.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'builds-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DIGEST = { 'linux/amd64': `sha256:${'a'.repeat(64)}`, 'linux/arm64': `sha256:${'b'.repeat(64)}` };
const REFUSED =
  'ERROR: failed to build: rpc error: code = Unavailable desc = connection error: dial unix /n/arm64.sock: connect: connection refused';

/**
 * buildx as seen through the process seam: every command is recorded; a build writes its
 * metadata file, except on the builder and platform named in `failOn`, where the node refuses.
 */
function fakeBuildx(
  failOn?: { builder: string; platform: string },
  faults: Array<{ builder: string; platform: string; stderr: string; times: number }> = []
) {
  const calls: string[] = [];
  const runnerFor =
    (_log: Log): Runner =>
    async (_command, args) => {
      const flag = (name: string) => args[args.indexOf(name) + 1];
      calls.push(args.slice(0, 3).join(' ') + (args[0] === 'build' ? ` ${flag('--platform')}` : ''));
      if (args[0] === 'build') {
        if (failOn && flag('--builder') === failOn.builder && flag('--platform') === failOn.platform)
          throw new ExecError('buildx build', { code: 1, stdout: '', stderr: REFUSED });
        const fault = faults.find(
          (f) => f.times > 0 && f.builder === flag('--builder') && f.platform === flag('--platform')
        );
        if (fault) {
          fault.times--;
          throw new ExecError('buildx build', { code: 1, stdout: '', stderr: fault.stderr });
        }
        const platform = flag('--platform') as keyof typeof DIGEST;
        writeFileSync(flag('--metadata-file'), JSON.stringify({ 'containerimage.digest': DIGEST[platform] }));
      }
      if (args[0] === 'inspect')
        return {
          code: 0,
          stdout: 'Name: x\nDriver: remote\n\nNodes:\nName: linux-amd64\nStatus: running\nBuildKit version: v0.32.2\n',
          stderr: ''
        };
      return { code: 0, stdout: '', stderr: '' };
    };
  return { calls, runnerFor };
}

function session(runnerFor: (log: Log) => Runner): { session: Session; lines: string[] } {
  const lines: string[] = [];
  const log: Log = {
    info: (m) => void lines.push(m),
    warning: (m) => void lines.push(`warning: ${m}`),
    debug: () => undefined,
    group: async (name, fn) => {
      lines.push(`group: ${name}`);
      return fn();
    },
    setSecret: () => undefined
  };
  const s: Session = {
    edges: {} as Session['edges'],
    env: {},
    cwd: dir,
    log,
    masker: new Masker(),
    runner: runnerFor(log),
    runnerFor,
    now: () => new Date(0),
    timings: [],
    current: '',
    phase: (_name, fn) => fn()
  };
  return { session: s, lines };
}

function build(id: string, node: string, endpoint: string, fallback = false): PlatformBuild {
  const [platform] = parsePlatforms([id]);
  const slug = id.replace('/', '-');
  const argv = (builder: string, file: string) => [
    'build',
    '--builder',
    builder,
    '--platform',
    id,
    '--metadata-file',
    file,
    '.'
  ];
  const metadataFile = path.join(dir, `metadata-${slug}.json`);
  const fb = `b-fallback-${slug}`;
  return {
    platform,
    node,
    endpoint,
    emulated: false,
    argv: argv('b', metadataFile),
    metadataFile,
    pushTo: '127.0.0.1:5000/app',
    cacheRefs: [`127.0.0.1:5000/app:buildcache-${slug}`],
    ...(fallback
      ? {
          fallback: {
            node: 'linux-amd64',
            endpoint: 'unix:///n/amd64.sock',
            builder: fb,
            create: ['create', '--name', fb, '--driver', 'remote', 'unix:///n/amd64.sock'],
            argv: argv(fb, path.join(dir, `metadata-${slug}-fallback.json`)),
            metadataFile: path.join(dir, `metadata-${slug}-fallback.json`),
            remove: ['rm', '--force', fb]
          }
        }
      : {})
  };
}

function step(fallback: boolean): BuildsStep {
  return {
    kind: 'builds',
    builder: 'b',
    builds: [
      build('linux/amd64', 'linux-amd64', 'unix:///n/amd64.sock'),
      build('linux/arm64', 'linux-arm64', 'unix:///n/arm64.sock', fallback)
    ]
  };
}

const BUILDER: BuilderInfo = {
  name: 'b',
  driver: 'remote',
  platforms: ['linux/amd64', 'linux/arm64'],
  buildkitVersion: 'v0.32.2',
  nodes: [
    {
      name: 'linux-amd64',
      endpoint: 'unix:///n/amd64.sock',
      status: 'running',
      buildkitVersion: 'v0.32.2',
      platforms: []
    },
    {
      name: 'linux-arm64',
      endpoint: 'unix:///n/arm64.sock',
      status: 'running',
      buildkitVersion: 'v0.31.1',
      platforms: []
    }
  ]
};

const bin = { command: 'buildx', prefix: [], version: '0.36.1' };

describe('runBuilds', () => {
  test('every platform on its node: both digests, in platform order, each build its own log group', async () => {
    const fake = fakeBuildx();
    const { session: s, lines } = session(fake.runnerFor);
    const got = await runBuilds(
      s,
      { bin, run: s.runner, log: s.log, retries: 0 },
      step(false),
      BUILDER,
      () => undefined
    );
    expect(got.sources).toEqual([
      `127.0.0.1:5000/app@${DIGEST['linux/amd64']}`,
      `127.0.0.1:5000/app@${DIGEST['linux/arm64']}`
    ]);
    expect(got.placements.map((p) => [p.platform, p.node, p.buildkitVersion, p.emulated])).toEqual([
      ['linux/amd64', 'linux-amd64', 'v0.32.2', false],
      ['linux/arm64', 'linux-arm64', 'v0.31.1', false]
    ]);
    expect(lines.filter((l) => l.startsWith('group: ')).sort()).toEqual([
      'group: Build linux/amd64 on node linux-amd64',
      'group: Build linux/arm64 on node linux-arm64'
    ]);
  });

  test('a node that still fails: the step fails naming node, endpoint and platform; the other build still ran', async () => {
    const fake = fakeBuildx({ builder: 'b', platform: 'linux/arm64' });
    const { session: s } = session(fake.runnerFor);
    const error = await runBuilds(
      s,
      { bin, run: s.runner, log: s.log, retries: 0 },
      step(false),
      BUILDER,
      () => undefined
    ).then(
      () => undefined,
      (e: Error) => e
    );
    const [first, second] = (error?.message ?? '').split('\n');
    expect(first.startsWith('node linux-arm64 (unix:///n/arm64.sock) failed building linux/arm64: ')).toBe(true);
    expect(second).toBe('Nothing was published: every platform must be built before a tag moves.');
    expect(fake.calls.sort()).toEqual(['build --builder b linux/amd64', 'build --builder b linux/arm64']);
  });

  test('node-fallback: the platform is built on a one-node builder of another node, created, used, removed', async () => {
    const fake = fakeBuildx({ builder: 'b', platform: 'linux/arm64' });
    const { session: s } = session(fake.runnerFor);
    const created: string[] = [];
    const got = await runBuilds(s, { bin, run: s.runner, log: s.log, retries: 0 }, step(true), BUILDER, (name) =>
      created.push(name)
    );
    expect(fake.calls.filter((c) => !c.endsWith('linux/amd64'))).toEqual([
      'build --builder b linux/arm64',
      'create --name b-fallback-linux-arm64',
      'build --builder b-fallback-linux-arm64 linux/arm64',
      'inspect --builder b-fallback-linux-arm64',
      'rm --force b-fallback-linux-arm64'
    ]);
    expect(created).toEqual(['b-fallback-linux-arm64']);
    expect(got.placements[1]).toEqual({
      platform: 'linux/arm64',
      node: 'linux-amd64',
      endpoint: 'unix:///n/amd64.sock',
      buildkitVersion: 'v0.32.2',
      emulated: true,
      fellBackFrom: 'linux-arm64'
    });
    expect(got.sources[1]).toBe(`127.0.0.1:5000/app@${DIGEST['linux/arm64']}`);
  });

  test('a node its bootstrap found unreachable is not tried again: it fails at once', async () => {
    const fake = fakeBuildx();
    const { session: s } = session(fake.runnerFor);
    const down: BuilderInfo = {
      ...BUILDER,
      nodes: [BUILDER.nodes![0], { ...BUILDER.nodes![1], status: 'unreachable (inactive; timed out)' }]
    };
    await expect(
      runBuilds(s, { bin, run: s.runner, log: s.log, retries: 0 }, step(false), down, () => undefined)
    ).rejects.toThrow(
      'node linux-arm64 (unix:///n/arm64.sock) failed building linux/arm64: unreachable (inactive; timed out)\nNothing was published: every platform must be built before a tag moves.'
    );
    expect(fake.calls).toEqual(['build --builder b linux/amd64']);
  });

  // The image export and the cache export uploading one layer at once: distribution refuses one.
  const RACE =
    '#14 exporting cache to registry\n#14 ERROR: failed commit on ref "layer-sha256:ab": unexpected status from PUT request to http://127.0.0.1:5000/v2/app/blobs/uploads/x?digest=sha256:ab: 400 Bad Request: provided digest did not match uploaded content\nERROR: failed to build: failed to solve: provided digest did not match uploaded content';

  test('a registry race on a node build is tried again, even with retries: 0, and the build completes', async () => {
    const fake = fakeBuildx(undefined, [{ builder: 'b', platform: 'linux/arm64', stderr: RACE, times: 1 }]);
    const { session: s, lines } = session(fake.runnerFor);
    const got = await runBuilds(
      s,
      { bin, run: s.runner, log: s.log, retries: 0 },
      step(false),
      BUILDER,
      () => undefined
    );
    expect(got.sources[1]).toBe(`127.0.0.1:5000/app@${DIGEST['linux/arm64']}`);
    expect(fake.calls.filter((c) => c.endsWith('linux/arm64'))).toEqual([
      'build --builder b linux/arm64',
      'build --builder b linux/arm64'
    ]);
    expect(
      lines.some((l) =>
        l.startsWith('warning: build and push: attempt 1 of 2 failed (two uploads of one blob collided')
      )
    ).toBe(true);
  });

  test('a registry race on the node fallback is tried again, even with retries: 0, and the index is complete', async () => {
    const fake = fakeBuildx({ builder: 'b', platform: 'linux/arm64' }, [
      { builder: 'b-fallback-linux-arm64', platform: 'linux/arm64', stderr: RACE, times: 1 }
    ]);
    const { session: s } = session(fake.runnerFor);
    const got = await runBuilds(
      s,
      { bin, run: s.runner, log: s.log, retries: 0 },
      step(true),
      BUILDER,
      () => undefined
    );
    expect(fake.calls.filter((c) => c.startsWith('build --builder b-fallback'))).toEqual([
      'build --builder b-fallback-linux-arm64 linux/arm64',
      'build --builder b-fallback-linux-arm64 linux/arm64'
    ]);
    expect(got.placements[1]).toMatchObject({ platform: 'linux/arm64', emulated: true, fellBackFrom: 'linux-arm64' });
  });

  test("a RUN step failing on a node: the platform is said once, before the node, and the Dockerfile's line follows", async () => {
    const failedRun = [
      '#8 [linux/arm64 2/2] RUN make',
      '#8 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2',
      'ERROR: failed to build: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2'
    ].join('\n');
    const fake = fakeBuildx(undefined, [{ builder: 'b', platform: 'linux/arm64', stderr: failedRun, times: 9 }]);
    const { session: s } = session(fake.runnerFor);
    const error = await runBuilds(
      s,
      { bin, run: s.runner, log: s.log, retries: 0 },
      step(false),
      BUILDER,
      () => undefined
    ).then(
      () => undefined,
      (e: Error) => e
    );
    expect(error?.message.split('\n')[0]).toBe(
      'linux/arm64 on node linux-arm64 (unix:///n/arm64.sock): RUN make failed: exit code 2'
    );
  });

  test('a fallback whose RUN step fails too: the platform is said once in the line', async () => {
    const failedRun = [
      '#8 [linux/arm64 2/2] RUN make',
      '#8 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2',
      'ERROR: failed to build: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2'
    ].join('\n');
    const fake = fakeBuildx({ builder: 'b', platform: 'linux/arm64' }, [
      { builder: 'b-fallback-linux-arm64', platform: 'linux/arm64', stderr: failedRun, times: 9 }
    ]);
    const { session: s } = session(fake.runnerFor);
    const error = await runBuilds(
      s,
      { bin, run: s.runner, log: s.log, retries: 0 },
      step(true),
      BUILDER,
      () => undefined
    ).then(
      () => undefined,
      (e: Error) => e
    );
    const first = error?.message.split('\n')[0] ?? '';
    expect(first).toMatch(
      /^node linux-arm64 \(unix:\/\/\/n\/arm64.sock\) failed building linux\/arm64: .*; the fallback under QEMU on node linux-amd64 \(unix:\/\/\/n\/amd64.sock\) failed too: RUN make failed: exit code 2$/
    );
    expect(first.match(/linux\/arm64/g)).toHaveLength(1);
  });
});
