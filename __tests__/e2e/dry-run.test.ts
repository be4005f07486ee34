/**
 * The dry run prints the plan's steps; a real run of the same inputs starts exactly those
 * commands and sends exactly those requests. For each mode (one-step build on a release tag, a
 * matrix leg, a merge), the dry run's `docker buildx …` and `[request] …` lines are compared,
 * argument for argument, with the `[command] …buildx…` and `[request] …` lines of the real run.
 *
 * Only what a dry run cannot know is normalised: the builder's random suffix, the run's temporary
 * directory and digests (`<digest of the build>` stands for the one the build will push). The
 * buildx discovery probe (`buildx version`) is not a step and is left out, and a command the real
 * run repeated after a transient fault (the registry is shared with other suites) counts once.
 */
import { randomInt } from 'node:crypto';
import type { StepOptions } from './support/runner.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import { expectSucceeded, randomSha, uniqueRepo, useHarness, type TimedStep, pushEvent } from './support/harness.js';

const CASE_TIMEOUT_MS = 600_000;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the dry-run end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

/** One line, with what only the real run can know replaced by placeholders. */
function normalise(line: string): string {
  return line
    .replace(/multiarch-[A-Za-z0-9_.-]+-[0-9a-f]{6}\b/g, '<builder>')
    .replace(/\S*\/multiarch-[A-Za-z0-9]{6}\//g, '<tmp>/')
    .replace(/'([^']*@<digest[^']*)'/g, '$1')
    .replace(/@sha256:[0-9a-f]{64}/g, '@<digest>')
    .replace(/@<digest of [^>]*>/g, '@<digest>');
}

/** The dry run's commands and requests. */
function planned(result: TimedStep): string[] {
  return (
    result.stdout
      .split('\n')
      .filter((l) => l.startsWith('docker buildx ') || l.startsWith('[request] '))
      .map((l) => normalise(l.replace(/^docker buildx /, '')))
      // Reads by digest normalise alike (the build's index, then each manifest verify reads back): once each, as in ran().
      .filter((l, i, all) => all.indexOf(l) === i)
      .sort()
  );
}

/** The real run's buildx commands (the binary left out, as the dry run names it `docker buildx`) and requests. */
function ran(result: TimedStep): string[] {
  return (
    result.stdout
      .split('\n')
      .flatMap((l) => {
        const command = /^\[command\] (?:docker buildx|\S*docker-buildx|\S*\/buildx) (.*)$/.exec(l);
        // Neither the version probe nor the emulation report's read of the build record is a step of the plan.
        if (command) return command[1] === 'version' || command[1].startsWith('history ') ? [] : [command[1]];
        return l.startsWith('[request] ') ? [l] : [];
      })
      // Once each after normalising, as in planned(): a repeated line is a retry, and reads by
      // digest (each manifest verify reads back, each leg's DELETE) normalise alike.
      .map(normalise)
      .filter((l, i, all) => all.indexOf(l) === i)
      .sort()
  );
}

describeStack('the dry run prints what a real run does', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const h = useHarness(env, 'dry-run');

  test(
    'build mode on a release tag: builder, build, reads of the floating tags, a PUT per tag',
    async () => {
      const image = `${env.registry}/${uniqueRepo('dry-vs-real')}`;
      const sha = randomSha();
      const step = (extra: Record<string, string>): StepOptions => ({
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: PLATFORMS.join(','), ...extra }),
        event: pushEvent('refs/tags/v2.4.1', sha)
      });
      const dry = await h.main('dry: build', step({ 'dry-run': 'true' }));
      expectSucceeded(dry, 'the dry run');
      const real = await h.main('real: build', step({}));
      expectSucceeded(real, 'the real run');
      expect(planned(dry).length).toBeGreaterThan(8);
      expect(ran(real)).toEqual(planned(dry));
    },
    CASE_TIMEOUT_MS
  );

  test(
    'nodes: the builder of every node, one build per platform, the merge, as printed',
    async () => {
      const nodes = (env as StackEnv & { nodes?: Record<string, string> }).nodes;
      if (!nodes?.amd64 || !nodes.arm64) return console.log('skipped: env.json lists no amd64/arm64 nodes');
      const image = `${env.registry}/${uniqueRepo('dry-vs-real-nodes')}`;
      const sha = randomSha();
      const ws = h.workspace('arch');
      const step = (extra: Record<string, string>): StepOptions => ({
        workspace: ws,
        // The nodes are the builder: none of the shared inputs' driver, endpoint or QEMU.
        inputs: {
          images: image,
          platforms: PLATFORMS.join(','),
          nodes: `linux/amd64=${nodes.amd64}\nlinux/arm64=${nodes.arm64}`,
          'build-args': `BASE=${env.baseImage}`,
          ...extra
        },
        event: pushEvent('refs/tags/v3.1.0', sha)
      });
      const dry = await h.main('dry: nodes', step({ 'dry-run': 'true' }));
      expectSucceeded(dry, 'the dry run');
      const real = await h.main('real: nodes', step({}));
      expectSucceeded(real, 'the real run');
      expect(planned(dry).length).toBeGreaterThan(8);
      expect(ran(real)).toEqual(planned(dry));
    },
    CASE_TIMEOUT_MS
  );

  test(
    'platform and merge modes: each leg, then the merge, run what their dry runs print',
    async () => {
      const image = `${env.registry}/${uniqueRepo('dry-vs-real-matrix')}`;
      const sha = randomSha();
      const run = String(randomInt(1_000_000_000, 9_000_000_000));
      const ws = h.workspace('arch');
      const step = (extra: Record<string, string>): StepOptions => ({
        workspace: ws,
        inputs: h.inputs(image, extra),
        event: pushEvent('refs/heads/main', sha),
        env: { GITHUB_RUN_ID: run }
      });
      for (const platform of PLATFORMS) {
        const leg = { mode: 'platform', platforms: platform };
        const dry = await h.main(`dry: leg ${platform}`, step({ ...leg, 'dry-run': 'true' }));
        expectSucceeded(dry, `the dry run of the ${platform} leg`);
        const real = await h.main(`real: leg ${platform}`, step(leg));
        expectSucceeded(real, `the ${platform} leg`);
        expect(ran(real)).toEqual(planned(dry));
      }
      const merge = { mode: 'merge', platforms: PLATFORMS.join(',') };
      const dry = await h.main('dry: merge', step({ ...merge, 'dry-run': 'true' }));
      expectSucceeded(dry, 'the dry run of the merge');
      const real = await h.main('real: merge', step(merge));
      expectSucceeded(real, 'the merge');
      expect(planned(dry).length).toBeGreaterThan(3);
      expect(ran(real)).toEqual(planned(dry));
    },
    CASE_TIMEOUT_MS
  );
});
