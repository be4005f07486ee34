/**
 * The bundled action (dist/index.js), run the way the GitHub runner runs it, against the real
 * stack: QEMU from the host, a BuildKit daemon reached through buildx's remote driver, and local
 * registries read back over HTTP independently of buildx. Every case pushes to its own fresh
 * repository so reruns never see old state.
 */
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DIST, ROOT, runStep, type StepOptions, type StepResult } from './support/runner.js';
import { Registry, platformId, type IndexEntry } from './support/registry.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import { readFileFromImage, readImage } from './support/image.js';
import { errorAnnotations, expectSucceeded, keepLog, log } from './support/harness.js';
import { describeSteps, fromCache, parseSteps, stepsOf, type BuildStep } from './support/progress.js';

const FIXTURES = path.join(ROOT, '__tests__/fixtures');
// Per test: jest ignores testTimeout inside a project's config, so the e2e project's 600000 never applies.
const CASE_TIMEOUT_MS = 300_000;

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the action's end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

/** A fresh repository name: reruns and other cases never share registry state. */
function uniqueRepo(name: string): string {
  return `e2e/${name}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** The environment docker commands in this file run with: the same the runner gives the action. */
function dockerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    ...(process.env.DOCKER_CONFIG ? { DOCKER_CONFIG: process.env.DOCKER_CONFIG } : {}),
    ...extra
  };
}

function docker(args: string[], extra: Record<string, string> = {}): { code: number; output: string } {
  const r = spawnSync('docker', args, { env: dockerEnv(extra), encoding: 'utf8' });
  return { code: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Everything the step printed, for searching. */
describeStack('the bundled action against the real stack', () => {
  // describe.skip still runs this body: read the stack only when it is up.
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const registry = new Registry(env.registry);
  const cleanups: Array<() => unknown> = [];
  /** Post steps still owed for main steps a case ran: each case's builders go when it ends. */
  const owedPosts = new Map<StepResult, () => Promise<unknown>>();
  const timings: Array<[string, number]> = [];

  beforeAll(() => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run bundle first`);
  });

  afterEach(async () => {
    for (const runPost of [...owedPosts.values()]) await runPost();
  }, CASE_TIMEOUT_MS);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.log(`clean-up failed: ${(error as Error).message}`);
      }
    }
    console.log(`action runs (s):\n${timings.map(([what, s]) => `  ${s.toFixed(1).padStart(5)}  ${what}`).join('\n')}`);
  }, CASE_TIMEOUT_MS);

  /** A temporary copy of a fixture project, as a checkout in GITHUB_WORKSPACE would be. */
  function workspace(project: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), `e2e-ws-${project}-`));
    cpSync(path.join(FIXTURES, 'projects', project), dir, { recursive: true });
    // A copy of its own: a concurrent run elsewhere on the shared BuildKit cannot warm this one's cache.
    if (existsSync(path.join(dir, 'stable.txt')))
      appendFileSync(path.join(dir, 'stable.txt'), `${path.basename(dir)}\n`);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** The inputs every case shares: the remote driver on the stack's BuildKit, host QEMU, the local base image. */
  function inputs(image: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      images: image,
      driver: 'remote',
      endpoint: env.buildkitHost,
      qemu: 'host',
      'build-args': `BASE=${env.baseImage}`,
      ...extra
    };
  }

  /** Runs the main step, timed; its post step runs after the case unless the case runs it itself. */
  async function main(what: string, options: StepOptions): Promise<StepResult> {
    const start = Date.now();
    const result = await runStep(options);
    timings.push([`${what} (main, exit ${result.code})`, (Date.now() - start) / 1000]);
    keepLog(what, result);
    owedPosts.set(result, () => post(`${what} (post after the case)`, options, result));
    return result;
  }

  async function post(what: string, options: StepOptions, mainResult: StepResult): Promise<StepResult> {
    const start = Date.now();
    owedPosts.delete(mainResult);
    const result = await runStep({ ...options, state: mainResult.state });
    timings.push([what, (Date.now() - start) / 1000]);
    keepLog(what, result);
    return result;
  }

  function prune(): void {
    // Wipes the daemon's local cache as an ephemeral runner starts without one.
    const r = spawnSync(env.buildctl, ['--addr', env.buildkitHost, 'prune', '--all'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`buildctl prune failed: ${r.stderr}`);
  }

  test(
    'linux/amd64, linux/arm64 and linux/arm/v7: one index of exactly those platforms, each config and RUN layer from its own architecture',
    async () => {
      const repo = uniqueRepo('arch');
      const platforms = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];
      // no-cache: the RUN steps must run in this test, not come from an earlier build's cache.
      const result = await main('three platforms', {
        workspace: workspace('arch'),
        inputs: inputs(`${env.registry}/${repo}`, {
          platforms: platforms.join(','),
          'no-cache': 'true',
          cache: 'false'
        })
      });
      expectSucceeded(result, 'the three-platform build');

      const steps = parseSteps(log(result));
      for (const platform of platforms) {
        const run = stepsOf(steps, platform).find((s) => s.instruction.startsWith('RUN uname -m'));
        expect({ platform, status: run?.status }).toEqual({ platform, status: 'DONE' });
      }

      const index = await registry.manifest(repo, result.outputs.digest);
      expect(index?.digest).toBe(result.outputs.digest);
      expect(index?.body.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      const entries = index?.body.manifests ?? [];
      const images = Registry.images(entries);
      expect(images.map((e) => platformId(e.platform!)).sort()).toEqual([...platforms].sort());

      // Whatever else the index holds must be attestations (provenance is on by default) of those images.
      const others = entries.filter((e) => !images.includes(e));
      for (const other of others) {
        expect(other.annotations?.['vnd.docker.reference.type']).toBe('attestation-manifest');
        expect(other.platform).toEqual({ os: 'unknown', architecture: 'unknown' });
        expect(images.map((e) => e.digest)).toContain(other.annotations?.['vnd.docker.reference.digest']);
      }

      const expected: Record<string, { architecture: string; variant?: string; uname: string }> = {
        'linux/amd64': { architecture: 'amd64', uname: 'x86_64' },
        'linux/arm64': { architecture: 'arm64', uname: 'aarch64' },
        'linux/arm/v7': { architecture: 'arm', variant: 'v7', uname: 'armv7l' }
      };
      const seen: Record<string, unknown> = {};
      for (const entry of images) {
        const platform = platformId(entry.platform!);
        const { config } = await readImage(registry, repo, entry.digest);
        const uname = await readFileFromImage(registry, repo, entry.digest, '/uname.txt');
        const target = await readFileFromImage(registry, repo, entry.digest, '/targetplatform.txt');
        seen[platform] = {
          architecture: config.architecture,
          ...(config.variant ? { variant: config.variant } : {}),
          uname: uname?.trim(),
          target: target?.trim()
        };
      }
      expect(seen).toEqual(Object.fromEntries(platforms.map((p) => [p, { ...expected[p], target: p }])));
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a push of git tag v1.2.3: every computed tag resolves to the index digest the outputs name',
    async () => {
      const repo = uniqueRepo('tags');
      const image = `${env.registry}/${repo}`;
      const payload = JSON.parse(readFileSync(path.join(FIXTURES, 'events/push_tag.json'), 'utf8')) as {
        after: string;
      };
      const result = await main('tag push', {
        workspace: workspace('arch'),
        inputs: inputs(image),
        event: { name: 'push', ref: 'refs/tags/v1.2.3', sha: payload.after, payload }
      });
      expectSucceeded(result, 'the tag-push build');

      const tags = ['1.2.3', '1.2', '1', 'v1.2.3', 'latest', `sha-${payload.after.slice(0, 7)}`];
      const { digest } = result.outputs;
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(result.outputs.version).toBe('1.2.3');
      expect(result.outputs.tags.split('\n').sort()).toEqual(tags.map((t) => `${image}:${t}`).sort());

      for (const tag of tags) {
        const fetched = await registry.manifest(repo, tag);
        expect({ tag, digest: fetched?.digest }).toEqual({ tag, digest });
      }
      // Nothing else was tagged: only the registry cache sits beside the computed tags.
      expect((await registry.tags(repo)).filter((t) => t !== 'buildcache').sort()).toEqual([...tags].sort());

      const index = await registry.manifest(repo, digest);
      const fromIndex = Object.fromEntries(
        Registry.images(index?.body.manifests).map((e: IndexEntry) => [platformId(e.platform!), e.digest])
      );
      expect(Object.keys(fromIndex).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      expect(JSON.parse(result.outputs['platform-digests'])).toEqual(fromIndex);
      expect(JSON.parse(result.outputs.json)).toMatchObject({
        digest,
        version: '1.2.3',
        'platform-digests': fromIndex
      });
    },
    CASE_TIMEOUT_MS
  );

  test(
    'cache on an ephemeral runner: after the builder state is wiped, every step before COPY changing.txt comes from the registry cache on both platforms',
    async () => {
      const repo = uniqueRepo('cache');
      const dir = workspace('cache');
      const options: StepOptions = {
        workspace: dir,
        inputs: inputs(`${env.registry}/${repo}`, { platforms: 'linux/amd64,linux/arm64' })
      };
      const platforms = ['linux/amd64', 'linux/arm64'];

      prune();
      const first = await main('cache: first build', options);
      expectSucceeded(first, 'the first cache build');
      // Sanity: on an empty builder and an empty cache ref, nothing after FROM was cached.
      const firstSteps = parseSteps(log(first));
      for (const platform of platforms) {
        const after = stepsOf(firstSteps, platform).filter((s) => !s.instruction.startsWith('FROM '));
        expect(after.length).toBe(5);
        expect({ platform, notRun: describeSteps(after.filter((s) => s.status !== 'DONE')) }).toEqual({
          platform,
          notRun: []
        });
      }
      expect(await registry.manifest(repo, 'buildcache')).toBeDefined();

      writeFileSync(path.join(dir, 'changing.txt'), `version 2 ${randomBytes(4).toString('hex')}\n`);
      prune();
      const second = await main('cache: rebuild after a change', options);
      expectSucceeded(second, 'the second cache build');

      const text = log(second);
      // The cache ref was read: a wiped builder has nowhere else to find these steps.
      const cacheRef = `${env.registry}/${repo}:buildcache`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      const importVertex = new RegExp(`^#(\\d+) importing cache manifest from ${cacheRef}$`, 'm').exec(text)?.[1];
      expect(importVertex).toMatch(/^\d+$/);
      expect(text).toMatch(new RegExp(`^#${importVertex} DONE`, 'm'));

      const steps = parseSteps(text);
      for (const platform of platforms) {
        const mine = stepsOf(steps, platform);
        const change = mine.findIndex((s) => s.instruction.startsWith('COPY changing.txt'));
        expect(change).toBeGreaterThan(0);
        const before = mine.slice(0, change);
        const after = mine.slice(change);
        // FROM only resolves the base image; the RUN and COPY steps are what the cache must spare.
        expect(before.filter((s) => !s.instruction.startsWith('FROM ')).map((s) => s.instruction)).toEqual([
          'COPY stable.txt /stable.txt',
          'RUN uname -m > /first.txt && cat /stable.txt >> /first.txt && sleep 1',
          'RUN cat /stable.txt /first.txt > /second.txt'
        ]);
        expect({
          platform,
          notCached: describeSteps(before.filter((s) => !s.instruction.startsWith('FROM ') && !fromCache(s)))
        }).toEqual({ platform, notCached: [] });
        expect({ platform, notRerun: describeSteps(after.filter((s) => s.status !== 'DONE')) }).toEqual({
          platform,
          notRerun: []
        });
        expect(after.map((s) => s.instruction)).toEqual([
          'COPY changing.txt /changing.txt',
          'RUN cat /changing.txt > /third.txt'
        ]);
      }

      // The images agree, independently of the log: a RUN step that ran again would have written a
      // new layer (new file times), so every layer below COPY changing.txt must be the first build's.
      const firstDigests = JSON.parse(first.outputs['platform-digests']) as Record<string, string>;
      const secondDigests = JSON.parse(second.outputs['platform-digests']) as Record<string, string>;
      for (const platform of platforms) {
        const layers = async (digest: string) =>
          (await readImage(registry, repo, digest)).manifest.layers.map((l) => l.digest);
        const [before, after] = [await layers(firstDigests[platform]), await layers(secondDigests[platform])];
        expect(after.length).toBe(before.length);
        expect({ platform, kept: after.slice(0, -2) }).toEqual({ platform, kept: before.slice(0, -2) });
        expect(after.at(-1)).not.toBe(before.at(-1));
      }
    },
    CASE_TIMEOUT_MS
  );

  test(
    'post removes the builder main created, leaves another builder alone, and can run twice',
    async () => {
      const other = `e2e-keep-${randomBytes(3).toString('hex')}`;
      const created = docker(['buildx', 'create', '--name', other, '--driver', 'remote', env.buildkitHost]);
      expect(created).toMatchObject({ code: 0 });
      cleanups.push(() => docker(['buildx', 'rm', '--force', other]));

      const options: StepOptions = {
        workspace: workspace('arch'),
        inputs: inputs(`${env.registry}/${uniqueRepo('post')}`, { platforms: 'linux/amd64' })
      };
      const result = await main('post: main', options);
      expectSucceeded(result, 'the build before post');
      const builder = result.outputs.builder;
      expect(builder).toMatch(/^multiarch-/);
      expect(builder).not.toBe(other);
      expect(docker(['buildx', 'inspect', builder]).code).toBe(0);

      const first = await post('post: first', options, result);
      expect({ code: first.code, errors: errorAnnotations(first) }).toEqual({ code: 0, errors: [] });
      expect(first.stdout).toContain(`removed builder ${builder}`);
      const gone = docker(['buildx', 'inspect', builder]);
      expect(gone.code).not.toBe(0);
      expect(gone.output).toMatch(/not found|no builder/i);
      const list = docker(['buildx', 'ls']).output;
      expect(list).not.toContain(builder);
      expect(list).toContain(other);
      expect(docker(['buildx', 'inspect', other]).code).toBe(0);

      const again = await post('post: second', options, result);
      expect({ code: again.code, errors: errorAnnotations(again) }).toEqual({ code: 0, errors: [] });
      expect(docker(['buildx', 'inspect', other]).code).toBe(0);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a failing RUN step: the action fails, shows the build error, and pushes no tag',
    async () => {
      const repo = uniqueRepo('broken');
      const result = await main('broken build', {
        workspace: workspace('broken'),
        inputs: inputs(`${env.registry}/${repo}`)
      });
      expect(result.code).not.toBe(0);
      expect(log(result)).toMatch(/exit code: 42|about to fail on purpose/);
      // The annotation is what a person sees first on GitHub: it must carry the reason too.
      expect(errorAnnotations(result).join('\n')).toMatch(/exit code: 42|about to fail on purpose/);
      // Its first line names the platforms' step and cause, and it is placed on the Dockerfile's line.
      const annotation = log(result)
        .split('\n')
        .filter((l) => l.startsWith('::error'));
      expect(annotation.length).toBe(1);
      expect(annotation[0]).toMatch(
        /^::error file=Dockerfile,line=4::linux\/(amd64|arm64): Dockerfile:4: RUN .* failed: exit code 42%0A/
      );
      // The job summary says what failed, in which phase, and which tags it was to move.
      expect(result.summary).toMatch(/## Multi-arch image: failed/);
      expect(result.summary).toMatch(/\*\*Build linux\/amd64, linux\/arm64\*\* failed/);
      expect(result.summary).toContain(`- \`${env.registry}/${repo}:main\``);
      expect(await registry.tags(repo)).toEqual([]);
      expect(result.outputs.digest ?? '').toBe('');
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a registry with basic auth: the stack credentials push; a wrong password fails clearly; the password is never printed or stored',
    async () => {
      const password = readFileSync(env.authPasswordFile, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(8);
      const authRegistry = new Registry(env.authRegistry, { user: env.authUser, password });
      // The registry really demands credentials: an anonymous read is refused.
      await expect(new Registry(env.authRegistry).tags('base/busybox')).rejects.toThrow(/401/);

      const authInputs = (repo: string) =>
        inputs(`${env.authRegistry}/${repo}`, { 'build-args': `BASE=${env.authBaseImage}` });
      const goodRepo = uniqueRepo('auth');
      const goodOptions: StepOptions = {
        workspace: workspace('arch'),
        inputs: authInputs(goodRepo),
        env: { DOCKER_CONFIG: env.authDockerConfig }
      };
      const good = await main('auth: stack credentials', goodOptions);
      expectSucceeded(good, 'the build with the stack credentials');
      expect(good.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(good.outputs.tags).toContain(`${env.authRegistry}/${goodRepo}:main`);
      for (const ref of good.outputs.tags.split('\n')) {
        const fetched = await authRegistry.manifest(goodRepo, ref.slice(ref.lastIndexOf(':') + 1));
        expect({ ref, digest: fetched?.digest }).toEqual({ ref, digest: good.outputs.digest });
      }
      const goodPost = await post('auth: stack credentials (post)', goodOptions, good);
      expect(goodPost.code).toBe(0);

      // A DOCKER_CONFIG with the right user and a wrong password, and the buildx plugin beside it.
      const wrongConfig = mkdtempSync(path.join(os.tmpdir(), 'e2e-docker-wrong-'));
      cleanups.push(() => rmSync(wrongConfig, { recursive: true, force: true }));
      mkdirSync(path.join(wrongConfig, 'cli-plugins'));
      symlinkSync(
        realpathSync(path.join(env.authDockerConfig, 'cli-plugins/docker-buildx')),
        path.join(wrongConfig, 'cli-plugins/docker-buildx')
      );
      writeFileSync(
        path.join(wrongConfig, 'config.json'),
        JSON.stringify({
          auths: { [env.authRegistry]: { auth: Buffer.from(`${env.authUser}:wrong`).toString('base64') } }
        })
      );
      const badRepo = uniqueRepo('auth-wrong');
      const badOptions: StepOptions = {
        workspace: workspace('arch'),
        inputs: authInputs(badRepo),
        env: { DOCKER_CONFIG: wrongConfig }
      };
      const bad = await main('auth: wrong password', badOptions);
      expect(bad.code).not.toBe(0);
      const errors = errorAnnotations(bad);
      console.log(`the wrong-password run's error annotation:\n${errors.join('\n---\n')}`);
      // The message names the registry that refused, says why and what to do, without the build's noise.
      expect(errors.join('\n')).toContain(`${env.authRegistry} refused the credentials (401 Unauthorized)`);
      expect(errors.join('\n')).toContain(`Log in to ${env.authRegistry} before this step`);
      expect(errors.join('\n')).not.toContain('Dockerfile:');
      expect(await authRegistry.tags(badRepo)).toEqual([]);
      const badPost = await post('auth: wrong password (post)', badOptions, bad);
      expect(badPost.code).toBe(0);

      const secrets = [password, Buffer.from(`${env.authUser}:${password}`).toString('base64')];
      for (const [what, r] of Object.entries({ good, goodPost, bad, badPost })) {
        const everything = [
          r.stdout,
          r.stderr,
          JSON.stringify(r.outputs),
          JSON.stringify(r.state),
          r.summary,
          ...Object.values(r.files)
        ].join('\n');
        for (const secret of secrets)
          expect({ what, leaked: everything.includes(secret) }).toEqual({ what, leaked: false });
      }
    },
    CASE_TIMEOUT_MS
  );
});

describe('the plain-progress step parser the cache case relies on', () => {
  // Shapes seen in BuildKit 0.32's plain output, trimmed.
  const log = [
    '#5 [linux/arm64 1/3] FROM 127.0.0.1:5000/base/busybox:latest@sha256:aa',
    '#5 resolve 127.0.0.1:5000/base/busybox:latest@sha256:aa 0.0s done',
    '#5 DONE 0.0s',
    '#9 [linux/arm64 2/3] RUN uname -m > /first.txt',
    '#9 CACHED',
    '#10 [linux/amd64 2/3] RUN uname -m > /first.txt',
    '#10 DONE 1.2s',
    // a hit printed CACHED, then its layers fetched for the next step under the same vertex
    '#13 [linux/arm64 3/3] RUN cat /first.txt > /second.txt',
    '#13 CACHED',
    '#14 [linux/amd64 3/3] RUN cat /first.txt > /second.txt',
    '#14 ...',
    '#13 [linux/arm64 3/3] RUN cat /first.txt > /second.txt',
    `#13 sha256:${'7'.repeat(64)} 113B / 113B 0.0s done`,
    `#13 extracting sha256:${'7'.repeat(64)} done`,
    '#13 DONE 0.1s',
    // a hit whose CACHED update was overwritten by the fetch of its layers
    '#14 [linux/amd64 3/3] RUN cat /first.txt > /second.txt',
    `#14 sha256:${'3'.repeat(64)} 1.06MB / 1.06MB 0.0s done`,
    `#14 extracting sha256:${'3'.repeat(64)}`,
    `#14 extracting sha256:${'3'.repeat(64)} 0.1s done`,
    '#14 DONE 0.3s',
    '#11 [linux/arm64 4/4] COPY changing.txt /changing.txt',
    '#11 ERROR: failed to compute cache key'
  ].join('\n');

  test('pairs each step header with the outcome of its vertex, headers repeated or not', () => {
    const steps: BuildStep[] = parseSteps(log);
    expect(describeSteps(steps)).toEqual([
      'linux/amd64 2/3 DONE RUN uname -m > /first.txt',
      'linux/amd64 3/3 LOADED RUN cat /first.txt > /second.txt',
      'linux/arm64 1/3 DONE FROM 127.0.0.1:5000/base/busybox:latest@sha256:aa',
      'linux/arm64 2/3 CACHED RUN uname -m > /first.txt',
      'linux/arm64 3/3 CACHED RUN cat /first.txt > /second.txt',
      'linux/arm64 4/4 ERROR COPY changing.txt /changing.txt'
    ]);
    expect(steps.filter(fromCache).map((s) => s.vertex)).toEqual([14, 9, 13]);
  });

  test('a step that ran, or has no outcome, is not a cache hit; a platform with no steps is an error', () => {
    expect(parseSteps('#4 [linux/arm64 2/2] RUN true\n#4 DONE 0.2s').map(fromCache)).toEqual([false]);
    expect(parseSteps('#4 [linux/arm64 2/2] RUN true')[0].status).toBe('unfinished');
    expect(
      parseSteps(`#4 [2/2] RUN true\n#4 sha256:${'a'.repeat(64)} 1B / 1B 0.0s done\n#4 ERROR: boom`)[0]
    ).toMatchObject({ platform: '', status: 'ERROR' });
    expect(() => stepsOf(parseSteps(log), 'linux/arm/v7')).toThrow('the build log shows no steps for linux/arm/v7');
  });
});
