import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  defaultGitContext,
  expandDefaultContext,
  gitAuthSecret,
  githubSource,
  noCheckout,
  type GitHubSource
} from '../../src/inputs/git-context.js';
import { readInputs } from '../../src/inputs/read.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import { InputError } from '../../src/plan/errors.js';
import { errorOf } from '../support/errors.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const MERGE_SHA = 'fedcba9876543210fedcba9876543210fedcba98';

/** The runner's GITHUB_* variables for an event. */
function runEnv(ref: string, sha: string): NodeJS.ProcessEnv {
  return { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/app', GITHUB_SHA: sha, GITHUB_REF: ref };
}

describe('the git context of the run (build-push-action default)', () => {
  test.each([
    ['push to a branch', 'refs/heads/main', SHA, `https://github.com/acme/app.git#${SHA}`],
    ['push of a tag', 'refs/tags/v1.2.3', SHA, `https://github.com/acme/app.git#${SHA}`],
    // GITHUB_SHA of a pull request is its merge commit: pinned, as actions-toolkit 0.90+ does, not refs/pull/7/merge.
    ['pull request', 'refs/pull/7/merge', MERGE_SHA, `https://github.com/acme/app.git#${MERGE_SHA}`]
  ])('%s: %s at the commit', (_, ref, sha, url) => {
    expect(defaultGitContext(githubSource(runEnv(ref, sha))!)).toBe(url);
  });

  test('GitHub Enterprise: its server, a trailing slash dropped; the ref when no commit is known', () => {
    const source = githubSource({
      GITHUB_SERVER_URL: 'https://ghe.example.com/',
      GITHUB_REPOSITORY: 'org/svc',
      GITHUB_REF: 'refs/heads/dev'
    });
    expect(defaultGitContext(source!)).toBe('https://ghe.example.com/org/svc.git#refs/heads/dev');
  });

  test('outside GitHub (no server, repository or commit) there is none', () => {
    expect(githubSource({})).toBeUndefined();
    expect(githubSource({ GITHUB_SERVER_URL: 'https://github.com', GITHUB_SHA: SHA })).toBeUndefined();
    expect(githubSource({ ...runEnv('refs/heads/main', SHA), GITHUB_SERVER_URL: 'not a url' })).toBeUndefined();
  });

  test('{{defaultContext}} and {{ defaultContext }}:subdir are expanded; other values are left alone', () => {
    const source = githubSource(runEnv('refs/heads/main', SHA));
    expect(expandDefaultContext('{{defaultContext}}', 'context', source)).toBe(
      `https://github.com/acme/app.git#${SHA}`
    );
    expect(expandDefaultContext('{{ defaultContext }}:docker/app', 'context', source)).toBe(
      `https://github.com/acme/app.git#${SHA}:docker/app`
    );
    expect(expandDefaultContext('./app', 'context', source)).toBe('./app');
    expect(expandDefaultContext('./app', 'context', undefined)).toBe('./app');
  });

  test('{{defaultContext}} outside GitHub is refused, naming the input', () => {
    const error = errorOf(InputError, () => expandDefaultContext('{{defaultContext}}:sub', 'context', undefined));
    expect(error.message).toMatch(
      /^input "context": "\{\{defaultContext\}\}:sub" is not accepted; expected a path or a git URL: \{\{defaultContext\}\} is the git context of the GitHub run/
    );
  });
});

describe('github-token: GIT_AUTH_TOKEN.<host> for the git context only', () => {
  const source = githubSource(runEnv('refs/heads/main', SHA))!;
  const url = defaultGitContext(source);

  test('the git context of the run gets the token under the server host', () => {
    expect(gitAuthSecret('tok', url, source, [])).toEqual({ id: 'GIT_AUTH_TOKEN.github.com', value: 'tok' });
    expect(gitAuthSecret('tok', `${url}:sub`, source, [])).toEqual({ id: 'GIT_AUTH_TOKEN.github.com', value: 'tok' });
  });

  test.each([
    ['a workspace context', 'tok', '.', []],
    ['another repository', 'tok', 'https://github.com/acme/other.git#main', []],
    ['a look-alike repository name', 'tok', 'https://github.com/acme/app.github.io.git#main', []],
    ['no token', '', url, []],
    ['the expression itself (outside the runner)', '${{ github.token }}', url, []],
    ['a GIT_AUTH_TOKEN secret given', 'tok', url, ['GIT_AUTH_TOKEN']],
    ['a GIT_AUTH_TOKEN.github.com secret given', 'tok', url, ['GIT_AUTH_TOKEN.github.com']]
  ])('none for %s', (_, token, context, given) => {
    expect(gitAuthSecret(token, context, source, given)).toBeUndefined();
  });
});

describe('readInputs: when the git context is the default', () => {
  let root: string;
  beforeAll(() => (root = mkdtempSync(path.join(os.tmpdir(), 'git-context-test-'))));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A workspace holding the given files (a trailing / makes a directory). */
  function workspace(files: string[]): string {
    const dir = mkdtempSync(path.join(root, 'ws-'));
    for (const f of files) {
      if (f.endsWith('/')) mkdirSync(path.join(dir, f), { recursive: true });
      else {
        mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        writeFileSync(path.join(dir, f), 'FROM scratch\n');
      }
    }
    return dir;
  }

  const source: GitHubSource = githubSource(runEnv('refs/heads/main', SHA))!;
  const url = `https://github.com/acme/app.git#${SHA}`;
  const base = { images: 'ghcr.io/acme/app', 'github-token': 'ghs_tok' };
  function read(given: Record<string, string>, cwd: string, github: GitHubSource | null = source) {
    return readInputs((name) => given[name] ?? '', cwd, nativePlatform('x64', 'linux'), 'push', github ?? undefined);
  }

  test('no context, empty workspace: the git context, and the token as its secret', () => {
    const inputs = read(base, workspace([]));
    expect(inputs.build.context).toBe(url);
    expect(inputs.gitContext).toBe(url);
    expect(inputs.secrets).toEqual([{ id: 'GIT_AUTH_TOKEN.github.com', value: 'ghs_tok' }]);
  });

  test('no context, a file that is not in the workspace (no checkout): the git context reads it', () => {
    const inputs = read({ ...base, file: 'docker/Dockerfile' }, workspace(['out/']));
    expect(inputs.build.context).toBe(url);
    expect(inputs.build.file).toBe('docker/Dockerfile');
  });

  test('mode platform (a matrix leg) also builds the git context', () => {
    expect(read({ ...base, mode: 'platform', platforms: 'linux/arm64' }, workspace([])).build.context).toBe(url);
  });

  test.each([
    ['the workspace holds the Dockerfile', {}, ['Dockerfile']],
    ['the workspace holds the file named', { file: 'docker/Dockerfile' }, ['docker/Dockerfile']]
  ])('keeps . when %s', (_, extra, files) => {
    const inputs = read({ ...base, ...extra }, workspace(files));
    expect(inputs.build.context).toBe('.');
    expect(inputs.gitContext).toBeUndefined();
    expect(inputs.secrets).toEqual([]);
  });

  test.each([
    ['a checkout (.git) with a mistyped file', { file: 'Dockerfil' }, ['.git/', 'src/']],
    ['a Dockerfile at the root and a mistyped file', { file: 'nope/Dockerfile' }, ['Dockerfile']]
  ])('refuses as before for %s', (_, extra, files) => {
    const error = errorOf(InputError, () => read({ ...base, ...extra }, workspace(files)));
    expect(error.message).toMatch(/^input "file": ".*" is not accepted; expected an existing Dockerfile$/);
  });

  test('outside GitHub an empty workspace is refused as before (no Dockerfile)', () => {
    const error = errorOf(InputError, () => read(base, workspace([]), null));
    expect(error.message).toBe('input "file": "Dockerfile" is not accepted; expected an existing Dockerfile');
  });

  test('a context given is kept, even "." in an empty workspace', () => {
    const error = errorOf(InputError, () => read({ ...base, context: '.' }, workspace([])));
    expect(error.input).toBe('file');
  });

  test('modes that build nothing keep "."', () => {
    const inputs = read({ ...base, mode: 'merge', platforms: 'linux/amd64' }, workspace([]));
    expect(inputs.build.context).toBe('.');
    expect(inputs.secrets).toEqual([]);
  });

  test('context: {{defaultContext}}:subdir builds that directory of the git context, with the token', () => {
    const inputs = read({ ...base, context: '{{defaultContext}}:docker' }, workspace(['Dockerfile']));
    expect(inputs.build.context).toBe(`${url}:docker`);
    expect(inputs.gitContext).toBeUndefined();
    expect(inputs.secrets).toEqual([{ id: 'GIT_AUTH_TOKEN.github.com', value: 'ghs_tok' }]);
  });

  test('build-contexts lines may name {{defaultContext}}', () => {
    const inputs = read({ ...base, 'build-contexts': 'src={{defaultContext}}:src' }, workspace(['Dockerfile']));
    expect(inputs.build.buildContexts).toEqual([`src=${url}:src`]);
  });

  test("the user's own GIT_AUTH_TOKEN secret is kept, no second one added", () => {
    const inputs = read({ ...base, secrets: 'GIT_AUTH_TOKEN=mine' }, workspace([]));
    expect(inputs.secrets).toEqual([{ id: 'GIT_AUTH_TOKEN', value: 'mine' }]);
  });

  test('no github-token: the git context without a secret (a public repository)', () => {
    const inputs = read({ images: 'ghcr.io/acme/app' }, workspace([]));
    expect(inputs.build.context).toBe(url);
    expect(inputs.secrets).toEqual([]);
  });
});

describe('noCheckout', () => {
  test('stdin Dockerfile (-) is never a missing checkout', () => {
    expect(noCheckout(os.tmpdir(), ['-'])).toBe(false);
  });
});
