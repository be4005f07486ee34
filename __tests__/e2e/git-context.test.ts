/**
 * build-push-action's default context, on the real stack through the bundle: a workflow with no
 * checkout and no `context` builds the git context of the commit, which BuildKit fetches itself.
 * GITHUB_SERVER_URL points at a private git server on loopback (git http-backend that refuses
 * requests without the token), standing in for github.com:
 * - an empty workspace builds `<server>/acme/app.git#<GITHUB_SHA>`: the image holds that commit's
 *   files, not the branch tip's; the token reaches BuildKit as GIT_AUTH_TOKEN.<host> from a
 *   private file, and no byte of argv, log or command file holds it;
 * - without github-token the private repository is not fetched: the run fails and tags nothing;
 * - `context: {{defaultContext}}:sub` builds that directory of the commit, beside a checkout.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, annotations, expectSucceeded, log, pushEvent, uniqueRepo, useHarness } from './support/harness.js';
import { readFileFromImage } from './support/image.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { waitForStack, type StackEnv } from './support/stack.js';

const CASE_TIMEOUT_MS = 300_000;

const stack = await waitForStack();
const describeStack = stack.ok ? describe : describe.skip;

/** git with a fixed identity, in `cwd`. */
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', ...args], {
    cwd,
    encoding: 'utf8'
  }).trim();
}

describeStack('no checkout: the git context of the commit, as build-push-action', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const h = useHarness(env, 'git-context');
  const registry = h.registry;
  const token = `ghs_${randomBytes(18).toString('base64url')}`;
  const marker = randomBytes(6).toString('hex');
  let server: GitServer;
  /** The commit the event is for, and the branch tip after it (other files). */
  let eventSha: string;
  let tipSha: string;
  /** A commit only the run without a token asks for: BuildKit keeps what it fetched, by commit. */
  let unfetchedSha: string;

  beforeAll(async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'e2e-git-server-'));
    h.cleanup(() => rmSync(root, { recursive: true, force: true }));
    const work = path.join(root, 'work');
    cpSync(path.join(FIXTURES, 'projects', 'arch'), work, { recursive: true });
    writeFileSync(path.join(work, 'app.txt'), `event commit ${marker}\n`);
    mkdirSync(path.join(work, 'sub'));
    cpSync(path.join(work, 'Dockerfile'), path.join(work, 'sub', 'Dockerfile'));
    writeFileSync(path.join(work, 'sub', 'app.txt'), `sub directory ${marker}\n`);
    git(root, 'init', '-q', '-b', 'main', work);
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'the event commit');
    eventSha = git(work, 'rev-parse', 'HEAD');
    writeFileSync(path.join(work, 'app.txt'), `branch tip ${marker}\n`);
    git(work, 'commit', '-q', '-am', 'a later commit');
    tipSha = git(work, 'rev-parse', 'HEAD');
    git(work, 'checkout', '-q', '-b', 'other');
    writeFileSync(path.join(work, 'app.txt'), `other branch ${marker}\n`);
    git(work, 'commit', '-q', '-am', 'a commit on another branch');
    unfetchedSha = git(work, 'rev-parse', 'HEAD');
    mkdirSync(path.join(root, 'srv', 'acme'), { recursive: true });
    git(root, 'clone', '-q', '--bare', work, path.join(root, 'srv', 'acme', 'app.git'));
    server = await startGitServer(path.join(root, 'srv'), token);
    h.cleanup(() => server.close());
  });

  /** An empty GITHUB_WORKSPACE: a job without actions/checkout. */
  function emptyWorkspace(): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-ws-empty-'));
    h.cleanup(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  const runEnv = () => ({ GITHUB_SERVER_URL: server.url, GITHUB_REPOSITORY: 'acme/app' });
  const buildLines = (stdout: string) => stdout.split('\n').filter((l) => /^\[command\].*\bbuild --builder\b/.test(l));

  test(
    'an empty workspace builds the commit from the private server with github-token, which no argv, log or file holds',
    async () => {
      expect(eventSha).not.toBe(tipSha);
      const repo = uniqueRepo('git-context');
      const result = await h.main('git context, token', {
        workspace: emptyWorkspace(),
        inputs: h.inputs(`${env.registry}/${repo}`, {
          platforms: 'linux/amd64',
          tags: 'type=raw,value=v1',
          'github-token': token
        }),
        event: pushEvent('refs/heads/main', eventSha),
        env: runEnv()
      });
      expectSucceeded(result, 'the git-context build');
      const url = `${server.url}/acme/app.git#${eventSha}`;
      expect(log(result)).toContain(
        `context: not given, and the workspace holds no checkout (no Dockerfile, no .git): building the git context of the commit, ${url}`
      );
      // buildx's context is the commit's URL; the token is a secret read from a file.
      const builds = buildLines(result.stdout);
      expect(builds.length).toBeGreaterThan(0);
      for (const line of builds) {
        expect(line.endsWith(` ${url}`) || line.endsWith(` '${url}'`)).toBe(true);
        expect(line).toMatch(new RegExp(`--secret id=GIT_AUTH_TOKEN\\.${server.host.replace(/\./g, '\\.')},src=\\S+`));
      }
      // BuildKit fetched with the token: the server refuses anything else.
      expect(server.requests.filter((r) => r.authorised).length).toBeGreaterThan(0);
      // The image holds the event commit's files, not the branch tip's.
      const digest = JSON.parse(result.outputs['platform-digests'])['linux/amd64'] as string;
      expect((await readFileFromImage(registry, repo, digest, 'app.txt'))?.trim()).toBe(`event commit ${marker}`);
      expect(await registry.tags(repo)).toContain('v1');
      // The token: masked once (the runner's channel), and in no other byte of the step.
      const stdout = result.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'));
      expect(result.stdout.split('\n').filter((l) => l === `::add-mask::${token}`)).toHaveLength(1);
      const where = { stdout: stdout.join('\n'), stderr: result.stderr, ...result.files };
      for (const [name, text] of Object.entries(where))
        expect({ name, found: text.includes(token) }).toEqual({ name, found: false });
    },
    CASE_TIMEOUT_MS
  );

  test(
    'without github-token the private repository is not fetched: the run fails and tags nothing',
    async () => {
      const repo = uniqueRepo('git-context-no-token');
      const before = server.requests.length;
      const result = await h.main('git context, no token', {
        workspace: emptyWorkspace(),
        inputs: h.inputs(`${env.registry}/${repo}`, { platforms: 'linux/amd64', tags: 'type=raw,value=v1' }),
        event: pushEvent('refs/heads/other', unfetchedSha),
        env: runEnv()
      });
      expect(result.code).not.toBe(0);
      expect(buildLines(result.stdout).join('\n')).not.toContain('GIT_AUTH_TOKEN');
      const asked = server.requests.slice(before);
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.every((r) => !r.authorised)).toBe(true);
      expect(annotations(result, 'error').join('\n')).toMatch(
        /the git context http:\/\/127\.0\.0\.1:\d+\/acme\/app\.git was not readable without credentials: a private repository needs github-token/
      );
      expect((await registry.tags(repo)).filter((t) => !t.startsWith('buildcache'))).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'context: {{defaultContext}}:sub builds that directory of the commit, beside a checkout',
    async () => {
      const repo = uniqueRepo('git-context-sub');
      const result = await h.main('git context, subdir', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(`${env.registry}/${repo}`, {
          platforms: 'linux/amd64',
          tags: 'type=raw,value=v1',
          context: '{{defaultContext}}:sub',
          'github-token': token
        }),
        event: pushEvent('refs/heads/main', eventSha),
        env: runEnv()
      });
      expectSucceeded(result, 'the {{defaultContext}}:sub build');
      expect(log(result)).not.toContain('context: not given');
      const digest = JSON.parse(result.outputs['platform-digests'])['linux/amd64'] as string;
      expect((await readFileFromImage(registry, repo, digest, 'app.txt'))?.trim()).toBe(`sub directory ${marker}`);
    },
    CASE_TIMEOUT_MS
  );
});
