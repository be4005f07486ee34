/**
 * The README's workflows on a real runner implementation: nektos/act (scripts/stack/runners.sh)
 * runs the copies in __tests__/fixtures/workflows/ (the README's, with the substitutions a unit
 * test checks) on this machine in self-hosted mode: jobs, needs, a matrix from a job's output,
 * outputs between steps, post steps. Credentials for the auth registry come from DOCKER_CONFIG.
 * Each run is checked in the registry.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT } from './support/runner.js';
import { BUILD_TIMEOUT_MS, gitIn } from './support/cli.js';
import { Registry, platformId } from './support/registry.js';
import { STACK_DIR, waitForStack, type StackEnv } from './support/stack.js';
import { WORKFLOW_COPIES } from '../support/readme-workflows.js';

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the act workflows: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

interface ActRun {
  code: number;
  log: string;
}

describeStack("the README's workflows under nektos/act", () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const act = env.act ?? path.join(STACK_DIR, 'bin/act');
  const password = stack.ok ? readFileSync(env.authPasswordFile, 'utf8').trim() : '';
  const registry = new Registry(env.authRegistry, { user: env.authUser, password });
  let repo = '';
  let sha = '';

  beforeAll(() => {
    // In CI a missing act fails here rather than skipping: the stack installs it.
    expect(existsSync(act)).toBe(true);
    // The repository act checks out: this action (action.yml, the bundle), a one-layer project, the workflows.
    repo = mkdtempSync(path.join(os.tmpdir(), 'e2e-act-'));
    cpSync(path.join(ROOT, 'action.yml'), path.join(repo, 'action.yml'));
    cpSync(path.join(ROOT, 'dist'), path.join(repo, 'dist'), { recursive: true });
    cpSync(WORKFLOW_COPIES, path.join(repo, '.github/workflows'), { recursive: true });
    writeFileSync(path.join(repo, 'Dockerfile'), 'FROM scratch\nCOPY app.txt /app.txt\n');
    writeFileSync(path.join(repo, 'app.txt'), 'hello from a workflow\n');
    const git = gitIn(repo);
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'fixture');
    git('tag', 'v1.2.3');
    sha = git('rev-parse', 'HEAD');
  });
  const events: string[] = [];
  afterAll(() => {
    for (const dir of [repo, ...events]) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * `act push` of one workflow, on the local registry's repository `image`, for `ref` (act would
   * otherwise take the tag at HEAD for the ref).
   */
  function runAct(workflow: string, image: string, ref = 'refs/heads/main'): Promise<ActRun> {
    const args = [
      'push',
      '-W',
      `.github/workflows/${workflow}.yml`,
      '-P',
      'ubuntu-24.04=-self-hosted',
      '-P',
      'ubuntu-24.04-arm=-self-hosted',
      '--env',
      `IMAGE=${image}`,
      '--env',
      `BUILDKIT_HOST=${env.buildkitHost}`,
      '--env',
      `DOCKER_CONFIG=${env.authDockerConfig}`,
      '--env',
      `REGISTRY_USER=${env.authUser}`,
      '--env',
      `REGISTRY_PASSWORD_FILE=${env.authPasswordFile}`
    ];
    const event = path.join(os.tmpdir(), `e2e-act-event-${randomBytes(3).toString('hex')}.json`);
    writeFileSync(event, JSON.stringify({ ref }));
    events.push(event);
    args.push('-e', event);
    return new Promise((resolve, reject) => {
      const child = spawn(act, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stdout.on('data', (c: Buffer) => (log += c.toString()));
      child.stderr.on('data', (c: Buffer) => (log += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS - 10000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, log });
      });
    });
  }

  const image = (name: string): string =>
    `${env.authRegistry}/e2e-act/${name}-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const repoOf = (ref: string): string => ref.slice(env.authRegistry.length + 1);

  /** Every tag of the repository → its digest, and the platforms of the index `tag` names. */
  async function published(ref: string, tag: string): Promise<{ tags: Record<string, string>; platforms: string[] }> {
    const tags: Record<string, string> = {};
    for (const t of await registry.tags(repoOf(ref))) tags[t] = (await registry.manifest(repoOf(ref), t))!.digest;
    const index = await registry.manifest(repoOf(ref), tag);
    const platforms = Registry.images(index?.body.manifests).map((m) => platformId(m.platform!));
    return { tags, platforms: platforms.sort() };
  }

  function expectGreen(run: ActRun): void {
    if (run.code !== 0) console.log(run.log.split('\n').slice(-60).join('\n'));
    expect(run.code).toBe(0);
    expect(run.log).not.toMatch(/Job failed/);
  }

  test(
    'Quick start, a push to main: one index of both platforms under main and sha-',
    async () => {
      const ref = image('quick-branch');
      const run = await runAct('quick-start', ref);
      expectGreen(run);
      expect(run.log).toMatch(/Success - Post \.\//);
      const { tags, platforms } = await published(ref, 'main');
      expect(platforms).toEqual(['linux/amd64', 'linux/arm64']);
      expect(Object.keys(tags).sort()).toEqual(['buildcache', 'main', `sha-${sha.slice(0, 7)}`].sort());
      expect(tags[`sha-${sha.slice(0, 7)}`]).toBe(tags.main);
    },
    BUILD_TIMEOUT_MS
  );

  test(
    'Quick start, the tag push v1.2.3: 1.2.3, 1.2, 1, v1.2.3, latest and sha- on one index',
    async () => {
      const ref = image('quick-tag');
      const run = await runAct('quick-start', ref, 'refs/tags/v1.2.3');
      expectGreen(run);
      const { tags, platforms } = await published(ref, '1.2.3');
      expect(platforms).toEqual(['linux/amd64', 'linux/arm64']);
      const release = ['1.2.3', '1.2', '1', 'v1.2.3', 'latest', `sha-${sha.slice(0, 7)}`];
      expect(Object.keys(tags).sort()).toEqual([...release, 'buildcache'].sort());
      for (const tag of release) expect(tags[tag]).toBe(tags['1.2.3']);
    },
    BUILD_TIMEOUT_MS
  );

  test(
    'matrix: the plan job sets the matrix, a leg per platform, the merge publishes, a later step reads its outputs',
    async () => {
      const ref = image('matrix');
      const run = await runAct('matrix', ref);
      expectGreen(run);
      // The legs came from the plan's output: one job per platform, each on its runner.
      expect(run.log).toContain('linux/arm64 → ubuntu-24.04-arm (native)');
      expect(run.log).toMatch(/\[image\/leg-1\s*\]/);
      expect(run.log).toMatch(/\[image\/leg-2\s*\]/);
      const { tags, platforms } = await published(ref, 'main');
      expect(platforms).toEqual(['linux/amd64', 'linux/arm64']);
      // The step after the merge read its digest output: the index the tags point to.
      expect(run.log).toContain(`published ${tags.main} as ${ref}:main`);
      // The legs' hand-off tags went with the merge.
      expect(Object.keys(tags).filter((t) => t.startsWith('leg-'))).toEqual([]);
      expect(tags[`sha-${sha.slice(0, 7)}`]).toBe(tags.main);
    },
    BUILD_TIMEOUT_MS
  );

  test(
    'build, test, then publish: the tags land on an index of the very platform images the build step output and the test step read, and no hand-off tag is left',
    async () => {
      const ref = image('btp');
      const run = await runAct('build-test-publish', ref);
      expectGreen(run);
      expect(run.log).toMatch(/Success - Main Test each platform's image/);
      // The build step's platform images (its first platform-digests output), as the test step read them.
      const line = /::set-output:: platform-digests=(.*)/.exec(run.log)?.[1] ?? '';
      const built = [...line.matchAll(/sha256:[0-9a-f]{64}/g)].map((m) => m[0]).sort();
      expect(built).toHaveLength(2);
      const { tags, platforms } = await published(ref, 'main');
      expect(platforms).toEqual(['linux/amd64', 'linux/arm64']);
      const index = await registry.manifest(repoOf(ref), 'main');
      expect(
        Registry.images(index?.body.manifests)
          .map((m) => m.digest)
          .sort()
      ).toEqual(built);
      expect(tags[`sha-${sha.slice(0, 7)}`]).toBe(tags.main);
      // The leg's cache tag stays (it warms the next run); the hand-off tag is gone.
      expect(
        Object.keys(tags)
          .filter((t) => !t.startsWith('buildcache'))
          .sort()
      ).toEqual(['main', `sha-${sha.slice(0, 7)}`].sort());
    },
    BUILD_TIMEOUT_MS
  );
});
