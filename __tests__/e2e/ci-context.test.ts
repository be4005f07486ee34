/**
 * The bundled command line under CIs other than GitHub Actions: a detached checkout (as GitLab,
 * Buildkite, Woodpecker, Drone and Jenkins check out) with that CI's own variables gives the tags
 * of a branch build, a tag release and a merge request, and the legs' run id; under GitLab, a real
 * push through an existing BUILDX_BUILDER writes its outputs as dotenv.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT } from './support/runner.js';
import { BUILD_TIMEOUT_MS, gitIn, runCli } from './support/cli.js';
import { Registry } from './support/registry.js';
import { waitForStack, type StackEnv } from './support/stack.js';

/** A repository of the `arch` fixture, tagged v1.2.3 and checked out detached, as a CI checks out. */
function detachedCheckout(): { dir: string; sha: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-ci-'));
  cpSync(path.join(ROOT, '__tests__/fixtures/projects/arch'), dir, { recursive: true });
  const git = gitIn(dir);
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'fixture');
  git('tag', 'v1.2.3');
  git('checkout', '-q', '--detach', 'HEAD');
  return { dir, sha: git('rev-parse', 'HEAD') };
}

type Event = 'branch' | 'tag' | 'merge request';

/** Each CI's variables for a build of `sha` on main, of tag v1.2.3, and of merge request 42 from `fix` into main; run id 9001. */
const CIS: Array<{ name: string; vars: (event: Event, sha: string) => NodeJS.ProcessEnv }> = [
  {
    name: 'GitLab CI',
    vars: (event, sha) => ({
      GITLAB_CI: 'true',
      CI: 'true',
      CI_COMMIT_SHA: sha,
      CI_PIPELINE_ID: '9001',
      CI_DEFAULT_BRANCH: 'main',
      CI_COMMIT_TIMESTAMP: '2026-11-30T10:00:00+00:00',
      ...(event === 'branch' ? { CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main' } : {}),
      ...(event === 'tag' ? { CI_COMMIT_TAG: 'v1.2.3', CI_COMMIT_REF_NAME: 'v1.2.3' } : {}),
      ...(event === 'merge request'
        ? {
            CI_MERGE_REQUEST_IID: '42',
            CI_MERGE_REQUEST_ID: '938271',
            CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'fix',
            CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
            CI_COMMIT_REF_NAME: 'fix'
          }
        : {})
    })
  },
  {
    name: 'Buildkite',
    vars: (event, sha) => ({
      BUILDKITE: 'true',
      CI: 'true',
      BUILDKITE_COMMIT: sha,
      BUILDKITE_BUILD_NUMBER: '9001',
      BUILDKITE_PIPELINE_DEFAULT_BRANCH: 'main',
      BUILDKITE_BRANCH: event === 'merge request' ? 'fix' : event === 'tag' ? 'v1.2.3' : 'main',
      BUILDKITE_PULL_REQUEST: event === 'merge request' ? '42' : 'false',
      ...(event === 'merge request' ? { BUILDKITE_PULL_REQUEST_BASE_BRANCH: 'main' } : {}),
      ...(event === 'tag' ? { BUILDKITE_TAG: 'v1.2.3' } : {})
    })
  },
  {
    name: 'Woodpecker',
    vars: (event, sha) => ({
      CI: 'woodpecker',
      CI_COMMIT_SHA: sha,
      CI_PIPELINE_NUMBER: '9001',
      CI_REPO_DEFAULT_BRANCH: 'main',
      CI_PIPELINE_EVENT: event === 'merge request' ? 'pull_request' : event === 'tag' ? 'tag' : 'push',
      ...(event === 'branch' ? { CI_COMMIT_BRANCH: 'main' } : {}),
      ...(event === 'tag' ? { CI_COMMIT_TAG: 'v1.2.3' } : {}),
      ...(event === 'merge request'
        ? {
            CI_COMMIT_PULL_REQUEST: '42',
            CI_COMMIT_SOURCE_BRANCH: 'fix',
            CI_COMMIT_TARGET_BRANCH: 'main',
            CI_COMMIT_BRANCH: 'main'
          }
        : {})
    })
  },
  {
    name: 'Drone',
    vars: (event, sha) => ({
      DRONE: 'true',
      CI: 'true',
      DRONE_COMMIT_SHA: sha,
      DRONE_BUILD_NUMBER: '9001',
      DRONE_REPO_BRANCH: 'main',
      DRONE_BRANCH: 'main',
      DRONE_BUILD_EVENT: event === 'merge request' ? 'pull_request' : event === 'tag' ? 'tag' : 'push',
      ...(event === 'tag' ? { DRONE_TAG: 'v1.2.3' } : {}),
      ...(event === 'merge request'
        ? { DRONE_PULL_REQUEST: '42', DRONE_SOURCE_BRANCH: 'fix', DRONE_TARGET_BRANCH: 'main' }
        : {})
    })
  },
  {
    name: 'Jenkins',
    vars: (event, sha) => ({
      JENKINS_URL: 'https://jenkins.example.com/',
      GIT_COMMIT: sha,
      BUILD_NUMBER: '9001',
      BRANCH_NAME: event === 'merge request' ? 'PR-42' : event === 'tag' ? 'v1.2.3' : 'main',
      ...(event === 'tag' ? { TAG_NAME: 'v1.2.3' } : {}),
      ...(event === 'merge request' ? { CHANGE_ID: '42', CHANGE_TARGET: 'main', CHANGE_BRANCH: 'fix' } : {})
    })
  }
];

/** The tags each event publishes, for image `image` and commit `sha`. */
function expectedTags(event: Event, image: string, sha: string): string[] {
  const short = `sha-${sha.slice(0, 7)}`;
  const tags = {
    branch: ['main', short],
    tag: ['1.2.3', '1.2', '1', 'v1.2.3', short, 'latest'],
    'merge request': ['pr-42', short]
  }[event];
  return tags.map((tag) => `${image}:${tag}`);
}

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the command line's CI tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

describeStack('the command line under other CIs, from their variables on a detached checkout', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const registry = new Registry(env.registry);
  const checkout = stack.ok ? detachedCheckout() : { dir: '', sha: '' };
  const image = `${env.registry}/e2e-ci/${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  afterAll(() => rmSync(checkout.dir, { recursive: true, force: true }));

  const cases = CIS.flatMap((ci) => (['branch', 'tag', 'merge request'] as const).map((event) => ({ ...ci, event })));
  test.each(cases)('$name, $event: the exact tags (dry run)', async ({ vars, event }) => {
    const outputFile = path.join(checkout.dir, `outputs-${randomBytes(3).toString('hex')}.json`);
    const run = await runCli(
      ['--images', image, '--platforms', 'linux/amd64', '--dry-run', '--output-file', outputFile],
      checkout.dir,
      vars(event, checkout.sha)
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const outputs = JSON.parse(readFileSync(outputFile, 'utf8')) as Record<string, string>;
    expect(outputs.tags.split('\n')).toEqual(expectedTags(event, image, checkout.sha));
  });

  test.each(CIS)('$name: a leg takes the pipeline id as its run id, with no --run-id (dry run)', async ({ vars }) => {
    const run = await runCli(
      ['--mode', 'platform', '--images', image, '--platforms', 'linux/arm64', '--dry-run'],
      checkout.dir,
      vars('branch', checkout.sha)
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`${image}:leg-${checkout.sha.slice(0, 7)}-9001-linux-arm64`);
  });

  test('BUILDX_BUILDER naming no builder: the run fails before any build, naming it and where it came from', async () => {
    const missing = `e2e-ci-missing-${randomBytes(3).toString('hex')}`;
    const run = await runCli(['--images', image, '--platforms', 'linux/amd64', '--retries', '0'], checkout.dir, {
      BUILDX_BUILDER: missing
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`builder: ${missing} (from BUILDX_BUILDER`);
    expect(run.stdout).not.toMatch(/^▶ Build /m);
    expect(run.stderr).toContain(`no builder "${missing}" found`);
  });

  test(
    'GitLab tag pipeline: pushes to CI_REGISTRY_IMAGE through the existing BUILDX_BUILDER and writes the outputs as dotenv',
    async () => {
      const builder = `e2e-ci-${randomBytes(3).toString('hex')}`;
      const docker = (...args: string[]): string =>
        execFileSync('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      docker('buildx', 'create', '--name', builder, '--driver', 'remote', env.buildkitHost);
      try {
        const dotenvFile = path.join(checkout.dir, 'build.env');
        const run = await runCli(
          ['--platforms', 'linux/amd64', '--build-args', `BASE=${env.baseImage}`, '--outputs-file', dotenvFile],
          checkout.dir,
          { ...CIS[0].vars('tag', checkout.sha), CI_REGISTRY_IMAGE: image, BUILDX_BUILDER: builder }
        );
        expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
        expect(run.stdout).toContain(`images: ${image} (from CI_REGISTRY_IMAGE)`);
        expect(run.stdout).toContain(`builder: ${builder} (from BUILDX_BUILDER`);

        const repo = image.slice(env.registry.length + 1);
        const index = await registry.manifest(repo, '1.2.3');
        expect(index?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        const lines = readFileSync(dotenvFile, 'utf8').split('\n');
        expect(lines).toEqual([
          `MULTIARCH_DIGEST=${index!.digest}`,
          `MULTIARCH_TAGS=${expectedTags('tag', image, checkout.sha).join(',')}`,
          'MULTIARCH_VERSION=1.2.3',
          expect.stringMatching(/^MULTIARCH_PLATFORM_DIGESTS=\{"linux\/amd64":"sha256:[0-9a-f]{64}"\}$/),
          `MULTIARCH_BUILDER=${builder}`,
          'MULTIARCH_SIGNATURE=',
          ''
        ]);
        for (const tag of ['1.2.3', '1.2', '1', 'v1.2.3', `sha-${checkout.sha.slice(0, 7)}`, 'latest'])
          expect((await registry.manifest(repo, tag))?.digest).toBe(index!.digest);
        // Used as it is, and left in place: it is not the run's to remove.
        expect(docker('buildx', 'ls')).toContain(builder);
      } finally {
        docker('buildx', 'rm', '--force', builder);
      }
    },
    BUILD_TIMEOUT_MS
  );
});
