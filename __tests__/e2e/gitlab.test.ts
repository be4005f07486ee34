/**
 * The README's GitLab CI recipe, run by gitlab-ci-local (scripts/stack/runners.sh) with its jobs in
 * this machine's shell, against the stack: the legs of a parallel matrix, the merge, and a later
 * job reading the merge's outputs from its dotenv report. Two substitutions, as the README says:
 * the bundled command line for `npx multiarch-publish`, and no `docker login` line (DOCKER_CONFIG
 * holds the auth registry's credentials; there is no Docker engine here).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT } from './support/runner.js';
import { BUILD_TIMEOUT_MS, CLI, gitIn, userEnv } from './support/cli.js';
import { Registry, platformId } from './support/registry.js';
import { STACK_DIR, waitForStack, type StackEnv } from './support/stack.js';

/** The README's .gitlab-ci.yml, with the two substitutions. */
function recipe(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n### GitLab CI\n'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  if (!yaml) throw new Error('README has no .gitlab-ci.yml under ### GitLab CI');
  const login = /^ *- echo "\$CI_REGISTRY_PASSWORD" \| docker login .*\n/m;
  expect(yaml).toMatch(login);
  expect(yaml).toContain('npx multiarch-publish ');
  return yaml.replace(login, '    - "true"\n').split('npx multiarch-publish ').join(`node ${CLI} `);
}

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the GitLab pipeline: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

describeStack("the README's GitLab CI recipe under gitlab-ci-local", () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const gcl = env.gitlabCiLocal ?? path.join(STACK_DIR, 'bin/gitlab-ci-local');
  const password = stack.ok ? readFileSync(env.authPasswordFile, 'utf8').trim() : '';
  const registry = new Registry(env.authRegistry, { user: env.authUser, password });
  const builder = `e2e-gitlab-${randomBytes(3).toString('hex')}`;
  const docker = (...args: string[]): string =>
    execFileSync('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  let repo = '';

  beforeAll(() => {
    // In CI a missing gitlab-ci-local fails here rather than skipping: the stack installs it.
    expect(existsSync(gcl)).toBe(true);
    repo = mkdtempSync(path.join(os.tmpdir(), 'e2e-gitlab-'));
    writeFileSync(path.join(repo, 'Dockerfile'), 'FROM scratch\nCOPY app.txt /app.txt\n');
    writeFileSync(path.join(repo, 'app.txt'), 'hello from a pipeline\n');
    writeFileSync(path.join(repo, '.gitlab-ci.yml'), recipe());
    const git = gitIn(repo);
    git('init', '-q');
    // gitlab-ci-local reads the project's path from the remote named origin.
    git('remote', 'add', 'origin', 'https://gitlab.example.com/acme/app.git');
    git('add', '.');
    git('commit', '-q', '-m', 'fixture');
    docker('buildx', 'create', '--name', builder, '--driver', 'remote', env.buildkitHost);
  });
  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
    docker('buildx', 'rm', '--force', builder);
  });

  test(
    "the README's .gitlab-ci.yml: legs from parallel matrix, one index under main and sha-, outputs via dotenv",
    async () => {
      const image = `${env.authRegistry}/e2e-gitlab/app-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
      const sha = gitIn(repo)('rev-parse', 'HEAD');
      const run = await new Promise<{ code: number; log: string }>((resolve, reject) => {
        const child = spawn(gcl, ['--variable', `CI_REGISTRY_IMAGE=${image}`], {
          cwd: repo,
          env: userEnv({
            DOCKER_CONFIG: env.authDockerConfig,
            // The builders live in the user's buildx store, whatever DOCKER_CONFIG says.
            BUILDX_CONFIG: path.join(os.homedir(), '.docker/buildx'),
            BUILDX_BUILDER: builder
          }),
          stdio: ['ignore', 'pipe', 'pipe']
        });
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
      if (run.code !== 0) console.log(run.log.split('\n').slice(-60).join('\n'));
      expect(run.code).toBe(0);
      for (const job of ['leg: [linux/amd64,amd64]', 'leg: [linux/arm64,arm64]', 'merge', 'deploy'])
        expect(run.log).toMatch(new RegExp(`PASS +${job.replace(/[[\]]/g, '\\$&')}`));
      // Both legs and the merge read the pipeline: its id is the run id, its image the image.
      expect(run.log).toContain(`(git, GitLab CI variables)`);
      expect(run.log).toMatch(/leg-[0-9a-f]{7}-\d+-linux-arm64: removed/);

      const repoName = image.slice(env.authRegistry.length + 1);
      const index = await registry.manifest(repoName, 'main');
      expect(
        Registry.images(index?.body.manifests)
          .map((m) => platformId(m.platform!))
          .sort()
      ).toEqual(['linux/amd64', 'linux/arm64']);
      expect((await registry.manifest(repoName, `sha-${sha.slice(0, 7)}`))?.digest).toBe(index!.digest);
      expect((await registry.tags(repoName)).filter((t) => t.startsWith('leg-'))).toEqual([]);
      // The deploy job read the merge's outputs from the dotenv report.
      expect(run.log).toContain(`published ${index!.digest} as ${image}:main,${image}:sha-${sha.slice(0, 7)}`);
    },
    BUILD_TIMEOUT_MS
  );
});
