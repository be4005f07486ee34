/**
 * `cache: gha` end to end: the bundled action, run the runner's way, on the stack's BuildKit with
 * the stack's GitHub Actions cache stand-in (the v2 Twirp service, blobs in Azurite). Each case has
 * a cache repository of its own on the stand-in, so nothing another run wrote is found.
 *
 * A build after `buildctl prune --all` has nowhere but the Actions cache to find its steps: a step
 * before COPY changing.txt that is CACHED then came from there.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitForStack } from './support/stack.js';
import { describeSteps, fromCache, parseSteps, type BuildStep } from './support/progress.js';
import {
  annotations,
  expectSucceeded,
  log,
  pushEvent,
  randomSha,
  uniqueRepo,
  useHarness,
  type TimedStep
} from './support/harness.js';
import type { StepOptions } from './support/runner.js';
import { MAIN_READ, MAIN_RW, PR_7, actionsCacheRepo } from './support/actions-cache.js';

const CASE_TIMEOUT_MS = 300_000;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const BEFORE_CHANGE = [
  'COPY stable.txt /stable.txt',
  'RUN uname -m > /first.txt && cat /stable.txt >> /first.txt && sleep 1',
  'RUN cat /stable.txt /first.txt > /second.txt'
];

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the gha cache end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

/** The steps of one platform before COPY changing.txt, FROM left out (it is pulled, never cached). */
function beforeChange(text: string, platform: string, onePlatform: boolean): BuildStep[] {
  const mine = parseSteps(text).filter((s) => s.platform === platform || (onePlatform && s.platform === ''));
  const change = mine.findIndex((s) => s.instruction.startsWith('COPY changing.txt'));
  expect({ platform, change }).toEqual({ platform, change: expect.any(Number) });
  return mine.slice(0, change).filter((s) => !s.instruction.startsWith('FROM '));
}

/** Every step before the change, on this platform, from the cache. */
function expectServedFromCache(result: TimedStep, platform: string, onePlatform = false): void {
  const before = beforeChange(log(result), platform, onePlatform);
  expect({ platform, steps: before.map((s) => s.instruction) }).toEqual({ platform, steps: BEFORE_CHANGE });
  expect({ platform, notCached: describeSteps(before.filter((s) => !fromCache(s))) }).toEqual({
    platform,
    notCached: []
  });
}

/** The argv of the `buildx build` the step started, from its `[command]` line. */
function buildCommand(text: string): string {
  return text.split('\n').find((line) => line.startsWith('[command]') && / build --builder /.test(line)) ?? '';
}

function pullRequest7(sha: string): StepOptions['event'] {
  return {
    name: 'pull_request',
    ref: 'refs/pull/7/merge',
    sha,
    payload: {
      number: 7,
      pull_request: {
        number: 7,
        base: { ref: 'main', repo: { full_name: 'acme/app' } },
        head: { ref: 'fix', sha, repo: { full_name: 'acme/app' } }
      },
      repository: {
        name: 'app',
        full_name: 'acme/app',
        html_url: 'https://github.com/acme/app',
        default_branch: 'main'
      }
    }
  };
}

describeStack('cache: gha against the Actions cache stand-in', () => {
  const env = stack.ok ? stack.env : (undefined as never);
  const h = useHarness(env, 'gha-cache');

  function change(workspace: string): void {
    writeFileSync(path.join(workspace, 'changing.txt'), `changed ${randomBytes(4).toString('hex')}\n`);
  }

  test(
    'an ephemeral runner: after the builder state is wiped, every unchanged step of both platforms comes from the Actions cache',
    async () => {
      const cache = actionsCacheRepo(env);
      const token = await cache.token(MAIN_RW);
      const workspace = h.workspace('cache');
      const image = `${env.registry}/${uniqueRepo('gha-ephemeral')}`;
      const inputs = h.inputs(image, { platforms: PLATFORMS.join(','), cache: 'gha' });

      h.prune();
      const first = await h.main('gha: cold', {
        workspace,
        inputs,
        event: pushEvent('refs/heads/main', randomSha()),
        env: cache.env(token)
      });
      expectSucceeded(first, 'the cold build');
      expect(buildCommand(log(first))).toContain(
        '--cache-from type=gha,scope=buildcache,version=2 --cache-to type=gha,scope=buildcache,mode=max,version=2,ignore-error=true'
      );
      expect(annotations(first, 'warning')).toEqual([]);
      expect((await cache.stats()).entries).toEqual({ 'refs/heads/main': expect.any(Number) });
      // The token reached buildx through the environment, never the log.
      expect(log(first)).not.toContain(token);

      change(workspace);
      h.prune();
      const second = await h.main('gha: wiped builder', {
        workspace,
        inputs,
        event: pushEvent('refs/heads/main', randomSha()),
        env: cache.env(token)
      });
      expectSucceeded(second, 'the rebuild on a wiped builder');
      for (const platform of PLATFORMS) expectServedFromCache(second, platform);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'matrix legs of two platforms keep each other’s entries: each leg’s scope serves all its unchanged steps after a wipe',
    async () => {
      const cache = actionsCacheRepo(env);
      const token = await cache.token(MAIN_RW);
      const workspace = h.workspace('cache');
      const image = `${env.registry}/${uniqueRepo('gha-legs')}`;
      const legs = async (what: string) => {
        const sha = randomSha();
        const run = String(Date.now());
        const results = await h.mainTogether(
          PLATFORMS.map((platform) => [
            `${what} ${platform}`,
            {
              workspace,
              inputs: h.inputs(image, { mode: 'platform', platforms: platform, cache: 'gha' }),
              event: pushEvent('refs/heads/main', sha),
              env: { ...cache.env(token), GITHUB_RUN_ID: run }
            }
          ])
        );
        results.forEach((r, i) => expectSucceeded(r, `${what} ${PLATFORMS[i]}`));
        return results;
      };

      h.prune();
      const first = await legs('gha legs: cold');
      PLATFORMS.forEach((platform, i) =>
        expect(buildCommand(log(first[i]))).toContain(
          `--cache-to type=gha,scope=buildcache-${platform.replace('/', '-')},`
        )
      );
      change(workspace);
      h.prune();
      const second = await legs('gha legs: wiped builder');
      PLATFORMS.forEach((platform, i) => expectServedFromCache(second[i], platform, true));
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a pull request reads main’s entries and writes only its own ref',
    async () => {
      const cache = actionsCacheRepo(env);
      const workspace = h.workspace('cache');
      const image = `${env.registry}/${uniqueRepo('gha-pr')}`;
      const inputs = h.inputs(image, { platforms: 'linux/amd64', cache: 'gha' });

      h.prune();
      const main = await h.main('gha: main', {
        workspace,
        inputs,
        event: pushEvent('refs/heads/main', randomSha()),
        env: cache.env(await cache.token(MAIN_RW))
      });
      expectSucceeded(main, 'the push to main');
      const mainEntries = (await cache.stats()).entries?.['refs/heads/main'];
      expect(mainEntries).toBeGreaterThan(0);

      change(workspace);
      h.prune();
      const pr = await h.main('gha: pull request 7', {
        workspace,
        inputs: { ...inputs, push: 'false' },
        event: pullRequest7(randomSha()),
        env: cache.env(await cache.token(PR_7))
      });
      expectSucceeded(pr, 'the pull request build');
      expectServedFromCache(pr, 'linux/amd64', true);
      const after = (await cache.stats()).entries ?? {};
      expect(after['refs/heads/main']).toBe(mainEntries);
      expect(after['refs/pull/7/merge']).toBeGreaterThan(0);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a read-only token: green, one info line naming the fix, no cache-to and no write attempted',
    async () => {
      const cache = actionsCacheRepo(env);
      const result = await h.main('gha: read-only token', {
        workspace: h.workspace('cache'),
        inputs: h.inputs(`${env.registry}/${uniqueRepo('gha-read-only')}`, { platforms: 'linux/amd64', cache: 'gha' }),
        event: pushEvent('refs/heads/main', randomSha()),
        env: cache.env(await cache.token(MAIN_READ))
      });

      expectSucceeded(result, 'a build with a read-only cache token');
      const info = log(result)
        .split('\n')
        .filter((l) => l.startsWith('cache: gha:'));
      expect(info).toEqual([
        "cache: gha: read only, no cache-to: this job's token may not write to the Actions cache (refs/heads/main (read)); grant the job `permissions: actions: write` to let it write"
      ]);
      const command = buildCommand(log(result));
      expect(command).toContain('--cache-from type=gha,scope=buildcache,version=2');
      expect(command).not.toContain('--cache-to');
      expect(annotations(result, 'warning')).toEqual([]);
      const stats = await cache.stats();
      expect(stats.GetCacheEntryDownloadURL).toBeGreaterThan(0);
      expect({ creates: stats.CreateCacheEntry ?? 0, refused: stats.refused ?? 0 }).toEqual({ creates: 0, refused: 0 });
    },
    CASE_TIMEOUT_MS
  );

  test(
    'no token (outside Actions): green, one line that says so, and no gha cache asked of buildx',
    async () => {
      const result = await h.main('gha: no token', {
        workspace: h.workspace('cache'),
        inputs: h.inputs(`${env.registry}/${uniqueRepo('gha-no-token')}`, { platforms: 'linux/amd64', cache: 'gha' }),
        event: pushEvent('refs/heads/main', randomSha())
      });

      expectSucceeded(result, 'a build with cache: gha and no token');
      expect(
        log(result)
          .split('\n')
          .filter((l) => l.startsWith('cache: gha:'))
      ).toEqual([
        'cache: gha: no GitHub Actions cache here (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are set only in a GitHub Actions job); building without a cache'
      ]);
      expect(buildCommand(log(result))).not.toMatch(/--cache-(from|to)/);
    },
    CASE_TIMEOUT_MS
  );

  test(
    '429 on every write: green, published, and a warning naming the platforms and the Retry-After',
    async () => {
      const cache = actionsCacheRepo(env);
      const repo = uniqueRepo('gha-429');
      const result = await h.main('gha: 429 on every write', {
        workspace: h.workspace('cache'),
        inputs: h.inputs(`${env.registry}/${repo}`, { platforms: PLATFORMS.join(','), cache: 'gha' }),
        event: pushEvent('refs/heads/main', randomSha()),
        env: cache.env(await cache.token(MAIN_RW, { write: { status: 429, retryAfter: 3600 } }))
      });

      expectSucceeded(result, 'a build whose cache writes all get 429');
      expect(annotations(result, 'warning').filter((w) => w.includes('cache'))).toEqual([
        expect.stringMatching(
          /^linux\/amd64, linux\/arm64: the GitHub Actions cache could not be written \(rate-limited \(429, Retry-After 3600 s\)\); the build went on without it: /
        )
      ]);
      expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect((await h.registry.manifest(repo, 'main'))?.digest).toBe(result.outputs.digest);
      const stats = await cache.stats();
      expect(stats.rateLimited).toBeGreaterThan(0);
      expect(stats.entries ?? {}).toEqual({});
    },
    CASE_TIMEOUT_MS
  );
});
