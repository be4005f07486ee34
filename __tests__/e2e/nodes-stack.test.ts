/**
 * The stack's single-platform BuildKit nodes (scripts/stack.sh: one daemon declaring linux/amd64,
 * one declaring linux/arm64, one linux/386) driven the way the action drives a `nodes` builder:
 * the `nodes` text parsed by plan/node-spec.ts, the builder made by running createNodesArgv's argv
 * with the real buildx, then one `buildx build` per platform. Each daemon's own build history
 * (`buildctl debug histories`) shows which one built what: a platform must land on its node only.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { assignPlatforms, createNodesArgv } from '../../src/plan/nodes.js';
import { parseNodes } from '../../src/plan/node-spec.js';
import { parsePlatforms } from '../../src/plan/platforms.js';
import { waitForStack, type StackEnv } from './support/stack.js';

const exec = promisify(execFile);

/** env.json fields this suite needs beyond StackEnv: buildx, the nodes' sockets, a base with linux/386. */
interface NodesEnv extends StackEnv {
  buildx: string;
  nodes?: Record<string, string>;
  nodesBaseImage?: string;
}

const stack = await waitForStack();
const env = stack.ok ? (stack.env as NodesEnv) : undefined;
const sockets = env?.nodes;
const reason = !stack.ok
  ? stack.reason
  : !sockets?.amd64 || !sockets?.arm64 || !sockets?.['386'] || !env?.nodesBaseImage
    ? 'env.json lists no amd64/arm64/386 nodes or no nodesBaseImage: run bash scripts/stack.sh up'
    : undefined;
if (reason) console.log(`skipping the multi-node end-to-end tests: ${reason}`);
const describeStack = reason ? describe.skip : describe;

describeStack('a builder of the stack’s BuildKit nodes, made from createNodesArgv', () => {
  const e = env as NodesEnv;
  const nodeSockets = sockets as Record<string, string>;
  const builder = `e2e-nodes-${Date.now().toString(36)}`;
  let dir: string;
  // Builders live in this suite's own buildx config: nothing another suite or a person uses.
  let buildxEnv: NodeJS.ProcessEnv;

  const buildx = (args: string[]) => exec(e.buildx, args, { env: buildxEnv, maxBuffer: 64 << 20 });

  /** The build refs a daemon has in its history, with the platform each built. */
  async function histories(endpoint: string): Promise<Map<string, string>> {
    const { stdout } = await exec(e.buildctl, [
      '--addr',
      endpoint,
      'debug',
      'histories',
      '--format',
      '{{.Record.Ref}} {{index .Record.FrontendAttrs "platform"}}{{"\\n"}}'
    ]);
    const refs = new Map<string, string>();
    for (const line of stdout.split('\n')) {
      const [ref, platform] = line.trim().split(/\s+/);
      if (ref) refs.set(ref, platform ?? '');
    }
    return refs;
  }

  /** What appeared in a daemon's history since `before`. */
  async function added(endpoint: string, before: Map<string, string>): Promise<string[]> {
    const now = await histories(endpoint);
    return [...now].filter(([ref]) => !before.has(ref)).map(([ref, platform]) => `${ref} ${platform}`);
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-nodes-'));
    buildxEnv = { ...process.env, BUILDX_CONFIG: path.join(dir, 'buildx') };
    // A RUN step, so the node's worker really executes the target's binaries: it records the
    // kernel's machine name and the ELF machine of the busybox that ran it (e_machine, offset 18).
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM ${e.nodesBaseImage}\nARG NONCE\nRUN echo "$NONCE" >/nonce && uname -m >/arch && od -An -tu2 -j18 -N2 /bin/busybox | tr -d " " >/elf\n`
    );
  });

  afterAll(async () => {
    if (!dir) return;
    await buildx(['rm', builder]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const text = [
    `linux/amd64=${nodeSockets?.amd64}`,
    `linux/arm64=${nodeSockets?.arm64}`,
    `linux/386=${nodeSockets?.['386']}`
  ].join('\n');

  test('the argv creates one builder whose nodes are pinned to their platforms', async () => {
    const nodes = parseNodes(text);
    for (const argv of createNodesArgv(builder, nodes)) await buildx(argv);
    const { stdout } = await buildx(['inspect', '--bootstrap', '--builder', builder]);
    const described = stdout
      .split('\n\n')
      .filter((block) => block.includes('Endpoint:'))
      .map((block) => {
        const field = (label: string) => new RegExp(`^${label}:\\s*(.*)$`, 'm').exec(block)?.[1].trim();
        return {
          name: field('Name'),
          endpoint: field('Endpoint'),
          status: field('Status'),
          // buildx marks the platforms a node is pinned to with `*` and lists them first.
          pinned: (field('Platforms') ?? '')
            .split(',')
            .map((p) => p.trim())
            .filter((p) => p.endsWith('*'))
        };
      });
    expect(described).toEqual([
      { name: 'linux-amd64', endpoint: nodeSockets.amd64, status: 'running', pinned: ['linux/amd64*'] },
      { name: 'linux-arm64', endpoint: nodeSockets.arm64, status: 'running', pinned: ['linux/arm64*'] },
      { name: 'linux-386', endpoint: nodeSockets['386'], status: 'running', pinned: ['linux/386*'] }
    ]);
  });

  test.each([
    { platform: 'linux/arm64', node: 'arm64', uname: 'aarch64', elf: '183' },
    { platform: 'linux/amd64', node: 'amd64', uname: 'x86_64', elf: '62' },
    // runc sets no 32-bit personality, so uname says x86_64; the i386 busybox ran all the same.
    { platform: 'linux/386', node: '386', uname: 'x86_64', elf: '3' }
  ])('$platform is built on the $node node and nowhere else', async ({ platform, node, uname, elf }) => {
    const [route] = assignPlatforms(parsePlatforms([platform]), parseNodes(text), { emulate: false });
    expect(route.node.endpoint).toBe(nodeSockets[node]);

    const before = new Map<string, Map<string, string>>();
    for (const [name, endpoint] of Object.entries(nodeSockets)) before.set(name, await histories(endpoint));
    const out = path.join(dir, `out-${node}`);
    const metadata = path.join(dir, `metadata-${node}.json`);
    await buildx([
      'build',
      '--builder',
      builder,
      '--platform',
      platform,
      '--build-arg',
      `NONCE=${Date.now()}-${Math.random()}`,
      '--provenance=false',
      '--metadata-file',
      metadata,
      '--output',
      `type=local,dest=${out}`,
      dir
    ]);
    expect(readFileSync(path.join(out, 'arch'), 'utf8').trim()).toBe(uname);
    expect(readFileSync(path.join(out, 'elf'), 'utf8').trim()).toBe(elf);

    // buildx names the node in the build's ref: BUILDER/NODE/REF.
    const ref = JSON.parse(readFileSync(metadata, 'utf8'))['buildx.build.ref'] as string;
    const [refBuilder, refNode, buildRef] = ref.split('/');
    expect([refBuilder, refNode]).toEqual([builder, route.node.name]);

    const landed: Record<string, string[]> = {};
    for (const [name, endpoint] of Object.entries(nodeSockets))
      landed[name] = await added(endpoint, before.get(name) as Map<string, string>);
    expect(landed).toEqual({
      amd64: node === 'amd64' ? [`${buildRef} ${platform}`] : [],
      arm64: node === 'arm64' ? [`${buildRef} ${platform}`] : [],
      '386': node === '386' ? [`${buildRef} ${platform}`] : []
    });
  });

  test('removing the builder removes every node from buildx and leaves the daemons running', async () => {
    await buildx(['rm', builder]);
    const { stdout } = await buildx(['ls']);
    expect(stdout).not.toContain(builder);
    for (const endpoint of Object.values(nodeSockets)) {
      const { stdout: workers } = await exec(e.buildctl, ['--addr', endpoint, 'debug', 'workers']);
      expect(workers.split('\n').length).toBeGreaterThan(1);
    }
  });
});

describeStack('kubernetes nodes: the real buildx takes createNodesArgv as it is', () => {
  const e = env as NodesEnv;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-nodes-k8s-'));
    // No cluster runs here; `buildx create` only needs a kubeconfig to read the namespace from,
    // and stores the nodes without contacting the server (nothing is bootstrapped).
    writeFileSync(
      path.join(dir, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
        'contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]',
        'current-context: x',
        'users: [{name: u, user: {token: t}}]'
      ].join('\n')
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('one node per architecture, each with its nodeselector, in the builder buildx stored', async () => {
    const nodes = parseNodes('linux/amd64=kubernetes://ci\nlinux/arm64=kubernetes://ci');
    const buildxEnv = {
      ...process.env,
      BUILDX_CONFIG: path.join(dir, 'buildx'),
      KUBECONFIG: path.join(dir, 'kubeconfig')
    };
    for (const argv of createNodesArgv('k8s', nodes)) await exec(e.buildx, argv, { env: buildxEnv });
    const stored = JSON.parse(readFileSync(path.join(dir, 'buildx', 'instances', 'k8s'), 'utf8')) as {
      Driver: string;
      Nodes: Array<{ Name: string; Platforms: Array<{ architecture: string }>; DriverOpts: Record<string, string> }>;
    };
    expect(stored.Driver).toBe('kubernetes');
    expect(stored.Nodes.map((n) => [n.Name, n.Platforms.map((p) => p.architecture), n.DriverOpts])).toEqual([
      ['k8s-linux-amd64', ['amd64'], { namespace: 'ci', nodeselector: 'kubernetes.io/arch=amd64' }],
      ['k8s-linux-arm64', ['arm64'], { namespace: 'ci', nodeselector: 'kubernetes.io/arch=arm64' }]
    ]);
  });
});
