/**
 * `cache: auto` on the documented workflow's pull request (push: false) reads the default
 * branch's registry cache, and `load: true` works on its first try: the bundled action run the
 * runner's way against the real stack.
 *
 * There is no Docker engine here, and the action refuses `load` before anything runs when none
 * answers: the load cases point DOCKER_HOST at a stand-in (support/docker-engine.ts) that answers
 * the engine's questions and takes the image tar. They check the build command the action starts,
 * that buildx accepts it and gets to its docker exporter, and that a tar reached the engine.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitForStack } from './support/stack.js';
import { describeSteps, fromCache, parseSteps, stepsOf } from './support/progress.js';
import { expectSucceeded, log, randomSha, uniqueRepo, useHarness } from './support/harness.js';
import { startFakeEngine } from './support/docker-engine.js';
import type { StepOptions } from './support/runner.js';
import { nativePlatform } from '../../src/plan/platforms.js';

const CASE_TIMEOUT_MS = 300_000;

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the load and cache end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

const REPOSITORY = {
  name: 'app',
  full_name: 'acme/app',
  html_url: 'https://github.com/acme/app',
  default_branch: 'main'
};

function pushMain(sha: string): StepOptions['event'] {
  return {
    name: 'push',
    ref: 'refs/heads/main',
    sha,
    payload: { ref: 'refs/heads/main', after: sha, repository: REPOSITORY }
  };
}

/** A pull request from a branch of the same repository, as the quick start builds it. */
function pullRequest(sha: string, number: number): StepOptions['event'] {
  return {
    name: 'pull_request',
    ref: `refs/pull/${number}/merge`,
    sha,
    payload: {
      number,
      pull_request: {
        number,
        base: { ref: 'main', repo: { full_name: 'acme/app' } },
        head: { ref: 'fix', sha, repo: { full_name: 'acme/app' } }
      },
      repository: REPOSITORY
    }
  };
}

/** The argv of the `buildx build` the step started, from its `[command]` line. */
function buildCommand(text: string): string {
  return text.split('\n').find((line) => line.startsWith('[command]') && / build --builder /.test(line)) ?? '';
}

describeStack('load and cache', () => {
  const env = stack.ok ? stack.env : (undefined as never);
  const h = useHarness(env, 'load-cache');

  test(
    "a pull request with push: false reads the default branch's cache: every step before the change is CACHED on a wiped builder, and nothing is written",
    async () => {
      const repo = uniqueRepo('pr-cache');
      const image = `${env.registry}/${repo}`;
      const workspace = h.workspace('cache');
      const inputs = h.inputs(image, { platforms: 'linux/amd64' });

      h.prune();
      const main = await h.main('cache: push to main', { workspace, inputs, event: pushMain(randomSha()) });
      expectSucceeded(main, 'the push to main');
      expect(await h.registry.manifest(repo, 'buildcache')).toBeDefined();
      const tagsAfterMain = (await h.registry.tags(repo)).sort();

      writeFileSync(path.join(workspace, 'changing.txt'), `pull request ${randomBytes(4).toString('hex')}\n`);
      h.prune();
      const pr = await h.main('cache: pull request, push false', {
        workspace,
        inputs: { ...inputs, push: 'false' },
        event: pullRequest(randomSha(), 7)
      });
      expectSucceeded(pr, 'the pull request build');

      const command = buildCommand(log(pr));
      expect(command).toContain(`--cache-from type=registry,ref=${image}:buildcache `);
      expect(command).not.toContain('--cache-to');
      const steps = stepsOf(parseSteps(log(pr)), '');
      const change = steps.findIndex((s) => s.instruction.startsWith('COPY changing.txt'));
      expect(change).toBeGreaterThan(0);
      const before = steps.slice(0, change).filter((s) => !s.instruction.startsWith('FROM '));
      expect(before.map((s) => s.instruction)).toEqual([
        'COPY stable.txt /stable.txt',
        'RUN uname -m > /first.txt && cat /stable.txt >> /first.txt && sleep 1',
        'RUN cat /stable.txt /first.txt > /second.txt'
      ]);
      expect(describeSteps(before.filter((s) => !fromCache(s)))).toEqual([]);
      // Nothing was written for the pull request: no cache scope of its own, no tag.
      expect((await h.registry.tags(repo)).sort()).toEqual(tagsAfterMain);
    },
    CASE_TIMEOUT_MS
  );

  /** Succeeded, or (no Docker engine here) failed in buildx's docker exporter and nowhere before it. */
  function loadedOrFailedLoading(text: string): { reached: boolean; refused: string[] } {
    const refusals = [
      'does not currently support exporting manifest lists',
      "can't push tagged ref",
      'is not accepted; expected',
      'multi-platform cannot be pushed and loaded'
    ];
    return {
      reached: /^#\d+ exporting to docker image format$/m.test(text),
      refused: refusals.filter((r) => text.includes(r))
    };
  }

  test.each([
    {
      name: 'load alone',
      given: { load: 'true', push: 'false' },
      outputs: ['--load'],
      absent: ['--output type=image']
    },
    {
      name: 'push and load',
      given: { load: 'true', push: 'true' },
      outputs: [
        '--output type=image,name=IMAGE,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true',
        `--output 'type=docker,"name=IMAGE:main,IMAGE:sha-`
      ],
      absent: ['--tag ', '--load']
    }
  ])(
    '$name with no platforms given: the native platform, provenance off, and buildx takes the command',
    async ({ given, outputs, absent }) => {
      const image = `${env.registry}/${uniqueRepo('load')}`;
      const engine = await startFakeEngine();
      h.cleanup(() => engine.close());
      const result = await h.main(`load, push ${given.push}`, {
        workspace: h.workspace('cache'),
        inputs: h.inputs(image, { ...given, retries: '0' }),
        env: { DOCKER_HOST: engine.host },
        event: pushMain(randomSha())
      });
      const text = log(result);
      const command = buildCommand(text);
      expect(command).toContain(` --platform ${nativePlatform().id} `);
      expect(command).toContain(' --provenance=false ');
      for (const output of outputs) expect(command).toContain(output.replace(/IMAGE/g, image));
      for (const flag of absent) expect(command).not.toContain(flag);
      const outcome = loadedOrFailedLoading(text);
      expect({ code: result.code === 0 ? 0 : 'failed', ...outcome }).toEqual({
        code: result.code === 0 ? 0 : 'failed',
        reached: true,
        refused: []
      });
      // The action asked the engine first, and buildx handed it the image.
      expect(engine.requests).toContain('GET /version');
      expect(engine.loads.length).toBeGreaterThan(0);
    },
    CASE_TIMEOUT_MS
  );
});
