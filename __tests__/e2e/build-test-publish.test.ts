/**
 * Build, test, then publish, in one job (the README's recipe): the first step builds every
 * platform and pushes it by digest with no public tag (`mode: platform` with all the platforms);
 * a test runs against `image@digest`, pulled once per platform (here: a BuildKit build `FROM
 * image@digest` whose RUN step is the test, so the arm64 image runs as arm64); only then a merge
 * given that digest moves the tags. When the test fails, the merge never runs and no tag exists.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StepOptions } from './support/runner.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import { expectSucceeded, randomSha, uniqueRepo, useHarness } from './support/harness.js';

const CASE_TIMEOUT_MS = 600_000;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];

const stack = await waitForStack();
const describeStack = stack.ok ? describe : describe.skip;

function push(sha: string): StepOptions['event'] {
  return {
    name: 'push',
    ref: 'refs/heads/main',
    sha,
    payload: {
      ref: 'refs/heads/main',
      after: sha,
      head_commit: { id: sha, message: 'Change', timestamp: '2024-03-01T12:00:00Z' },
      repository: {
        name: 'app',
        full_name: 'acme/app',
        html_url: 'https://github.com/acme/app',
        default_branch: 'main'
      }
    }
  };
}

describeStack('build, test against image@digest, then publish', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const h = useHarness(env, 'build-test-publish');
  const registry = h.registry;

  /** Runs `check` in the pushed image for one platform; true when it exits 0. */
  function testImage(ref: string, platform: string, check: string): boolean {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-image-test-'));
    try {
      writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${ref}\nRUN ${check}\n`);
      const args = ['--addr', env.buildkitHost, 'build', '--frontend', 'dockerfile.v0'];
      args.push('--local', `context=${dir}`, '--local', `dockerfile=${dir}`, '--opt', `platform=${platform}`);
      args.push('--no-cache');
      return spawnSync(env.buildctl, args, { encoding: 'utf8' }).status === 0;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async function build(image: string, sha: string, run: string) {
    const built = await h.main('build, pushed by digest', {
      workspace: h.workspace('arch'),
      inputs: h.inputs(image, { mode: 'platform', platforms: PLATFORMS.join(',') }),
      event: push(sha),
      env: { GITHUB_RUN_ID: run }
    });
    expectSucceeded(built, 'the build');
    expect(built.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Object.keys(JSON.parse(built.outputs['platform-digests'])).sort()).toEqual(PLATFORMS);
    return built.outputs.digest;
  }

  const publicTags = async (repo: string) =>
    (await registry.tags(repo)).filter((t) => !t.startsWith('leg-') && !t.startsWith('buildcache'));

  test(
    'the test passes on every platform: the merge of that digest moves the tags, all onto that image',
    async () => {
      const repo = uniqueRepo('btp-pass');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const run = String(randomInt(1_000_000_000, 9_000_000_000));
      const digest = await build(image, sha, run);
      expect(await publicTags(repo)).toEqual([]);

      // The test: each platform's image ran its own architecture's build step.
      const machine: Record<string, string> = { 'linux/amd64': 'x86_64', 'linux/arm64': 'aarch64' };
      for (const p of PLATFORMS) {
        expect({ p, passed: testImage(`${image}@${digest}`, p, `grep -qx ${machine[p]} /uname.txt`) }).toEqual({
          p,
          passed: true
        });
      }

      // The tested images, read before the publish removes the hand-off index that listed them.
      const tested = await platformDigestsOf(repo, digest);
      expect(Object.keys(tested).sort()).toEqual(PLATFORMS);

      const published = await h.main('publish', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { mode: 'merge', platforms: PLATFORMS.join(','), digests: `${image}@${digest}` }),
        event: push(sha),
        env: { GITHUB_RUN_ID: run }
      });
      expectSucceeded(published, 'the publish step');
      expect((await publicTags(repo)).sort()).toEqual(['main', `sha-${sha.slice(0, 7)}`]);
      for (const t of ['main', `sha-${sha.slice(0, 7)}`]) {
        expect({ t, digest: (await registry.manifest(repo, t))?.digest }).toEqual({
          t,
          digest: published.outputs.digest
        });
      }
      // The published index holds exactly the tested images.
      expect(JSON.parse(published.outputs['platform-digests'])).toEqual(tested);
      expect(await platformDigestsOf(repo, published.outputs.digest)).toEqual(tested);
      // Nothing of the run outlives it: the hand-off tag went with the leg's index (the cache is
      // the only other tag, and it is meant to stay).
      expect(published.outputs.digest).not.toBe(digest);
      expect((await registry.tags(repo)).filter((t) => !t.startsWith('buildcache')).sort()).toEqual([
        'main',
        `sha-${sha.slice(0, 7)}`
      ]);
      expect(await registry.manifest(repo, digest)).toBeUndefined();
    },
    CASE_TIMEOUT_MS
  );

  test(
    'the test fails on one platform: the job stops before publishing, and no public tag exists',
    async () => {
      const repo = uniqueRepo('btp-fail');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const digest = await build(image, sha, String(randomInt(1_000_000_000, 9_000_000_000)));
      expect(testImage(`${image}@${digest}`, 'linux/amd64', 'grep -qx x86_64 /uname.txt')).toBe(true);
      expect(testImage(`${image}@${digest}`, 'linux/arm64', 'grep -qx x86_64 /uname.txt')).toBe(false);
      // A workflow stops at the failed test: the publish step does not run.
      expect(await publicTags(repo)).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );

  /** Platform → image manifest digest of the index `digest`, read from the registry. */
  async function platformDigestsOf(repo: string, digest: string): Promise<Record<string, string>> {
    const index = await registry.manifest(repo, digest);
    const out: Record<string, string> = {};
    for (const m of (index?.body.manifests ?? []) as Array<{
      digest: string;
      platform?: { os: string; architecture: string };
    }>) {
      if (m.platform && m.platform.os !== 'unknown') out[`${m.platform.os}/${m.platform.architecture}`] = m.digest;
    }
    return out;
  }
});
