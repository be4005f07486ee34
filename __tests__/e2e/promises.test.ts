/**
 * Promises of the README on the paths users walk every day, each against the real stack with the
 * bundled action run the runner's way:
 * - outputs are never silently empty: with push false, `tags` and `version` carry what the rules
 *   computed and the log says "nothing pushed" once;
 * - a merge given explicit digests publishes exactly the requested platforms, or fails naming
 *   every platform missing or not asked for before any tag moves;
 * - a remote builder gets no QEMU work on the host unless `qemu` asks for it;
 * - a dry run writes the plan to the job summary.
 */
import { randomInt } from 'node:crypto';
import type { StepOptions } from './support/runner.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import {
  expectSucceeded,
  groupLines,
  log,
  randomSha,
  uniqueRepo,
  useHarness,
  type TimedStep,
  pushEvent
} from './support/harness.js';

const CASE_TIMEOUT_MS = 600_000;

const stack = await waitForStack();
const describeStack = stack.ok ? describe : describe.skip;

function pullRequest(sha: string): StepOptions['event'] {
  return {
    name: 'pull_request',
    ref: 'refs/pull/42/merge',
    sha,
    payload: {
      number: 42,
      pull_request: { number: 42, head: { sha, ref: 'fix' }, base: { ref: 'main' } },
      repository: {
        name: 'app',
        full_name: 'acme/app',
        html_url: 'https://github.com/acme/app',
        default_branch: 'main'
      }
    }
  };
}

describeStack('promises on everyday paths', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const h = useHarness(env, 'promises');
  const registry = h.registry;

  test(
    'push: false on a pull request: tags and version are what the rules computed, digest empty, "nothing pushed" said once',
    async () => {
      const repo = uniqueRepo('no-push');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const result = await h.main('pull request, push false', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { push: 'false', platforms: 'linux/amd64' }),
        event: pullRequest(sha)
      });
      expectSucceeded(result, 'the pull request build');
      expect(result.outputs.tags.split('\n')).toEqual([`${image}:pr-42`, `${image}:sha-${sha.slice(0, 7)}`]);
      expect(result.outputs.version).toBe('pr-42');
      expect(result.outputs.digest).toBe('');
      expect(log(result).match(/nothing pushed/g)).toEqual(['nothing pushed']);
      expect(await registry.tags(repo)).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a merge given explicit digests checks them against platforms: a missing and an unexpected platform are both named, and no tag moves',
    async () => {
      const repo = uniqueRepo('digests-check');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const run = String(randomInt(1_000_000_000, 9_000_000_000));
      const ws = h.workspace('arch');
      const leg = (platform: string): StepOptions => ({
        workspace: ws,
        inputs: h.inputs(image, { mode: 'platform', platforms: platform }),
        event: pushEvent('refs/heads/main', sha),
        env: { GITHUB_RUN_ID: run }
      });
      const legs: TimedStep[] = [];
      for (const platform of ['linux/amd64', 'linux/arm64']) {
        const result = await h.main(`leg ${platform}`, leg(platform));
        expectSucceeded(result, `the ${platform} leg`);
        legs.push(result);
      }
      const digests = legs.map((l) => `${image}@${l.outputs.digest}`).join('\n');
      const merged = await h.main('merge, wrong platforms', {
        workspace: ws,
        inputs: h.inputs(image, { mode: 'merge', platforms: 'linux/amd64,linux/arm/v7', digests }),
        event: pushEvent('refs/heads/main', sha),
        env: { GITHUB_RUN_ID: run }
      });
      expect(merged.code).not.toBe(0);
      expect(log(merged)).toContain('linux/arm/v7 is in platforms but in none of the digests');
      expect(log(merged)).toContain(
        `${image}@${legs[1].outputs.digest} holds linux/arm64, which platforms does not list`
      );
      // Only the hand-off tags of the legs are there: main and sha-… never moved.
      expect((await registry.tags(repo)).filter((t) => !t.startsWith('leg-') && !t.startsWith('buildcache'))).toEqual(
        []
      );
      expect(merged.summary).toMatch(/\*\*Find legs\*\* failed/);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a remote builder with qemu left at auto: no QEMU step at all, though linux/arm64 is not this host’s platform',
    async () => {
      const repo = uniqueRepo('remote-no-qemu');
      const image = `${env.registry}/${repo}`;
      const result = await h.main('remote builder, qemu auto', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { qemu: 'auto', platforms: 'linux/amd64,linux/arm64' }),
        event: pushEvent('refs/heads/main', randomSha())
      });
      expectSucceeded(result, 'the build on the remote builder');
      expect(groupLines(result, 'QEMU')).toBeUndefined();
      expect(log(result)).not.toMatch(/registering qemu|binfmt/i);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a dry run writes its plan to the job summary: the tags it would move and the commands',
    async () => {
      const repo = uniqueRepo('dry-summary');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const result = await h.main('dry run', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { 'dry-run': 'true' }),
        event: pushEvent('refs/heads/main', sha)
      });
      expectSucceeded(result, 'the dry run');
      expect(result.summary).toContain('## Multi-arch image (dry run: nothing was built or pushed)');
      expect(result.summary).toContain(`- \`${image}:main\``);
      expect(result.summary).toContain(`- \`${image}:sha-${sha.slice(0, 7)}\``);
      expect(result.summary).toMatch(/^docker buildx build .*--platform linux\/amd64,linux\/arm64 /m);
      expect(await registry.tags(repo)).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );
  test(
    'platform-tags: true: every tag gets one tag per platform, each on that platform’s own manifest in the index',
    async () => {
      const repo = uniqueRepo('platform-tags');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const result = await h.main('platform tags', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: 'linux/amd64,linux/arm64,linux/arm/v7', 'platform-tags': 'true' }),
        event: pushEvent('refs/heads/main', sha)
      });
      expectSucceeded(result, 'the build with platform tags');
      const own = JSON.parse(result.outputs['platform-digests']) as Record<string, string>;
      const short = `sha-${sha.slice(0, 7)}`;
      const expected: Record<string, string> = { main: result.outputs.digest, [short]: result.outputs.digest };
      for (const tag of ['main', short]) {
        expected[`${tag}-amd64`] = own['linux/amd64'];
        expected[`${tag}-arm64`] = own['linux/arm64'];
        expected[`${tag}-arm-v7`] = own['linux/arm/v7'];
      }
      const published: Record<string, string> = {};
      for (const tag of (await registry.tags(repo)).filter((t) => !t.startsWith('buildcache'))) {
        published[tag] = (await registry.manifest(repo, tag))!.digest;
      }
      expect(published).toEqual(expected);
      expect(result.outputs.tags.split('\n').sort()).toEqual(
        Object.keys(expected)
          .map((t) => `${image}:${t}`)
          .sort()
      );
    },
    CASE_TIMEOUT_MS
  );
});
