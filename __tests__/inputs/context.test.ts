import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contextFromGit, contextFromGitHub, parseSourceDateEpoch, remoteToHttps } from '../../src/inputs/context.js';
import type { Context } from '../../src/plan/context.js';
import { InputError } from '../../src/plan/errors.js';

const EVENTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'events');
const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';

function actionsEnv(event: string, fixture: string, over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: path.join(EVENTS, fixture),
    GITHUB_SHA: SHA,
    GITHUB_REPOSITORY: 'octo/app',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '7001',
    GITHUB_RUN_ATTEMPT: '2',
    ...over
  };
}

const OCTO_APP = {
  fullName: 'octo/app',
  htmlUrl: 'https://github.com/octo/app',
  description: 'An app',
  license: 'MIT',
  defaultBranch: 'main'
};

describe('contextFromGitHub', () => {
  test.each<{ name: string; env: NodeJS.ProcessEnv; expected: Context }>([
    {
      name: 'push to a branch',
      env: actionsEnv('push', 'push_branch.json', { GITHUB_REF: 'refs/heads/feature/x' }),
      expected: {
        eventName: 'push',
        ref: 'refs/heads/feature/x',
        sha: SHA,
        repo: OCTO_APP,
        pr: undefined,
        commitDate: new Date('2024-02-01T10:00:00Z'),
        sourceDateEpoch: undefined,
        runId: '7001',
        runAttempt: '2'
      }
    },
    {
      name: 'push of a tag',
      env: actionsEnv('push', 'push_tag.json', { GITHUB_REF: 'refs/tags/v1.2.3', SOURCE_DATE_EPOCH: '1700000000' }),
      expected: {
        eventName: 'push',
        ref: 'refs/tags/v1.2.3',
        sha: SHA,
        repo: { ...OCTO_APP, license: 'Apache-2.0' },
        pr: undefined,
        commitDate: new Date('2024-02-01T10:00:00Z'),
        sourceDateEpoch: new Date('2023-11-14T22:13:20Z'),
        runId: '7001',
        runAttempt: '2'
      }
    },
    {
      name: 'pull request: head sha, PR branches, no description or licence',
      env: actionsEnv('pull_request', 'pull_request.json', {
        GITHUB_REF: 'refs/pull/12/merge',
        GITHUB_SHA: 'cccccccccccccccccccccccccccccccccccccccc'
      }),
      expected: {
        eventName: 'pull_request',
        ref: 'refs/pull/12/merge',
        sha: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        repo: {
          fullName: 'octo/app',
          htmlUrl: 'https://github.com/octo/app',
          description: undefined,
          license: undefined,
          defaultBranch: 'main'
        },
        pr: { number: 12, baseRef: 'main', headRef: 'feature/x' },
        commitDate: undefined,
        sourceDateEpoch: undefined,
        runId: '7001',
        runAttempt: '2'
      }
    },
    {
      name: 'pull_request_target runs on the base ref but is tagged as the PR',
      env: actionsEnv('pull_request_target', 'pull_request.json', { GITHUB_REF: 'refs/heads/main' }),
      expected: {
        eventName: 'pull_request_target',
        ref: 'refs/pull/12/merge',
        sha: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        repo: {
          fullName: 'octo/app',
          htmlUrl: 'https://github.com/octo/app',
          description: undefined,
          license: undefined,
          defaultBranch: 'main'
        },
        pr: { number: 12, baseRef: 'main', headRef: 'feature/x' },
        commitDate: undefined,
        sourceDateEpoch: undefined,
        runId: '7001',
        runAttempt: '2'
      }
    },
    {
      name: 'release: NOASSERTION is no licence',
      env: actionsEnv('release', 'release.json', { GITHUB_REF: 'refs/tags/v1.2.3' }),
      expected: {
        eventName: 'release',
        ref: 'refs/tags/v1.2.3',
        sha: SHA,
        repo: { ...OCTO_APP, license: undefined },
        pr: undefined,
        commitDate: undefined,
        sourceDateEpoch: undefined,
        runId: '7001',
        runAttempt: '2'
      }
    },
    {
      name: 'release without GITHUB_REF: the tag from the payload',
      env: actionsEnv('release', 'release.json'),
      expected: {
        eventName: 'release',
        ref: 'refs/tags/v1.2.3',
        sha: SHA,
        repo: { ...OCTO_APP, license: undefined },
        pr: undefined,
        commitDate: undefined,
        sourceDateEpoch: undefined,
        runId: '7001',
        runAttempt: '2'
      }
    },
    {
      name: 'schedule: no repository in the payload, address from the server URL',
      env: actionsEnv('schedule', 'schedule.json', {
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SERVER_URL: 'https://ghe.example.com/'
      }),
      expected: {
        eventName: 'schedule',
        ref: 'refs/heads/main',
        sha: SHA,
        repo: {
          fullName: 'octo/app',
          htmlUrl: 'https://ghe.example.com/octo/app',
          description: undefined,
          license: undefined,
          defaultBranch: undefined
        },
        pr: undefined,
        commitDate: undefined,
        sourceDateEpoch: undefined,
        runId: '7001',
        runAttempt: '2'
      }
    },
    {
      name: 'workflow_dispatch',
      env: actionsEnv('workflow_dispatch', 'workflow_dispatch.json', {
        GITHUB_REF: 'refs/heads/main',
        GITHUB_RUN_ATTEMPT: undefined
      }),
      expected: {
        eventName: 'workflow_dispatch',
        ref: 'refs/heads/main',
        sha: SHA,
        repo: OCTO_APP,
        pr: undefined,
        commitDate: undefined,
        sourceDateEpoch: undefined,
        runId: '7001',
        runAttempt: '1'
      }
    }
  ])('$name', ({ env, expected }) => {
    expect(contextFromGitHub(env)).toEqual(expected);
  });

  test('an unreadable payload is an error naming the file', () => {
    const env = actionsEnv('push', 'missing.json');
    expect(() => contextFromGitHub(env)).toThrow(
      `cannot read the event payload GITHUB_EVENT_PATH=${path.join(EVENTS, 'missing.json')}`
    );
  });

  test('the commit date comes from the checkout when the payload has none', () => {
    const repo = makeRepo();
    try {
      const sha = commit(repo, 'only', '2022-05-06T07:08:09Z');
      const context = contextFromGitHub(
        actionsEnv('workflow_dispatch', 'workflow_dispatch.json', { GITHUB_SHA: sha, GITHUB_WORKSPACE: repo })
      );
      expect(context.commitDate).toEqual(new Date('2022-05-06T07:08:09Z'));
      // a commit the checkout lacks (shallow clone): no date rather than a wrong one
      expect(
        contextFromGitHub(actionsEnv('workflow_dispatch', 'workflow_dispatch.json', { GITHUB_WORKSPACE: repo }))
          .commitDate
      ).toBeUndefined();
      // a pull request whose head commit is not fetched: the merge commit's date
      const pr = contextFromGitHub(
        actionsEnv('pull_request', 'pull_request.json', {
          GITHUB_REF: 'refs/pull/12/merge',
          GITHUB_SHA: sha,
          GITHUB_WORKSPACE: repo
        })
      );
      expect(pr.sha).toBe('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
      expect(pr.commitDate).toEqual(new Date('2022-05-06T07:08:09Z'));
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe('parseSourceDateEpoch', () => {
  test.each([
    { name: 'unset', value: undefined, expected: undefined },
    { name: 'empty', value: '', expected: undefined },
    { name: 'zero', value: '0', expected: new Date('1970-01-01T00:00:00Z') },
    { name: 'seconds', value: '1578669950', expected: new Date('2020-01-10T15:25:50Z') }
  ])('$name', ({ value, expected }) => {
    expect(parseSourceDateEpoch(value)).toEqual(expected);
  });

  test.each(['-1', '1.5', 'yesterday', '2024-01-01'])('rejects %j', (value) => {
    expect(() => parseSourceDateEpoch(value)).toThrow(
      new InputError('SOURCE_DATE_EPOCH', value, 'a whole number of seconds since 1970-01-01T00:00:00Z')
    );
  });
});

describe('remoteToHttps', () => {
  test.each([
    { name: 'scp-like ssh', url: 'git@github.com:octo/app.git', expected: 'https://github.com/octo/app' },
    {
      name: 'ssh URL with port',
      url: 'ssh://git@gitlab.example.com:2222/group/sub/app.git',
      expected: 'https://gitlab.example.com/group/sub/app'
    },
    { name: 'https with .git', url: 'https://github.com/octo/app.git', expected: 'https://github.com/octo/app' },
    {
      name: 'https with credentials: never kept',
      url: 'https://x-access-token:ghs_secret@github.com/octo/app.git',
      expected: 'https://github.com/octo/app'
    },
    {
      name: 'https with port and trailing slash',
      url: 'https://git.example.com:8443/octo/app/',
      expected: 'https://git.example.com:8443/octo/app'
    },
    { name: 'git protocol', url: 'git://example.com/octo/app.git', expected: 'https://example.com/octo/app' },
    { name: 'upper-case host', url: 'git@GitHub.com:Octo/App.git', expected: 'https://github.com/Octo/App' },
    { name: 'local path', url: '/srv/git/app.git', expected: undefined },
    { name: 'file URL', url: 'file:///srv/git/app.git', expected: undefined }
  ])('$name', ({ url, expected }) => {
    expect(remoteToHttps(url)).toBe(expected);
  });
});

// Real repositories: git runs here, so the tests use it rather than a mock.
function git(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  }).trim();
}

function makeRepo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'context-git-'));
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'user.name', 'Test']);
  git(dir, ['config', 'user.email', 'test@example.com']);
  git(dir, ['config', 'commit.gpgsign', 'false']);
  git(dir, ['config', 'tag.gpgsign', 'false']);
  return dir;
}

function commit(dir: string, message: string, date: string): string {
  writeFileSync(path.join(dir, 'file.txt'), `${message}\n`);
  git(dir, ['add', 'file.txt']);
  git(dir, ['commit', '-q', '-m', message], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  return git(dir, ['rev-parse', 'HEAD']);
}

describe('contextFromGit', () => {
  let repo: string;
  const shas: Record<string, string> = {};

  beforeAll(() => {
    repo = makeRepo();
    shas.c1 = commit(repo, 'c1', '2024-01-01T00:00:00Z');
    git(repo, ['tag', 'v1.2.3']);
    git(repo, ['tag', 'stable']);
    shas.c2 = commit(repo, 'c2', '2024-01-02T00:00:00Z');
    git(repo, ['tag', '-a', '-m', 'rc', 'v2.0.0-rc.1']);
    shas.c3 = commit(repo, 'c3', '2024-01-03T00:00:00Z');
    git(repo, ['tag', 'v2.0.0-rc.2']);
    git(repo, ['tag', '-a', '-m', 'final', 'v2.0.0']);
    shas.c4 = commit(repo, 'c4', '2024-01-04T12:30:00+02:00');
    git(repo, ['tag', 'v2.0.1']);
    git(repo, ['checkout', '-q', '-b', 'feature/x']);
    shas.c5 = commit(repo, 'c5', '2024-01-05T00:00:00Z');
    git(repo, ['checkout', '-q', '--detach']);
    shas.c6 = commit(repo, 'c6', '2024-01-06T00:00:00Z');
    shas.c7 = commit(repo, 'c7', '2024-01-07T00:00:00Z');
    git(repo, ['remote', 'add', 'origin', 'git@github.com:Octo/App.git']);
    git(repo, ['update-ref', 'refs/remotes/origin/hotfix', shas.c7]);
    git(repo, ['update-ref', 'refs/remotes/origin/trunk', shas.c4]);
    git(repo, ['symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/trunk']);
  });

  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
  });

  test.each([
    {
      name: 'on main, a tag at HEAD: the branch (as a push to main)',
      checkout: ['main'],
      at: 'c4',
      ref: 'refs/heads/main',
      date: '2024-01-04T10:30:00Z'
    },
    {
      name: 'detached at a release tag (as the tag push)',
      checkout: ['--detach', 'v1.2.3'],
      at: 'c1',
      ref: 'refs/tags/v1.2.3',
      date: '2024-01-01T00:00:00Z'
    },
    {
      name: 'detached at a pre-release tag',
      checkout: ['--detach', 'v2.0.0-rc.1'],
      at: 'c2',
      ref: 'refs/tags/v2.0.0-rc.1',
      date: '2024-01-02T00:00:00Z'
    },
    {
      name: 'detached where a release and its rc meet: the release',
      checkout: ['--detach', 'v2.0.0'],
      at: 'c3',
      ref: 'refs/tags/v2.0.0',
      date: '2024-01-03T00:00:00Z'
    },
    {
      name: 'detached at main tip, which is tagged: the tag',
      checkout: ['--detach', 'main'],
      at: 'c4',
      ref: 'refs/tags/v2.0.1',
      date: '2024-01-04T10:30:00Z'
    },
    {
      name: 'on a branch with a slash',
      checkout: ['feature/x'],
      at: 'c5',
      ref: 'refs/heads/feature/x',
      date: '2024-01-05T00:00:00Z'
    },
    {
      name: 'detached at a branch tip without tags: the branch',
      checkout: ['--detach', 'feature/x'],
      at: 'c5',
      ref: 'refs/heads/feature/x',
      date: '2024-01-05T00:00:00Z'
    },
    {
      name: 'detached at a remote branch tip: that branch',
      checkout: ['--detach', 'origin/hotfix'],
      at: 'c7',
      ref: 'refs/heads/hotfix',
      date: '2024-01-07T00:00:00Z'
    },
    {
      name: 'detached at an untagged, unbranched commit: no ref',
      checkout: ['--detach', '@c6'],
      at: 'c6',
      ref: '',
      date: '2024-01-06T00:00:00Z'
    }
  ])('$name', async ({ checkout, at, ref, date }) => {
    // `@cN` names a commit of the fixture by its sha
    git(repo, ['checkout', '-q', ...checkout.map((arg) => (arg.startsWith('@') ? shas[arg.slice(1)] : arg))]);
    const context = await contextFromGit(repo, {});
    expect(context).toEqual({
      eventName: 'git',
      ref,
      sha: shas[at],
      repo: { fullName: 'Octo/App', htmlUrl: 'https://github.com/Octo/App', defaultBranch: 'trunk' },
      commitDate: new Date(date),
      sourceDateEpoch: undefined,
      runId: expect.stringMatching(/^local-[0-9a-z]+$/),
      runAttempt: '1'
    });
  });

  test('GITHUB_REF, SOURCE_DATE_EPOCH and the run ids from the environment win', async () => {
    git(repo, ['checkout', '-q', 'main']);
    const context = await contextFromGit(repo, {
      GITHUB_REF: 'refs/tags/v9.9.9',
      SOURCE_DATE_EPOCH: '86400',
      GITHUB_RUN_ID: '55',
      GITHUB_RUN_ATTEMPT: '3'
    });
    expect(context).toMatchObject({
      ref: 'refs/tags/v9.9.9',
      sha: shas.c4,
      sourceDateEpoch: new Date('1970-01-02T00:00:00Z'),
      runId: '55',
      runAttempt: '3'
    });
  });

  test('without a remote: the directory name, no address, default branch main', async () => {
    const bare = makeRepo();
    try {
      const sha = commit(bare, 'one', '2024-03-01T00:00:00Z');
      expect(await contextFromGit(bare, { GITHUB_RUN_ID: '1' })).toEqual({
        eventName: 'git',
        ref: 'refs/heads/main',
        sha,
        repo: { fullName: path.basename(bare), htmlUrl: '', defaultBranch: 'main' },
        commitDate: new Date('2024-03-01T00:00:00Z'),
        sourceDateEpoch: undefined,
        runId: '1',
        runAttempt: '1'
      });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  test('a directory that is not a git checkout is an error', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'context-nogit-'));
    try {
      await expect(contextFromGit(empty, {})).rejects.toThrow(`${empty} is not a git checkout with a commit`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('contextFromGitHub: a pull request from a fork', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'context-fork-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    { name: 'head in another repository', head: { full_name: 'mallory/app' }, fork: true },
    { name: 'head in the same repository', head: { full_name: 'octo/app' }, fork: false },
    { name: 'head repository deleted', head: null, fork: true },
    { name: 'payload without the head repository', head: undefined, fork: undefined }
  ])('$name → fork $fork', ({ head, fork }) => {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        pull_request: {
          number: 5,
          base: { ref: 'main', repo: { full_name: 'octo/app' } },
          head: { ref: 'fix', sha: SHA, ...(head === undefined ? {} : { repo: head }) }
        },
        repository: { full_name: 'octo/app', default_branch: 'main' }
      })
    );
    const context = contextFromGitHub(actionsEnv('pull_request', 'unused', { GITHUB_EVENT_PATH: file }));
    expect(context.pr?.fork).toBe(fork);
  });
});
