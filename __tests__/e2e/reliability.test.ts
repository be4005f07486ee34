/**
 * Reliability of the bundled action (dist/index.js, run the runner's way) against the real stack:
 * pushes through a fault-injecting proxy in front of the registry (faults at 40 % and 100 %, and a
 * stalled upload), bad input refused before anything runs, build secrets that never reach a log or
 * a command file, and clean-up after a main step that failed or was killed half way.
 *
 * Images addressed as 127.0.0.1:<proxy port>/repo go through the proxy (BuildKit talks plain HTTP
 * to 127.0.0.1:5000-5009 only); what landed is always read from the registry on 5000 directly.
 * Every run has its own BUILDX_CONFIG, so the builders it creates (or leaves) are its own to see.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIST, ROOT, runStep, type StepOptions, type StepResult } from './support/runner.js';
import { Registry, platformId, type IndexEntry } from './support/registry.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import { readFileFromImage } from './support/image.js';
import { processesMatching, startNotFoundServer, startStep, waitFor } from './support/step-control.js';
import { annotations, errorAnnotations, expectSucceeded, keepLog, log, tail } from './support/harness.js';
import { startFaultProxy, type FaultKind, type FaultProxy, type FaultProxyStats } from '../support/fault-proxy.js';

const FIXTURES = path.join(ROOT, '__tests__/fixtures/projects');
/** The ports BuildKit is configured to talk plain HTTP to, besides 5000 and 5001. */
const PROXY_PORTS = [5002, 5003, 5004, 5005, 5006, 5007, 5008, 5009];
const PLATFORMS = ['linux/amd64', 'linux/arm64'];

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the reliability end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

function unique(name: string): string {
  return `e2e-faults/${name}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** The retry warnings withRetry prints: `<what>: attempt N of M failed (<cause>); retrying in …`. */
function retryWarnings(result: StepResult): string[] {
  return annotations(result, 'warning').filter((w) => /: attempt \d+ of \d+ failed \(/.test(w));
}

/** Reads tags from a ref list output: `host:port/repo:tag` → `tag`. */
function tagOf(ref: string): string {
  return ref.slice(ref.lastIndexOf(':') + 1);
}

function diffStats(
  after: FaultProxyStats,
  before: FaultProxyStats
): { requests: number; injected: Record<FaultKind, number>; total: number } {
  const injected = { '503': 0, '429': 0, '403': 0, drop: 0, stall: 0 } as Record<FaultKind, number>;
  for (const kind of Object.keys(injected) as FaultKind[])
    injected[kind] = after.injected[kind] - before.injected[kind];
  return { requests: after.total - before.total, injected, total: after.injectedTotal - before.injectedTotal };
}

describeStack('reliability of the bundled action against the real stack', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const registry = new Registry(env.registry);
  const cleanups: Array<() => unknown> = [];
  const suiteStart = Date.now();

  beforeAll(() => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run bundle first`);
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.log(`clean-up failed: ${(error as Error).message}`);
      }
    }
    console.log(`reliability suite wall time: ${((Date.now() - suiteStart) / 1000).toFixed(1)} s`);
  }, 120_000);

  function tempDir(prefix: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** A temporary copy of a fixture project, as a checkout in GITHUB_WORKSPACE would be. */
  function workspace(project: string): string {
    const dir = tempDir(`e2e-ws-${project}-`);
    cpSync(path.join(FIXTURES, project), dir, { recursive: true });
    return dir;
  }

  /** A builder store of the run's own: what it creates, and what it leaves, is seen there alone. */
  function buildxConfig(): string {
    return tempDir('e2e-buildx-config-');
  }

  function buildersIn(store: string): string[] {
    const dir = path.join(store, 'instances');
    return existsSync(dir) ? readdirSync(dir) : [];
  }

  async function proxy(options: {
    failureRate: number;
    faults: FaultKind[];
    seed?: number;
    stallMs?: number;
    match?: (m: string, p: string) => boolean;
    decide?: Parameters<typeof startFaultProxy>[0]['decide'];
  }): Promise<FaultProxy> {
    const started = await startFaultProxy({
      target: `http://${env.registry}`,
      port: PROXY_PORTS,
      retryAfterSeconds: 1,
      ...options
    });
    cleanups.push(() => started.close());
    return started;
  }

  /** Inputs every build shares: the remote driver on the stack's BuildKit, host QEMU, the base image read from 5000 directly. */
  function inputs(image: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      images: image,
      platforms: PLATFORMS.join(','),
      driver: 'remote',
      endpoint: env.buildkitHost,
      qemu: 'host',
      'build-args': `BASE=${env.baseImage}`,
      ...extra
    };
  }

  /** Main, then post with main's state, as the runner runs them; post must always succeed. */
  async function mainAndPost(
    what: string,
    options: StepOptions
  ): Promise<{ main: StepResult; post: StepResult; seconds: number }> {
    const start = Date.now();
    const main = await runStep(options);
    const seconds = (Date.now() - start) / 1000;
    keepLog(`reliability ${what} main`, main);
    const post = await runStep({ ...options, state: main.state });
    keepLog(`reliability ${what} post`, post);
    expect({ what, post: post.code, errors: errorAnnotations(post) }).toEqual({ what, post: 0, errors: [] });
    return { main, post, seconds };
  }

  /** Every computed tag, read from 5000 directly, is the index the `digest` output names, holding both platforms. */
  async function expectPublished(repo: string, result: StepResult, platforms = PLATFORMS): Promise<string[]> {
    const digest = result.outputs.digest;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const refs = result.outputs.tags.split('\n').filter(Boolean);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const fetched = await registry.manifest(repo, tagOf(ref));
      expect({ ref, digest: fetched?.digest }).toEqual({ ref, digest });
      const images = Registry.images(fetched?.body.manifests as IndexEntry[] | undefined);
      expect({ ref, platforms: images.map((e) => platformId(e.platform!)).sort() }).toEqual({
        ref,
        platforms: [...platforms].sort()
      });
    }
    return refs.map(tagOf);
  }

  test('faults at 40 % (503, 429 with Retry-After, dropped connections): 10 of 10 two-platform pushes complete, every tag on its complete index', async () => {
    const runs = Number(process.env.RELIABILITY_RUNS ?? 10);
    const caseStart = Date.now();
    const faults: FaultKind[] = ['503', '429', 'drop'];
    const p = await proxy({
      failureRate: 0.4,
      faults,
      seed: Number(process.env.RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31))
    });
    console.log(
      `case A: proxy ${p.url} → ${env.registry}, failureRate 0.4, faults ${faults.join(', ')}, seed ${p.seed}`
    );
    const rows: Array<{
      run: number;
      exit: number;
      seconds: number;
      requests: number;
      injected: Record<FaultKind, number>;
      retries: number;
      by: string;
      again: number;
    }> = [];
    const ws = workspace('arch');
    for (let i = 1; i <= runs; i++) {
      const repo = unique(`a${i}`);
      const before = p.stats();
      const { main, seconds } = await mainAndPost(`A run ${i}`, {
        workspace: ws,
        inputs: inputs(`${p.url}/${repo}`),
        env: { BUILDX_CONFIG: buildxConfig() },
        timeoutMs: 240_000
      });
      const delta = diffStats(p.stats(), before);
      const warnings = retryWarnings(main);
      const by = Object.entries(
        warnings.reduce<Record<string, number>>((acc, w) => {
          const what = w.slice(0, w.indexOf(': attempt')).replace(/ .*@sha256:\S+| \S+:\d+\/\S+/, '');
          acc[what] = (acc[what] ?? 0) + 1;
          return acc;
        }, {})
      )
        .map(([k, v]) => `${k}×${v}`)
        .join(', ');
      // Of those, the action's own registry requests: withRetry retries them too, and their cause is
      // the request itself (`PUT http://…/v2/…/manifests/… answered 503 …`, `GET …: connection dropped …`).
      const again = warnings.filter((w) => / failed \((GET|HEAD|PUT|POST|DELETE) https?:\/\//.test(w)).length;
      rows.push({
        run: i,
        exit: main.code,
        seconds,
        requests: delta.requests,
        injected: delta.injected,
        retries: warnings.length,
        by,
        again
      });
      if (main.code !== 0)
        console.log(
          `case A run ${i} failed: ${(errorAnnotations(main)[0] ?? tail(main, 5)).split('\n')[0].slice(0, 600)}`
        );
      else await expectPublished(repo, main);
    }
    const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0);
    const table = [
      'run | exit | wall s | requests | 503 | 429 | drop | injected | retries used (by step) | request retries',
      ...rows.map((r) =>
        [
          r.run,
          r.exit,
          r.seconds.toFixed(1),
          r.requests,
          r.injected['503'],
          r.injected['429'],
          r.injected.drop,
          r.injected['503'] + r.injected['429'] + r.injected.drop,
          `${r.retries}${r.by ? ` (${r.by})` : ''}`,
          r.again
        ].join(' | ')
      ),
      `all | ${rows.filter((r) => r.exit === 0).length}/${rows.length} ok | ${sum((r) => r.seconds).toFixed(1)} | ${sum((r) => r.requests)} | ${sum((r) => r.injected['503'])} | ${sum((r) => r.injected['429'])} | ${sum((r) => r.injected.drop)} | ${sum((r) => r.injected['503'] + r.injected['429'] + r.injected.drop)} | ${sum((r) => r.retries)} | ${sum((r) => r.again)}`
    ].join('\n');
    console.log(
      `case A (failureRate 0.4, retries 3 = default), seed ${p.seed}, case wall ${((Date.now() - caseStart) / 1000).toFixed(1)} s:\n${table}`
    );
    expect(rows.filter((r) => r.exit !== 0).map((r) => r.run)).toEqual([]);
    expect(sum((r) => r.injected['503'] + r.injected['429'] + r.injected.drop)).toBeGreaterThan(0);
    expect(Date.now() - caseStart).toBeLessThan(360_000);
  }, 420_000);

  test('faults at 100 %: the action stops on its own, names the registry and the last error, and no computed tag exists', async () => {
    const faults: FaultKind[] = ['503', '429', 'drop'];
    // The preflight's push check (an upload opened, then cancelled: the first two requests) goes
    // through, so that the faults meet the build's push and the tagging, which must then move nothing.
    const p = await proxy({ failureRate: 1, faults, decide: ({ index }) => (index < 2 ? 'forwarded' : undefined) });
    const repo = unique('b');
    const image = `${p.url}/${repo}`;
    const ws = workspace('arch');
    // The tags a successful run would have moved: a dry run computes them and starts no process.
    const dry = await runStep({
      workspace: ws,
      inputs: inputs(image, { 'dry-run': 'true' }),
      env: { BUILDX_CONFIG: buildxConfig() }
    });
    expectSucceeded(dry, 'the dry run');
    // It reads the commit's date from the checkout (git), and starts nothing else.
    expect(dry.stdout).not.toMatch(/^\[command\] (?!git )/m);
    const computed = dry.outputs.tags.split('\n').filter(Boolean).map(tagOf);
    expect(computed.length).toBeGreaterThan(0);

    const store = buildxConfig();
    const before = p.stats();
    const { main, seconds } = await mainAndPost('B', {
      workspace: ws,
      inputs: inputs(image, { retries: '1' }),
      env: { BUILDX_CONFIG: store },
      timeoutMs: 240_000
    });
    const delta = diffStats(p.stats(), before);
    const errors = errorAnnotations(main).join('\n');
    console.log(
      `case B (failureRate 1, faults ${faults.join(', ')}, retries 1): exit ${main.code} after ${seconds.toFixed(1)} s; ${delta.requests} requests, injected ${JSON.stringify(delta.injected)}; ` +
        `retry warnings ${retryWarnings(main).length}; the error annotation:\n${errors}`
    );
    expect(main.code).toBe(1);
    // It stopped on its own, well inside the step's timeout (a kill would show as a signal exit).
    expect(seconds).toBeLessThan(180);
    expect(errors).toContain(p.url);
    expect(errors).toMatch(/failed 2 times; last error: /);
    expect(errors).toMatch(/last error: [^\n]*(503|429|Service Unavailable|Too Many Requests|connection reset|EOF)/i);
    expect(retryWarnings(main).length).toBeGreaterThanOrEqual(1);
    // No final tag points at an incomplete index: read from 5000 directly, none of the computed tags exists.
    const present = await registry.tags(repo);
    expect(present.filter((t) => computed.includes(t))).toEqual([]);
    expect(main.outputs.digest ?? '').toBe('');
    expect(buildersIn(store)).toEqual([]);
  }, 300_000);

  test('a stalled upload: the watchdog cancels the push after stall-timeout (15 s), the push is retried, and the run completes with correct tags', async () => {
    const uploads = (method: string, p: string) =>
      ['PUT', 'PATCH', 'POST'].includes(method) && /^\/v2\/.+\/(blobs\/uploads\/|manifests\/)/.test(p);
    // Only the build's first upload request stalls (held open, never answered); every later one goes
    // through. The first upload request of all is the preflight's push check, answered at once.
    const p = await proxy({
      failureRate: 0,
      faults: ['stall'],
      match: uploads,
      decide: ({ index }) => (index === 1 ? 'stall' : 'forwarded')
    });
    const repo = unique('c');
    const store = buildxConfig();
    const { main, seconds } = await mainAndPost('C', {
      workspace: workspace('arch'),
      inputs: inputs(`${p.url}/${repo}`, { 'stall-timeout': '15' }),
      env: { BUILDX_CONFIG: store },
      timeoutMs: 240_000
    });
    const stalled = p.events().find((e) => e.outcome === 'stall');
    const warnings = annotations(main, 'warning');
    console.log(
      `case C (stall-timeout 15): exit ${main.code} after ${seconds.toFixed(1)} s; stalled ${stalled?.method} ${stalled?.url}; warnings:\n${warnings.join('\n')}`
    );
    expectSucceeded(main, 'the run with a stalled upload');
    expect(p.stats().injected.stall).toBe(1);
    expect(warnings.some((w) => /printed nothing for 15 s; cancelling it/.test(w))).toBe(true);
    expect(warnings.some((w) => /^build and push: attempt 1 of 4 failed \(no progress \(stalled\)\)/.test(w))).toBe(
      true
    );
    await expectPublished(repo, main);
    // The watchdog waited its 15 s, and not much more than that went by before the retry.
    expect(seconds).toBeGreaterThan(15);
    expect(seconds).toBeLessThan(150);
    expect(buildersIn(store)).toEqual([]);
  }, 300_000);

  test('a stalled tag push: given up on after stall-timeout (15 s) and retried, and the run completes with correct tags', async () => {
    // The PUT of the first computed tag (main); the cache's own tag (buildcache) is pushed by the build.
    const tagPut = (method: string, p: string) => method === 'PUT' && /^\/v2\/.+\/manifests\/main$/.test(p);
    const p = await proxy({
      failureRate: 0,
      faults: ['stall'],
      match: tagPut,
      decide: ({ index }) => (index === 0 ? 'stall' : 'forwarded'),
      stallMs: 60_000
    });
    const repo = unique('c-tag');
    const { main, seconds } = await mainAndPost('C tag', {
      workspace: workspace('arch'),
      inputs: inputs(`${p.url}/${repo}`, { 'stall-timeout': '15' }),
      env: { BUILDX_CONFIG: buildxConfig() },
      timeoutMs: 180_000
    });
    const warnings = annotations(main, 'warning');
    const stalled = p.events().find((e) => e.outcome === 'stall');
    console.log(
      `case C (stalled tag PUT, stall-timeout 15): exit ${main.code} after ${seconds.toFixed(1)} s; stalled ${stalled?.method} ${stalled?.url}; warnings:\n${warnings.join('\n')}`
    );
    expectSucceeded(main, 'the run with a stalled tag push');
    expect(p.stats().injected.stall).toBe(1);
    // Given up on after stall-timeout: imagetools cancelled by the watchdog, or a direct PUT timed out.
    expect(main.stdout).toMatch(
      /printed nothing for 15 s; cancelling it|\/manifests\/main: request timed out after 15 s/
    );
    await expectPublished(repo, main);
    // Not rescued by the proxy dropping the stalled request after 60 s.
    expect(seconds).toBeLessThan(55);
  }, 240_000);

  describe('bad input: refused before anything is built, pushed or left behind', () => {
    interface BadInput {
      name: string;
      inputs: Record<string, string>;
      /** The input the error must name, the value it must quote, and what it must say is accepted. */
      input: string;
      value: string;
      accepted: RegExp;
      /** May start processes (a buildx download, `buildx version`) before it fails; never a build or a push. */
      late?: boolean;
    }
    const hex = 'a'.repeat(64);
    const longTag = `v${'1234567890'.repeat(13)}`; // 131 characters
    const secretLike = randomBytes(24).toString('base64url');
    const cases: BadInput[] = [
      {
        name: 'misspelt platform linux/amd46',
        inputs: { platforms: 'linux/amd46' },
        input: 'platforms',
        value: 'linux/amd46',
        accepted: /one of linux\/amd64, .*did you mean linux\/amd64\?/
      },
      {
        name: 'misspelt os linx/arm64',
        inputs: { platforms: 'linux/amd64,linx/arm64' },
        input: 'platforms',
        value: 'linx/arm64',
        accepted: /did you mean linux\/arm64\?/
      },
      {
        name: 'empty platforms ","',
        inputs: { platforms: ',' },
        input: 'platforms',
        value: ',',
        accepted: /at least one platform/
      },
      {
        name: 'one platform twice (linux/arm64, linux/aarch64)',
        inputs: { platforms: 'linux/arm64,linux/aarch64' },
        input: 'platforms',
        value: 'linux/aarch64',
        accepted: /each platform once.*linux\/arm64/
      },
      {
        name: 'image name with a space',
        inputs: { images: '127.0.0.1:5000/my app' },
        input: 'images',
        value: '127.0.0.1:5000/my app',
        accepted: /image name without tag or digest.*not a valid path component/
      },
      {
        name: 'image name with a tag (app:1)',
        inputs: { images: 'app:1' },
        input: 'images',
        value: 'app:1',
        accepted: /a tag is not accepted in an image name/
      },
      {
        name: 'image name with a digest',
        inputs: { images: `app@sha256:${hex}` },
        input: 'images',
        value: `app@sha256:${hex}`,
        accepted: /a digest is not accepted/
      },
      {
        name: 'image name ".."',
        inputs: { images: '..' },
        input: 'images',
        value: '..',
        accepted: /not a valid path component/
      },
      {
        name: 'tag rule of an unknown type',
        inputs: { tags: 'type=nope,value=x' },
        input: 'tags',
        value: 'type=nope,value=x',
        accepted: /unknown type "nope"/
      },
      {
        name: 'type=raw value with spaces',
        inputs: { tags: 'type=raw,value=has spaces' },
        input: 'tags',
        value: 'has spaces',
        accepted: /a tag of 1 to 128 characters from \[A-Za-z0-9_.-\]/
      },
      {
        name: 'type=raw value over 128 characters',
        inputs: { tags: `type=raw,value=${longTag}` },
        input: 'tags',
        value: longTag,
        accepted: /a tag of 1 to 128 characters/
      },
      {
        name: 'an unknown cache backend (s3)',
        inputs: { cache: 's3' },
        input: 'cache',
        value: 's3',
        accepted: /auto, registry, gha, off, true or false/
      },
      {
        name: 'unknown driver',
        inputs: { driver: 'podman', endpoint: '' },
        input: 'driver',
        value: 'podman',
        accepted: /one of docker-container, remote, docker/
      },
      {
        name: 'remote driver without endpoint',
        inputs: { driver: 'remote', endpoint: '' },
        input: 'endpoint',
        value: '',
        accepted: /BuildKit address .* when driver is remote/
      },
      {
        name: 'endpoint without the remote driver',
        inputs: { driver: 'docker-container', endpoint: 'unix:///run/buildkit/buildkitd.sock' },
        input: 'endpoint',
        value: 'unix:///run/buildkit/buildkitd.sock',
        accepted: /empty unless driver is remote/
      },
      {
        name: 'push and load with two platforms',
        inputs: { push: 'true', load: 'true' },
        input: 'platforms',
        value: 'linux/amd64,linux/arm64',
        accepted: /one platform when load is true/
      },
      {
        name: 'provenance: maybe',
        inputs: { provenance: 'maybe' },
        input: 'provenance',
        value: 'maybe',
        accepted: /true, false, or key=value options/
      },
      {
        name: 'load with two platforms',
        inputs: { push: 'false', load: 'true' },
        input: 'platforms',
        value: 'linux/amd64,linux/arm64',
        accepted: /one platform when load is true/
      },
      {
        name: 'missing Dockerfile',
        inputs: { file: 'nope/Dockerfile' },
        input: 'file',
        value: 'nope/Dockerfile',
        accepted: /an existing Dockerfile/
      },
      {
        name: 'missing context directory',
        inputs: { context: 'no-such-dir' },
        input: 'context',
        value: 'no-such-dir',
        accepted: /an existing directory/
      },
      { name: 'push: yes', inputs: { push: 'yes' }, input: 'push', value: 'yes', accepted: /true or false/ },
      { name: 'load: ture', inputs: { load: 'ture' }, input: 'load', value: 'ture', accepted: /true or false/ },
      { name: 'no-cache: 1', inputs: { 'no-cache': '1' }, input: 'no-cache', value: '1', accepted: /true or false/ },
      { name: 'pull: on', inputs: { pull: 'on' }, input: 'pull', value: 'on', accepted: /true or false/ },
      {
        name: 'dry-run: maybe',
        inputs: { 'dry-run': 'maybe' },
        input: 'dry-run',
        value: 'maybe',
        accepted: /true or false/
      },
      {
        name: 'qemu: maybe',
        inputs: { qemu: 'maybe' },
        input: 'qemu',
        value: 'maybe',
        accepted: /one of auto, binfmt-image, host, false/
      },
      {
        name: 'retries: -1',
        inputs: { retries: '-1' },
        input: 'retries',
        value: '-1',
        accepted: /a whole number from 0 to 10/
      },
      {
        name: 'retries: abc',
        inputs: { retries: 'abc' },
        input: 'retries',
        value: 'abc',
        accepted: /a whole number from 0 to 10/
      },
      {
        name: 'retries: 11',
        inputs: { retries: '11' },
        input: 'retries',
        value: '11',
        accepted: /a whole number from 0 to 10/
      },
      {
        name: 'stall-timeout: soon',
        inputs: { 'stall-timeout': 'soon' },
        input: 'stall-timeout',
        value: 'soon',
        accepted: /a whole number from 0 to 86400/
      },
      {
        name: 'cache-tag: a/b',
        inputs: { 'cache-tag': 'a/b' },
        input: 'cache-tag',
        value: 'a/b',
        accepted: /a tag name of letters, digits/
      },
      {
        name: 'metadata-source: svn',
        inputs: { 'metadata-source': 'svn' },
        input: 'metadata-source',
        value: 'svn',
        accepted: /one of auto, workflow, git/
      },
      {
        name: 'mode: matrices',
        inputs: { mode: 'matrices' },
        input: 'mode',
        value: 'matrices',
        accepted: /one of build, platform, merge, matrix/
      },
      {
        name: 'run-id with spaces',
        inputs: { 'run-id': 'run 42' },
        input: 'run-id',
        value: 'run 42',
        accepted: /letters, digits, _ \. -/
      },
      // The value is not echoed: a line without "id=" may be the secret itself.
      {
        name: 'secrets line without "="',
        inputs: { secrets: secretLike },
        input: 'secrets',
        value: 'item 1 (value not shown)',
        accepted: /lines of id=value/
      },
      {
        name: 'images empty with push true',
        inputs: { images: '', push: 'true' },
        input: 'images',
        value: '',
        accepted: /at least one image name/
      },
      {
        name: 'buildx-version newest',
        inputs: { 'buildx-version': 'newest' },
        input: 'buildx-version',
        value: 'newest',
        accepted: /a release version like v0\.36\.1/
      },
      {
        name: 'buildkitd-flags with the remote driver',
        inputs: { 'buildkitd-flags': '--debug' },
        input: 'buildkitd-flags',
        value: '--debug',
        accepted: /empty with driver remote/
      },
      {
        name: 'flavor latest=maybe',
        inputs: { flavor: 'latest=maybe' },
        input: 'flavor',
        value: 'latest=maybe',
        accepted: /latest must be auto, true or false/
      },
      {
        name: 'merge mode without platforms or digests',
        inputs: { mode: 'merge', platforms: '' },
        input: 'platforms',
        value: '',
        accepted: /in merge mode, the list of platforms/
      },
      {
        name: 'buildx-version that does not exist (mirror answers 404)',
        inputs: { 'buildx-version': 'v0.0.0-nope', 'buildx-mirror': 'MIRROR', platforms: 'linux/amd64' },
        input: 'buildx-version',
        value: 'v0.0.0-nope',
        accepted: /an existing buildx release .*404/,
        late: true
      },
      {
        name: 'merge mode with a malformed digests entry',
        inputs: { mode: 'merge', platforms: 'linux/amd64,linux/arm64', digests: 'sha256:1234' },
        input: 'digests',
        value: 'sha256:1234',
        accepted: /image@sha256:<64 hex> or sha256:<64 hex>/,
        late: true
      }
    ];
    const seen: Array<{ name: string; exit: number; commands: number; error: string }> = [];
    let mirror: Awaited<ReturnType<typeof startNotFoundServer>> | undefined;
    let ws = '';

    beforeAll(async () => {
      mirror = await startNotFoundServer();
      ws = stack.ok ? workspace('arch') : '';
    });
    afterAll(async () => {
      await mirror?.close();
      console.log(
        `case D: ${seen.length} malformed inputs\n${seen.map((r) => `${r.name} → exit ${r.exit}, ${r.commands} process(es): ${r.error.split('\n')[0]}`).join('\n')}`
      );
    });

    test('the table has at least 30 cases, each a distinct name', () => {
      expect(cases.length).toBeGreaterThanOrEqual(30);
      expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    });

    test.each(cases)(
      '$name',
      async (c) => {
        const store = buildxConfig();
        const given = Object.fromEntries(
          Object.entries(c.inputs).map(([k, v]) => [k, v === 'MIRROR' ? mirror!.origin : v])
        );
        const result = await runStep({
          workspace: ws,
          inputs: { ...inputs(`${env.registry}/${unique('d')}`), ...given },
          env: { BUILDX_CONFIG: store },
          timeoutMs: 60_000
        });
        keepLog(`reliability D ${c.name}`, result);
        const errors = errorAnnotations(result);
        const commands = result.stdout.split('\n').filter((l) => l.startsWith('[command]'));
        seen.push({ name: c.name, exit: result.code, commands: commands.length, error: errors.join(' | ') });
        expect(result.code).toBe(1);
        expect(errors).toHaveLength(1);
        const [error] = errors;
        expect(error).toContain(`input "${c.input}": ${JSON.stringify(c.value)} is not accepted; expected `);
        expect(error).toMatch(c.accepted);
        // Nothing was built or pushed, and unless the case needs a process to find out, nothing ran at all.
        expect(commands.filter((l) => /\sbuild\s|\simagetools\s+create\s/.test(l))).toEqual([]);
        if (!c.late) expect(commands).toEqual([]);
        // No builder was created, so none is left behind: not in the run's store, not in what post would clean.
        expect(buildersIn(store)).toEqual([]);
        const saved = result.state.cleanup
          ? (JSON.parse(result.state.cleanup) as { builder: string })
          : { builder: '' };
        expect(saved.builder).toBe('');
        if (c.input === 'secrets') expect(log(result)).not.toContain(secretLike.slice(0, 8));
        if (c.input === 'buildx-version' && c.late)
          expect(mirror!.requests.some((r) => r.includes('/v0.0.0-nope/'))).toBe(true);
      },
      90_000
    );
  });

  test('secrets (a secrets value, a secret-env, a secret file, the auth registry password): the build gets them, and no byte any run or post wrote holds them', async () => {
    const token = randomBytes(24).toString('base64url');
    const envToken = randomBytes(24).toString('base64url');
    const fileToken = randomBytes(24).toString('base64url');
    const secretFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'e2e-secret-file-')), 'filetok');
    writeFileSync(secretFile, `${fileToken}\n`);
    const password = readFileSync(env.authPasswordFile, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(8);
    const secretInputs = {
      secrets: `token=${token}`,
      'secret-envs': 'envtok=MY_ENV_SECRET',
      'secret-files': `filetok=${secretFile}`,
      'no-cache': 'true'
    };
    const runs: Array<{ what: string; repo: string; registry: Registry; options: StepOptions }> = [
      {
        what: 'plain registry',
        repo: unique('e'),
        registry,
        options: {
          workspace: workspace('secret'),
          inputs: {},
          env: { MY_ENV_SECRET: envToken, BUILDX_CONFIG: buildxConfig() }
        }
      },
      {
        what: 'auth registry',
        repo: unique('e-auth'),
        registry: new Registry(env.authRegistry, { user: env.authUser, password }),
        // The stack's DOCKER_CONFIG holds the credentials (and the buildx plugin); builders go to a store of the run's own.
        options: {
          workspace: workspace('secret'),
          inputs: {},
          env: { MY_ENV_SECRET: envToken, DOCKER_CONFIG: env.authDockerConfig, BUILDX_CONFIG: buildxConfig() }
        }
      }
    ];
    runs[0].options.inputs = inputs(`${env.registry}/${runs[0].repo}`, secretInputs);
    runs[1].options.inputs = inputs(`${env.authRegistry}/${runs[1].repo}`, {
      ...secretInputs,
      'build-args': `BASE=${env.authBaseImage}`
    });

    const secrets: Record<string, string> = {
      'secrets value': token,
      'secrets value, base64': Buffer.from(token).toString('base64'),
      'secret-envs value': envToken,
      'secret-envs value, base64': Buffer.from(envToken).toString('base64'),
      'secret-files content': fileToken,
      'registry password': password,
      'registry password, base64': Buffer.from(password).toString('base64'),
      'registry user:password, base64': Buffer.from(`${env.authUser}:${password}`).toString('base64')
    };
    const sha = (value: string) => createHash('sha256').update(value).digest('hex');
    let masks = 0;
    for (const run of runs) {
      const { main, post } = await mainAndPost(`E ${run.what}`, run.options);
      expectSucceeded(main, `the secret build against the ${run.what}`);
      // The runner's masking channel: `::add-mask::<value>` is consumed by the runner and never shown.
      // It is the one place a value may appear: each secret value, once.
      const addMask = main.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'));
      expect(addMask).toEqual([`::add-mask::${token}`, `::add-mask::${envToken}`, `::add-mask::${fileToken}`]);
      masks += addMask.length;
      for (const [step, r] of Object.entries({ main, post })) {
        const bytes: Record<string, string> = {
          stdout: r.stdout
            .split('\n')
            .filter((l) => !l.startsWith('::add-mask::'))
            .join('\n'),
          stderr: r.stderr,
          ...r.files
        };
        for (const [where, text] of Object.entries(bytes)) {
          for (const [which, value] of Object.entries(secrets)) {
            expect({ run: run.what, step, where, which, found: text.includes(value) }).toEqual({
              run: run.what,
              step,
              where,
              which,
              found: false
            });
          }
        }
      }
      // The secret file main wrote for buildx is gone once main has ended.
      const tempDir = (JSON.parse(main.state.cleanup) as { tempDir: string }).tempDir;
      expect(tempDir).toMatch(/multiarch-/);
      expect(existsSync(tempDir)).toBe(false);

      // The build really received both secrets: each platform's /token.sha and /envtok.sha hash them.
      const digests = JSON.parse(main.outputs['platform-digests']) as Record<string, string>;
      expect(Object.keys(digests).sort()).toEqual([...PLATFORMS].sort());
      for (const [platform, digest] of Object.entries(digests)) {
        const tokenSha = await readFileFromImage(run.registry, run.repo, digest, '/token.sha');
        const envSha = await readFileFromImage(run.registry, run.repo, digest, '/envtok.sha');
        expect({ platform, token: tokenSha?.trim(), env: envSha?.trim() }).toEqual({
          platform,
          token: `${sha(token)}  /run/secrets/token`,
          env: `${sha(envToken)}  /run/secrets/envtok`
        });
      }
      // Nor is any value in what the index carries as JSON: image configs and provenance attestations.
      const index = await run.registry.manifest(run.repo, main.outputs.digest);
      for (const entry of index?.body.manifests ?? []) {
        const manifest = await run.registry.manifest<{
          config: { digest: string };
          layers: Array<{ digest: string; mediaType: string }>;
        }>(run.repo, entry.digest);
        const jsonBlobs = [
          manifest!.body.config.digest,
          ...manifest!.body.layers.filter((l) => /json/.test(l.mediaType)).map((l) => l.digest)
        ];
        for (const blob of jsonBlobs) {
          const text = (await run.registry.blob(run.repo, blob)).toString('utf8');
          for (const [which, value] of Object.entries(secrets))
            expect({ blob, which, found: text.includes(value) }).toEqual({ blob, which, found: false });
        }
      }
    }
    console.log(
      `case E: 2 runs and their posts; ${Object.keys(secrets).length} values searched in stdout, stderr, GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY, image configs and attestations: none found; ${masks} ::add-mask:: commands (the runner's masking channel, not shown in logs)`
    );
  }, 300_000);

  describe('clean-up after a main step that did not finish', () => {
    /** A project whose build takes a while, so a step can be stopped in the middle of it. */
    function slowWorkspace(): string {
      const dir = tempDir('e2e-ws-slow-');
      writeFileSync(
        path.join(dir, 'Dockerfile'),
        'ARG BASE\nFROM ${BASE}\nARG NONCE\nRUN echo "${NONCE}" > /nonce && sleep 40\n'
      );
      return dir;
    }

    /** The slow RUN step has started: buildx is connected and quiet, waiting on it. */
    const BUILD_RUNNING = /^#\d+ \[2\/2\] RUN echo /m;

    function savedBuilder(state: Record<string, string>): string {
      return state.cleanup ? ((JSON.parse(state.cleanup) as { builder: string }).builder ?? '') : '';
    }

    function buildxLs(store: string): string {
      const r = spawnSync('docker', ['buildx', 'ls'], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', BUILDX_CONFIG: store },
        encoding: 'utf8'
      });
      return `${r.stdout}${r.stderr}`;
    }

    async function postTwice(
      what: string,
      options: StepOptions,
      state: Record<string, string>,
      builder: string,
      store: string
    ): Promise<void> {
      const first = await runStep({ ...options, state });
      keepLog(`reliability ${what} post 1`, first);
      expect({ code: first.code, errors: errorAnnotations(first), warnings: annotations(first, 'warning') }).toEqual({
        code: 0,
        errors: [],
        warnings: []
      });
      expect(first.stdout).toContain(`removed builder ${builder}`);
      expect(buildersIn(store)).toEqual([]);
      expect(buildxLs(store)).not.toContain(builder);
      const second = await runStep({ ...options, state });
      keepLog(`reliability ${what} post 2`, second);
      expect({ code: second.code, errors: errorAnnotations(second), warnings: annotations(second, 'warning') }).toEqual(
        { code: 0, errors: [], warnings: [] }
      );
      console.log(
        `case F (${what}): post 1 said "${first.stdout.split('\n').find((l) => l.includes(builder) && !l.startsWith('[command]'))}", post 2 said "${second.stdout.split('\n').find((l) => l.includes(builder) && !l.startsWith('[command]'))}"`
      );
    }

    test('a build that failed half way: post removes the builder and exits 0, and a second post exits 0 too', async () => {
      const store = buildxConfig();
      const options: StepOptions = {
        workspace: workspace('broken'),
        inputs: inputs(`${env.registry}/${unique('f-broken')}`, { platforms: 'linux/amd64' }),
        env: { BUILDX_CONFIG: store }
      };
      const main = await runStep(options);
      keepLog('reliability F broken main', main);
      expect(main.code).toBe(1);
      expect(errorAnnotations(main).join('\n')).toMatch(/exit code: 42|about to fail on purpose/);
      const builder = savedBuilder(main.state);
      expect(builder).toMatch(/^multiarch-/);
      expect(buildersIn(store)).toEqual([builder]);
      await postTwice('broken build', options, main.state, builder, store);
    }, 240_000);

    test('a main killed with SIGKILL during the build: post, given the state saved so far, removes the builder and the temporary directory, twice without error', async () => {
      const store = buildxConfig();
      const options: StepOptions = {
        workspace: slowWorkspace(),
        inputs: inputs(`${env.registry}/${unique('f-kill')}`, {
          platforms: 'linux/amd64',
          secrets: `token=${randomBytes(12).toString('hex')}`,
          'build-args': `BASE=${env.baseImage}\nNONCE=${randomBytes(8).toString('hex')}`
        }),
        env: { BUILDX_CONFIG: store },
        timeoutMs: 180_000
      };
      const running = startStep(options);
      // Kill once the builder exists (buildx ls lists it), main has recorded it, and the slow RUN step is under way.
      const builder = await waitFor(
        'main to create its builder and start the build',
        () => {
          const name = savedBuilder(running.state());
          return name && BUILD_RUNNING.test(running.stdout()) && name;
        },
        120_000
      );
      expect(buildxLs(store)).toContain(builder);
      running.child.kill('SIGKILL');
      const killed = await running.done;
      keepLog('reliability F killed main', killed);
      expect(killed.code).toBe(128 + 9);
      const state = running.state();
      const tempDir = (JSON.parse(state.cleanup) as { tempDir: string }).tempDir;
      expect(existsSync(tempDir)).toBe(true); // main never reached its own clean-up
      expect(buildersIn(store)).toEqual([builder]);

      // What the kill left running: the action starts buildx in a process group of its own.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const orphans = processesMatching(builder);
      console.log(
        `case F (SIGKILL): 2 s after main was killed, ${orphans.length} process(es) it started still ran: ${orphans.map((o) => `${o.pid} ${o.cmdline.slice(0, 120)}`).join('; ') || 'none'}`
      );

      await postTwice('SIGKILL during the build', options, state, builder, store);
      expect(existsSync(tempDir)).toBe(false);
      for (const orphan of processesMatching(builder)) {
        try {
          process.kill(orphan.pid, 'SIGKILL');
        } catch {
          // ended meanwhile
        }
      }
    }, 240_000);

    test('a main cancelled with SIGTERM during the build ends the buildx it started', async () => {
      const store = buildxConfig();
      const options: StepOptions = {
        workspace: slowWorkspace(),
        inputs: inputs(`${env.registry}/${unique('f-term')}`, {
          platforms: 'linux/amd64',
          'build-args': `BASE=${env.baseImage}\nNONCE=${randomBytes(8).toString('hex')}`
        }),
        env: { BUILDX_CONFIG: store },
        timeoutMs: 180_000
      };
      const running = startStep(options);
      const builder = await waitFor(
        'main to start the build',
        () => {
          const name = savedBuilder(running.state());
          return name && BUILD_RUNNING.test(running.stdout()) && name;
        },
        120_000
      );
      running.child.kill('SIGTERM');
      const ended = await running.done;
      keepLog('reliability F SIGTERM main', ended);
      await new Promise((resolve) => setTimeout(resolve, 6000));
      const orphans = processesMatching(builder);
      console.log(
        `case F (SIGTERM): main exited ${ended.code}; 6 s later ${orphans.length} process(es) it started still ran: ${orphans.map((o) => `${o.pid} ${o.cmdline.slice(0, 120)}`).join('; ') || 'none'}`
      );
      for (const orphan of orphans) {
        try {
          process.kill(orphan.pid, 'SIGKILL');
        } catch {
          // ended meanwhile
        }
      }
      const post = await runStep({ ...options, state: running.state() });
      expect(post.code).toBe(0);
      expect(orphans.map((o) => o.cmdline)).toEqual([]);
    }, 240_000);
  });
});
