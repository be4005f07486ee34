/**
 * `nodes` end to end, the runner's way (dist/index.js) and the command line's (dist/cli/index.js),
 * on the stack's single-platform BuildKit nodes (scripts/stack.sh: amd64, arm64 under QEMU, 386).
 * Each daemon's own build history (`buildctl debug histories`) shows which one built what.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from '@jest/globals';
import { ROOT, type StepOptions } from './support/runner.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import { platformId } from './support/registry.js';
import {
  errorAnnotations,
  expectSucceeded,
  groupLines,
  log,
  randomSha,
  uniqueRepo,
  useHarness,
  type TimedStep
} from './support/harness.js';
import { describeSteps, fromCache, parseSteps } from './support/progress.js';

const exec = promisify(execFile);
const CASE_TIMEOUT_MS = 600_000;

interface NodesEnv extends StackEnv {
  buildkitdConfig: string;
  nodes?: Record<string, string>;
  nodesBaseImage?: string;
}

const stack = await waitForStack();
const env = stack.ok ? (stack.env as NodesEnv) : undefined;
const reason = !stack.ok
  ? stack.reason
  : !env?.nodes?.amd64 || !env.nodes.arm64 || !env.nodes['386'] || !env.nodesBaseImage
    ? 'env.json lists no amd64/arm64/386 nodes or no nodesBaseImage: run bash scripts/stack.sh up'
    : undefined;
if (reason) console.log(`skipping the nodes end-to-end tests: ${reason}`);
const describeStack = reason ? describe.skip : describe;

/** Build ref → platform, for every build a daemon has in its history. */
async function histories(endpoint: string): Promise<Map<string, string>> {
  const { stdout } = await exec(env!.buildctl, [
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

/** The platforms of the builds a daemon ran since `before`. */
async function builtSince(endpoint: string, before: Map<string, string>): Promise<string[]> {
  const now = await histories(endpoint);
  // A build retried after a transient push fault leaves a second record of the same platform.
  return [...new Set([...now].filter(([ref]) => !before.has(ref)).map(([, platform]) => platform))];
}

/** The lines of the step's `::error::` annotation. */
function errorLines(result: TimedStep): string[] {
  return errorAnnotations(result).join('\n').split('\n');
}

describeStack('nodes: every platform on its own node, in one step', () => {
  const e = env as NodesEnv;
  const nodes = e.nodes as Record<string, string>;
  const h = useHarness(e, 'nodes');
  const DEAD = 'unix:///tmp/multiarch-e2e-nobody-listens.sock';

  /** A workspace with a Dockerfile whose RUN steps really execute on the node (and a per-platform one). */
  function workspace(): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-nodes-ws-'));
    h.cleanup(() => rmSync(dir, { recursive: true, force: true }));
    const nonce = randomBytes(6).toString('hex');
    const body = (mark: string) =>
      `FROM ${e.nodesBaseImage}\nRUN echo ${nonce} >/nonce && uname -m >/arch\nRUN echo ${mark} >/which && od -An -tu2 -j18 -N2 /bin/busybox >/elf\n`;
    writeFileSync(path.join(dir, 'Dockerfile'), body('common'));
    writeFileSync(path.join(dir, 'Dockerfile.arm64'), body('arm64-own-dockerfile'));
    return dir;
  }

  function step(ws: string, image: string, inputs: Record<string, string>, sha = randomSha()): StepOptions {
    return {
      workspace: ws,
      inputs: { images: image, tags: 'type=sha,prefix=', ...inputs },
      event: { name: 'push', ref: 'refs/heads/main', sha }
    };
  }

  /** The index a tag points at: its platforms, attestation entries left out. */
  async function platformsOf(repo: string, tag: string): Promise<string[]> {
    const got = await h.registry.manifest(repo, tag);
    return (got?.body.manifests ?? [])
      .filter((m) => m.platform && m.platform.os !== 'unknown')
      .map((m) => platformId(m.platform!))
      .sort();
  }

  test(
    'amd64 and arm64 each on its node and nowhere else, one index with both and the tag; a second run after pruning both nodes is served from the per-platform caches',
    async () => {
      const ws = workspace();
      const image = `${e.registry}/${uniqueRepo('nodes')}`;
      const repo = image.slice(e.registry.length + 1);
      const given = {
        platforms: 'linux/amd64,linux/arm64',
        nodes: `linux/amd64=${nodes.amd64}\nlinux/arm64=${nodes.arm64}`
      };
      const before = await Promise.all([nodes.amd64, nodes.arm64, nodes['386']].map(histories));
      const sha = randomSha();
      const first = await h.main('two nodes', step(ws, image, given, sha));
      expectSucceeded(first, 'the two-node run');
      expect(await builtSince(nodes.amd64, before[0])).toEqual(['linux/amd64']);
      expect(await builtSince(nodes.arm64, before[1])).toEqual(['linux/arm64']);
      expect(await builtSince(nodes['386'], before[2])).toEqual([]);
      expect(await platformsOf(repo, sha.slice(0, 7))).toEqual(['linux/amd64', 'linux/arm64']);
      expect(first.outputs.tags).toBe(`${image}:${sha.slice(0, 7)}`);
      expect(first.summary).toContain(`| \`linux/amd64\` | \`linux-amd64\` (\`${nodes.amd64}\`) | v0.32.2 |  |`);
      expect(first.summary).toContain(`| \`linux/arm64\` | \`linux-arm64\` (\`${nodes.arm64}\`) | v0.32.2 |  |`);
      // The per-platform refs a matrix leg of each platform also uses.
      expect((await h.registry.tags(repo)).filter((t) => t.startsWith('buildcache')).sort()).toEqual([
        'buildcache-linux-amd64',
        'buildcache-linux-arm64'
      ]);

      for (const socket of [nodes.amd64, nodes.arm64]) {
        const r = spawnSync(e.buildctl, ['--addr', socket, 'prune', '--all'], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`buildctl prune failed: ${r.stderr}`);
      }
      const second = await h.main('two nodes, caches pruned', step(ws, image, given));
      expectSucceeded(second, 'the second run');
      for (const platform of ['linux/amd64', 'linux/arm64']) {
        const lines = groupLines(second, `Build ${platform} on node ${platform.replace('/', '-')}`);
        expect(lines).toBeDefined();
        const runs = parseSteps(lines!.join('\n')).filter((s) => s.instruction.startsWith('RUN'));
        expect(runs).toHaveLength(2);
        expect(describeSteps(runs.filter((s) => !fromCache(s)))).toEqual([]);
      }
    },
    CASE_TIMEOUT_MS
  );

  test(
    'per-platform Dockerfiles: arm64 builds its own, amd64 the common one',
    async () => {
      const ws = workspace();
      const image = `${e.registry}/${uniqueRepo('nodes-files')}`;
      const result = await h.main(
        'per-platform file',
        step(ws, image, {
          platforms: 'linux/amd64,linux/arm64',
          nodes: `linux/amd64=${nodes.amd64}\nlinux/arm64=${nodes.arm64}`,
          file: 'linux/arm64=Dockerfile.arm64'
        })
      );
      expectSucceeded(result, 'the per-platform Dockerfile run');
      const which = (platform: string) =>
        parseSteps(groupLines(result, `Build ${platform} on node ${platform.replace('/', '-')}`)!.join('\n'))
          .map((s) => s.instruction)
          .filter((i) => i.includes('/which'))
          .map((i) => /echo (\S+)/.exec(i)?.[1]);
      expect([which('linux/amd64'), which('linux/arm64')]).toEqual([['common'], ['arm64-own-dockerfile']]);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a node whose endpoint answers nothing: the step fails naming node, endpoint and platform, and no tag moves; with node-fallback: emulate the index is complete',
    async () => {
      const ws = workspace();
      const image = `${e.registry}/${uniqueRepo('nodes-dead')}`;
      const repo = image.slice(e.registry.length + 1);
      const given = {
        platforms: 'linux/amd64,linux/arm64',
        nodes: `linux/amd64=${nodes.amd64}\nlinux/arm64=${DEAD}`,
        retries: '0'
      };
      const sha = randomSha();
      const failed = await h.main('dead node', step(ws, image, given, sha));
      expect(failed.code).not.toBe(0);
      expect(log(failed)).toContain(`node linux-arm64 (${DEAD}) failed building linux/arm64`);
      expect(log(failed)).toContain('Nothing was published');
      expect(await h.registry.tags(repo).catch(() => [])).not.toContain(sha.slice(0, 7));

      const fallback = await h.main(
        'dead node, fallback',
        step(ws, image, { ...given, 'node-fallback': 'emulate' }, sha)
      );
      expectSucceeded(fallback, 'the fallback run');
      expect(await platformsOf(repo, sha.slice(0, 7))).toEqual(['linux/amd64', 'linux/arm64']);
      expect(fallback.summary).toContain(
        `| \`linux/arm64\` | \`linux-amd64\` (\`${nodes.amd64}\`) | v0.32.2 | emulated; node linux-arm64 failed: rebuilt here under QEMU (node-fallback) |`
      );
      // The head table agrees with the Builds table.
      expect(fallback.summary).toContain('| Emulated | `linux/arm64` |');
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a node whose socket does not exist, with the default retries: no bootstrap attempt is retried or waits for it, the healthy node builds, and the failure names the node, its endpoint and why',
    async () => {
      const ws = workspace();
      const image = `${e.registry}/${uniqueRepo('nodes-dead-retries')}`;
      const repo = image.slice(e.registry.length + 1);
      const before = await histories(nodes.amd64);
      const sha = randomSha();
      const failed = await h.main(
        'dead node, default retries',
        step(
          ws,
          image,
          { platforms: 'linux/amd64,linux/arm64', nodes: `linux/amd64=${nodes.amd64}\nlinux/arm64=${DEAD}` },
          sha
        )
      );
      expect(failed.code).not.toBe(0);
      const text = log(failed);
      // Not transient: the bootstrap is not retried, and the dead node was never part of it.
      expect(text).not.toMatch(/starting builder \S+: attempt \d of/);
      expect(text).not.toContain('not every node of');
      expect(text).toContain(
        `node linux-arm64 (${DEAD}): no socket at ${DEAD.slice('unix://'.length)} (no such file); left out of the builder`
      );
      // The healthy node built its platform all the same.
      expect(await builtSince(nodes.amd64, before)).toEqual(['linux/amd64']);
      const errors = errorLines(failed);
      expect(errors).toContain(
        `node linux-arm64 (${DEAD}) failed building linux/arm64: unreachable (no socket at ${DEAD.slice('unix://'.length)} (no such file))`
      );
      expect(await h.registry.tags(repo).catch(() => [])).not.toContain(sha.slice(0, 7));
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a RUN step that fails on a node: the error names the platform once, then its node',
    async () => {
      const ws = workspace();
      writeFileSync(
        path.join(ws, 'Dockerfile'),
        `FROM ${e.nodesBaseImage}\nRUN echo ${randomBytes(6).toString('hex')} && exit 3\n`
      );
      const image = `${e.registry}/${uniqueRepo('nodes-run-fails')}`;
      const failed = await h.main(
        'RUN fails on a node',
        step(ws, image, { platforms: 'linux/amd64', nodes: `linux/amd64=${nodes.amd64}` })
      );
      expect(failed.code).not.toBe(0);
      const [first] = errorLines(failed);
      expect(first).toMatch(/^linux\/amd64 on node linux-amd64 \(.*\): Dockerfile:2: RUN .* failed: exit code 3$/);
      expect(first.match(/linux\/amd64/g)).toHaveLength(1);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a node killed mid-build: the step fails naming node, endpoint and platform, and no tag moves',
    async () => {
      // A node of this case's own: a buildkitd declaring linux/386, killed while its build runs.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-nodes-kill-'));
      const endpoint = `unix://${dir}/buildkitd.sock`;
      const daemon = spawn(
        path.join(path.dirname(e.buildctl), 'buildkitd'),
        ['--addr', endpoint, '--root', path.join(dir, 'root'), '--config', e.buildkitdConfig],
        { detached: true, stdio: 'ignore' }
      );
      const kill = () => {
        try {
          process.kill(-daemon.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      h.cleanup(() => rmSync(dir, { recursive: true, force: true }));
      h.cleanup(kill);
      for (let i = 0; ; i++) {
        const probe = spawnSync(e.buildctl, ['--addr', endpoint, 'debug', 'workers'], { encoding: 'utf8' });
        if (probe.status === 0) break;
        if (i > 150) throw new Error(`the case's own buildkitd did not answer: ${probe.stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const ws = workspace();
      writeFileSync(
        path.join(ws, 'Dockerfile'),
        `FROM ${e.nodesBaseImage}\nRUN echo ${randomBytes(6).toString('hex')} >/nonce && sleep 20\n`
      );
      const image = `${e.registry}/${uniqueRepo('nodes-killed')}`;
      const repo = image.slice(e.registry.length + 1);
      const sha = randomSha();
      const running = h.main(
        'node killed mid-build',
        step(
          ws,
          image,
          {
            platforms: 'linux/amd64,linux/386',
            nodes: `linux/amd64=${nodes.amd64}\nlinux/386=${endpoint}`,
            retries: '0'
          },
          sha
        )
      );
      // Killed once its build has started: its history lists it.
      for (let i = 0; i < 300; i++) {
        const r = spawnSync(e.buildctl, ['--addr', endpoint, 'debug', 'histories'], { encoding: 'utf8' });
        if (r.status === 0 && r.stdout.trim().split('\n').length > 1) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 1500));
      kill();
      const failed = await running;
      expect(failed.code).not.toBe(0);
      expect(log(failed)).toContain(`node linux-386 (${endpoint}) failed building linux/386`);
      expect(log(failed)).toContain('Nothing was published');
      expect(await h.registry.tags(repo).catch(() => [])).not.toContain(sha.slice(0, 7));
    },
    CASE_TIMEOUT_MS
  );

  test(
    'the command line: --nodes repeated, amd64 and 386 each on its node',
    async () => {
      const ws = workspace();
      spawnSync('git', ['init', '-q', '-b', 'main', ws]);
      spawnSync('git', ['-C', ws, '-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', 'add', '-A']);
      spawnSync('git', ['-C', ws, '-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', 'commit', '-qm', 'x']);
      const image = `${e.registry}/${uniqueRepo('nodes-cli')}`;
      const repo = image.slice(e.registry.length + 1);
      const before = await Promise.all([nodes.amd64, nodes['386']].map(histories));
      const buildxConfig = path.join(ws, '.buildx');
      mkdirSync(buildxConfig);
      const r = spawnSync(
        process.execPath,
        [
          path.join(ROOT, 'dist/cli/index.js'),
          '--images',
          image,
          '--platforms',
          'linux/amd64,linux/386',
          '--nodes',
          `linux/amd64=${nodes.amd64}`,
          '--nodes',
          `linux/386=${nodes['386']}`,
          '--tags',
          'type=raw,value=cli'
        ],
        { cwd: ws, encoding: 'utf8', env: { ...process.env, BUILDX_CONFIG: buildxConfig }, timeout: 300_000 }
      );
      if (r.status !== 0) throw new Error(`the command line exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
      expect(await builtSince(nodes.amd64, before[0])).toEqual(['linux/amd64']);
      expect(await builtSince(nodes['386'], before[1])).toEqual(['linux/386']);
      expect(await platformsOf(repo, 'cli')).toEqual(['linux/386', 'linux/amd64']);
    },
    CASE_TIMEOUT_MS
  );
});
