/**
 * A release from a laptop, end to end: commit on main, `git tag v3.0.1`, run the bundled command
 * line. The commit is both the branch tip and the tag, so the run publishes what the branch push and
 * the tag push would have published together, under one index, with the tag's version.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { tagDigests } from './support/harness.js';
import { Registry } from './support/registry.js';
import { BUILD_TIMEOUT_MS, CLI, gitIn, runCli, stackFlags } from './support/cli.js';
import { readStack, type StackEnv } from './support/stack.js';

/** A project as a laptop has it: committed on main, the commit tagged v3.0.1, HEAD still on main. */
function releaseCheckout(): { dir: string; sha: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-laptop-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nCOPY app.txt /app.txt\n');
  writeFileSync(path.join(dir, 'app.txt'), 'release 3.0.1\n');
  const git = gitIn(dir);
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'release 3.0.1');
  git('tag', 'v3.0.1');
  return { dir, sha: git('rev-parse', 'HEAD') };
}

const stack = readStack();
if (!stack.ok) console.log(`skipping the release-from-a-laptop end-to-end test: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

describeStack('a release from a laptop: the command line on a branch tip that is tagged', () => {
  // describe.skip still runs this body: read the stack only when it is up.
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const registry = new Registry(env.registry);
  let dir = '';

  beforeAll(() => expect(existsSync(CLI)).toBe(true));
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(
    'main tagged v3.0.1: 3.0.1, 3.0, 3, v3.0.1, latest, main and sha-… all name one index; version 3.0.1; the log names both refs',
    async () => {
      const checkout = releaseCheckout();
      dir = checkout.dir;
      const repo = `e2e-laptop/${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
      const outputFile = path.join(dir, 'outputs.json');

      const run = await runCli(
        [
          '--images',
          `${env.registry}/${repo}`,
          '--platforms',
          'linux/amd64,linux/arm64',
          ...stackFlags(env),
          '--output-file',
          outputFile
        ],
        dir
      );
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });

      const outputs = JSON.parse(readFileSync(outputFile, 'utf8')) as Record<string, string>;
      expect(outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(outputs.version).toBe('3.0.1');
      const short = `sha-${checkout.sha.slice(0, 7)}`;
      // Every tag of the repository, read back from the registry: the registry cache's own tag, and
      // exactly these on one index.
      const { buildcache, ...published } = await tagDigests(registry, repo);
      expect(buildcache).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(published).toEqual({
        '3': outputs.digest,
        '3.0': outputs.digest,
        '3.0.1': outputs.digest,
        'v3.0.1': outputs.digest,
        latest: outputs.digest,
        main: outputs.digest,
        [short]: outputs.digest
      });
      const index = await registry.manifest(repo, '3.0.1');
      expect(index?.body.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      expect(run.stdout).toContain(`git refs/heads/main + refs/tags/v3.0.1 at ${checkout.sha.slice(0, 12)} (git)`);
    },
    BUILD_TIMEOUT_MS
  );
});
