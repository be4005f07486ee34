import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bootstrapNodes, nodeInfo } from '../../src/pipeline/nodes.js';
import { runBuilder } from '../../src/pipeline/build.js';
import { recordingLog } from '../support/log.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { FakeBuildx, type FakeNode } from './support/fake-buildx.js';
import { BUILDER, fakeHandle, planFor, stepOf } from './support/plans.js';

// A builder of nodes is bootstrapped as one; a node that does not start is marked, not fatal.

let dir: string;
let buildx: FakeBuildx;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nodes-phase-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  buildx = new FakeBuildx(new MemoryRegistry());
  buildx.builders.add(BUILDER);
});

const AMD64: FakeNode = {
  name: 'linux-amd64',
  endpoint: 'unix:///a.sock',
  status: 'running',
  buildkitVersion: 'v0.32.2',
  platforms: ['linux/amd64', 'linux/amd64/v2']
};
const ARM64: FakeNode = {
  name: 'linux-arm64',
  endpoint: 'unix:///b.sock',
  status: 'running',
  buildkitVersion: 'v0.31.0',
  platforms: ['linux/arm64']
};
// What buildx prints when a remote node's socket never answers (buildx v0.36.1).
const TIMED_OUT = [
  '#1 [internal] waiting for connection',
  '#1 ERROR: context deadline exceeded',
  '------',
  ' > [internal] waiting for connection:',
  '------',
  'ERROR: context deadline exceeded',
  ''
].join('\n');

/** The builder step of two nodes, plus whatever else is given. */
function builderStep(given: Record<string, string> = {}) {
  const plan = planFor(dir, {
    images: 'registry.test/acme/app',
    platforms: 'linux/amd64,linux/arm64',
    nodes: 'linux/amd64=unix:///a.sock\nlinux/arm64=unix:///b.sock',
    ...given
  });
  return stepOf(plan, 'builder');
}

describe('bootstrapNodes', () => {
  test('every node starts: one bootstrap, and a line per node with its status, BuildKit and platforms', async () => {
    buildx.nodes = [AMD64, ARM64];
    const rec = recordingLog();

    const info = await bootstrapNodes(fakeHandle(buildx, rec), builderStep());

    expect(buildx.lines).toEqual([`buildx inspect --bootstrap --builder ${BUILDER}`]);
    expect(rec.lines).toEqual([
      'node linux-amd64 (unix:///a.sock): running, BuildKit v0.32.2, builds linux/amd64',
      'node linux-arm64 (unix:///b.sock): running, BuildKit v0.31.0, builds linux/arm64'
    ]);
    expect(info).toEqual({
      name: BUILDER,
      driver: 'remote',
      platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/arm64'],
      buildkitVersion: 'v0.32.2',
      nodes: [
        {
          name: 'linux-amd64',
          endpoint: 'unix:///a.sock',
          status: 'running',
          buildkitVersion: 'v0.32.2',
          platforms: ['linux/amd64', 'linux/amd64/v2']
        },
        {
          name: 'linux-arm64',
          endpoint: 'unix:///b.sock',
          status: 'running',
          buildkitVersion: 'v0.31.0',
          platforms: ['linux/arm64']
        }
      ]
    });
  });

  test('the bootstrap fails with one node down: a warning, that node unreachable with the reason, the other as it is', async () => {
    buildx.nodes = [
      AMD64,
      { name: 'linux-arm64', endpoint: 'unix:///b.sock', status: 'inactive', platforms: ['linux/arm64'] }
    ];
    buildx.fail(/^inspect --bootstrap /, TIMED_OUT);
    const rec = recordingLog();

    const info = await bootstrapNodes(fakeHandle(buildx, rec), builderStep());

    expect(buildx.lines).toEqual([
      `buildx inspect --bootstrap --builder ${BUILDER}`,
      `buildx inspect --builder ${BUILDER}`
    ]);
    const reason =
      'starting builder multiarch-7001-1-a1b2c3 failed 1 time; last error: request timed out: #1 ERROR: context deadline exceeded';
    expect(rec.lines).toEqual([
      `warning: not every node of ${BUILDER} started: ${reason}`,
      'node linux-amd64 (unix:///a.sock): running, BuildKit v0.32.2, builds linux/amd64',
      `node linux-arm64 (unix:///b.sock): unreachable (inactive; ${reason}), BuildKit unknown, builds linux/arm64`
    ]);
    expect(info.nodes?.map((n) => [n.name, n.status])).toEqual([
      ['linux-amd64', 'running'],
      ['linux-arm64', `unreachable (inactive; ${reason})`]
    ]);
  });

  test('a planned node the inspect does not list: not listed, its BuildKit unknown', async () => {
    buildx.nodes = [AMD64];
    const rec = recordingLog();

    await bootstrapNodes(fakeHandle(buildx, rec), builderStep());

    expect(rec.lines).toEqual([
      'node linux-amd64 (unix:///a.sock): running, BuildKit v0.32.2, builds linux/amd64',
      'node linux-arm64 (unix:///b.sock): not listed, BuildKit unknown, builds linux/arm64'
    ]);
  });

  test('a node without an endpoint (kubernetes): its line names no endpoint', async () => {
    const step = builderStep({ nodes: 'linux/amd64=kubernetes://ci\nlinux/arm64=kubernetes://ci' });
    // buildx shows a kubernetes node's endpoint as its own URL; the plan gives none.
    buildx.nodes = ['amd64', 'arm64'].map((arch, i) => ({
      ...[AMD64, ARM64][i],
      name: `${BUILDER}-linux-${arch}`,
      endpoint: `kubernetes:///${BUILDER}?deployment=${BUILDER}-linux-${arch}&kubeconfig=`
    }));
    const rec = recordingLog();

    await bootstrapNodes(fakeHandle(buildx, rec), step);

    expect(rec.lines).toEqual([
      'node multiarch-7001-1-a1b2c3-linux-amd64: running, BuildKit v0.32.2, builds linux/amd64',
      'node multiarch-7001-1-a1b2c3-linux-arm64: running, BuildKit v0.31.0, builds linux/arm64'
    ]);
  });
});

describe('nodeInfo', () => {
  const info = { name: BUILDER, driver: 'remote', platforms: [], buildkitVersion: 'v0.32.2' };
  test.each([
    { name: 'the node of that name', nodes: [AMD64, ARM64], node: 'linux-arm64', expected: 'v0.31.0' },
    { name: 'a name no node has', nodes: [AMD64], node: 'linux-arm64', expected: undefined },
    { name: 'an inspect that listed no nodes', nodes: undefined, node: 'linux-amd64', expected: undefined }
  ])('$name', ({ nodes, node, expected }) => {
    const listed = nodes?.map((n) => ({ ...n, buildkitVersion: n.buildkitVersion ?? 'unknown' }));
    expect(nodeInfo({ ...info, nodes: listed }, node)?.buildkitVersion).toBe(expected);
  });
});

describe('runBuilder: an endpoint nothing listens at', () => {
  let live: net.Server;
  let liveSocket: string;
  beforeAll(async () => {
    liveSocket = path.join(dir, 'live.sock');
    live = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => live.listen(liveSocket, resolve));
  });
  afterAll(() => new Promise<void>((resolve) => live.close(() => resolve())));

  test.each([
    ['the second node', () => `linux/amd64=unix://${liveSocket}\nlinux/arm64=unix://${dir}/none.sock`],
    ['the first node', () => `linux/arm64=unix://${dir}/none.sock\nlinux/amd64=unix://${liveSocket}`]
  ])(
    '%s: left out of the builder at once (no bootstrap attempt waits for it), its platform marked unreachable with why',
    async (_, nodes) => {
      buildx.nodes = [{ ...AMD64, endpoint: `unix://${liveSocket}` }];
      const rec = recordingLog();
      const p = planFor(dir, {
        images: 'registry.test/acme/app',
        platforms: 'linux/amd64,linux/arm64',
        nodes: nodes()
      });
      const info = await runBuilder(
        fakeHandle(buildx, rec),
        stepOf(p, 'builder'),
        ['linux/amd64', 'linux/arm64'],
        () => undefined
      );

      expect(buildx.lines.filter((l) => l.startsWith('buildx create') || l.startsWith('buildx inspect'))).toEqual([
        `buildx create --name ${BUILDER} --driver remote --platform linux/amd64 --node linux-amd64 unix://${liveSocket}`,
        `buildx inspect --bootstrap --builder ${BUILDER}`
      ]);
      expect(nodeInfo(info, 'linux-arm64')?.status).toBe(`unreachable (no socket at ${dir}/none.sock (no such file))`);
      expect(rec.warnings).toContain(
        `node linux-arm64 (unix://${dir}/none.sock): no socket at ${dir}/none.sock (no such file); left out of the builder: linux/arm64 fails (or falls back) without waiting for it`
      );
    }
  );

  test('every node dead: refused, naming each node, its endpoint and why; nothing is created', async () => {
    const p = planFor(dir, {
      images: 'registry.test/acme/app',
      platforms: 'linux/amd64,linux/arm64',
      nodes: `linux/amd64=unix://${dir}/none-a.sock\nlinux/arm64=unix://${dir}/none-b.sock`
    });
    await expect(
      runBuilder(fakeHandle(buildx, recordingLog()), stepOf(p, 'builder'), [], () => undefined)
    ).rejects.toThrow(
      `input "nodes": "unix://${dir}/none-a.sock, unix://${dir}/none-b.sock" is not accepted; expected at least one endpoint that answers: node linux-amd64 (unix://${dir}/none-a.sock): no socket at ${dir}/none-a.sock (no such file); node linux-arm64 (unix://${dir}/none-b.sock): no socket at ${dir}/none-b.sock (no such file)`
    );
    expect(buildx.lines.filter((l) => l.startsWith('buildx create'))).toEqual([]);
  });

  test.each([
    [() => `unix://${dir}/none.sock`, () => `no socket at ${dir}/none.sock (no such file)`],
    [() => `unix://${dir}/Dockerfile`, () => `${dir}/Dockerfile is not a socket`],
    [() => `tcp://127.0.0.1:${closedPort}`, () => `nothing listens on 127.0.0.1:${closedPort} (connection refused)`]
  ])('the remote driver endpoint: refused at once, naming the endpoint and why (no retries)', async (endpoint, why) => {
    const p = planFor(dir, { images: 'registry.test/acme/app', driver: 'remote', endpoint: endpoint() });
    await expect(
      runBuilder(fakeHandle(buildx, recordingLog(), 3), stepOf(p, 'builder'), [], () => undefined)
    ).rejects.toThrow(
      `input "endpoint": ${JSON.stringify(endpoint())} is not accepted; expected a BuildKit endpoint that answers: ${why()}`
    );
    expect(buildx.lines).toEqual([]);
  });
});

/** A TCP port nothing listens on: bound, read, and closed again. */
const closedPort = await new Promise<number>((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as net.AddressInfo;
    s.close(() => resolve(port));
  });
});
