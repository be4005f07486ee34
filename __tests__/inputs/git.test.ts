import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { contextFromGit, parseSourceDateEpoch, remoteToHttps } from '../../src/inputs/git.js';
import { InputError } from '../../src/plan/errors.js';
import { commit, git, gitRunner, makeRepo } from '../support/git-repo.js';

const { run } = gitRunner();

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
      name: 'on main, a tag at HEAD: the branch and the tag (a push to main and the tag push together)',
      checkout: ['main'],
      at: 'c4',
      ref: 'refs/heads/main',
      extraRefs: ['refs/tags/v2.0.1'],
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
      name: 'detached at main tip, which is tagged: the tag and the branch',
      checkout: ['--detach', 'main'],
      at: 'c4',
      ref: 'refs/tags/v2.0.1',
      extraRefs: ['refs/heads/main'],
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
  ])('$name', async ({ checkout, at, ref, extraRefs, date }) => {
    // `@cN` names a commit of the fixture by its sha
    git(repo, ['checkout', '-q', ...checkout.map((arg) => (arg.startsWith('@') ? shas[arg.slice(1)] : arg))]);
    const context = await contextFromGit(repo, {}, run);
    expect(context).toEqual({
      eventName: 'git',
      ref,
      ...(extraRefs ? { extraRefs } : {}),
      sha: shas[at],
      repo: { fullName: 'Octo/App', htmlUrl: 'https://github.com/Octo/App', defaultBranch: 'trunk' },
      commitDate: new Date(date),
      sourceDateEpoch: undefined,
      runId: expect.stringMatching(/^local-[0-9a-z]+$/),
      runAttempt: '1',
      dirty: false
    });
  });

  test('GITHUB_REF, SOURCE_DATE_EPOCH and the run ids from the environment win', async () => {
    git(repo, ['checkout', '-q', 'main']);
    const context = await contextFromGit(
      repo,
      { GITHUB_REF: 'refs/tags/v9.9.9', SOURCE_DATE_EPOCH: '86400', GITHUB_RUN_ID: '55', GITHUB_RUN_ATTEMPT: '3' },
      run
    );
    expect(context).toMatchObject({
      ref: 'refs/tags/v9.9.9',
      sha: shas.c4,
      sourceDateEpoch: new Date('1970-01-02T00:00:00Z'),
      runId: '55',
      runAttempt: '3'
    });
  });

  test('another CI: a detached checkout takes the ref, commit, run id and repository from its variables', async () => {
    git(repo, ['checkout', '-q', '--detach', shas.c6]);
    const context = await contextFromGit(
      repo,
      {
        GITLAB_CI: 'true',
        CI_COMMIT_SHA: shas.c6,
        CI_MERGE_REQUEST_IID: '42',
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'fix',
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
        CI_DEFAULT_BRANCH: 'main',
        CI_PIPELINE_ID: '9001',
        CI_PROJECT_PATH: 'group/app',
        CI_PROJECT_URL: 'https://gitlab.example.com/group/app'
      },
      run
    );
    expect(context).toMatchObject({
      eventName: 'pull_request',
      ref: 'refs/pull/42/merge',
      pr: { number: 42, baseRef: 'main', headRef: 'fix' },
      sha: shas.c6,
      runId: '9001',
      ci: 'GitLab CI',
      repo: { fullName: 'group/app', htmlUrl: 'https://gitlab.example.com/group/app', defaultBranch: 'main' },
      commitDate: new Date('2024-01-06T00:00:00Z')
    });
    expect(context.extraRefs).toBeUndefined();
  });

  test('another CI that names no branch: git finds it, the CI still gives the run id', async () => {
    git(repo, ['checkout', '-q', '--detach', 'v1.2.3']);
    const context = await contextFromGit(repo, { JENKINS_URL: 'https://ci.example.com/', BUILD_NUMBER: '77' }, run);
    expect(context).toMatchObject({
      eventName: 'push',
      ref: 'refs/tags/v1.2.3',
      sha: shas.c1,
      runId: '77',
      ci: 'Jenkins',
      repo: { fullName: 'Octo/App', defaultBranch: 'trunk' }
    });
  });

  test('without a remote: the directory name, no address, default branch main', async () => {
    const bare = makeRepo();
    try {
      const sha = commit(bare, 'one', '2024-03-01T00:00:00Z');
      expect(await contextFromGit(bare, { GITHUB_RUN_ID: '1' }, run)).toEqual({
        eventName: 'git',
        ref: 'refs/heads/main',
        sha,
        repo: { fullName: path.basename(bare), htmlUrl: '', defaultBranch: 'main' },
        commitDate: new Date('2024-03-01T00:00:00Z'),
        sourceDateEpoch: undefined,
        runId: '1',
        runAttempt: '1',
        dirty: false
      });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  test('a directory that is not a git checkout (a source tarball): no ref, no commit, no error', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'context-nogit-'));
    try {
      const got = await contextFromGit(empty, {}, run);
      expect([got.eventName, got.ref, got.sha, got.repo.fullName, got.noGit]).toEqual([
        'git',
        '',
        '',
        path.basename(empty),
        true
      ]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('without git, --ref and --revision give the ref and the commit', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'context-nogit-'));
    try {
      const got = await contextFromGit(empty, {}, run, { ref: 'refs/tags/v2.0.1', revision: 'abcdef1234567' });
      expect([got.ref, got.sha]).toEqual(['refs/tags/v2.0.1', 'abcdef1234567']);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('without git, a CI’s variables give them (GitLab: CI_COMMIT_TAG, CI_COMMIT_SHA, the project)', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'context-nogit-'));
    const sha = 'c'.repeat(40);
    try {
      const got = await contextFromGit(
        empty,
        {
          GITLAB_CI: 'true',
          CI_COMMIT_TAG: 'v3.1.0',
          CI_COMMIT_SHA: sha,
          CI_PIPELINE_ID: '991',
          CI_PROJECT_PATH: 'group/app',
          CI_PROJECT_URL: 'https://gitlab.example.com/group/app'
        },
        run
      );
      expect([got.ref, got.sha, got.runId, got.repo.fullName, got.repo.htmlUrl, got.ci]).toEqual([
        'refs/tags/v3.1.0',
        sha,
        '991',
        'group/app',
        'https://gitlab.example.com/group/app',
        'GitLab CI'
      ]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('in a checkout, --ref and --revision win over what git says', async () => {
    const repo = makeRepo();
    writeFileSync(path.join(repo, 'file.txt'), 'one\n');
    git(repo, ['add', 'file.txt']);
    commit(repo, 'one', '2024-01-01T00:00:00Z');
    try {
      const got = await contextFromGit(repo, {}, run, { ref: 'refs/heads/release', revision: 'd'.repeat(40) });
      expect([got.ref, got.sha, got.noGit]).toEqual(['refs/heads/release', 'd'.repeat(40), undefined]);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  test.each([
    { name: 'a changed tracked file', change: (dir: string) => writeFileSync(path.join(dir, 'file.txt'), 'edited\n') },
    { name: 'a new untracked file', change: (dir: string) => writeFileSync(path.join(dir, 'new.txt'), 'new\n') },
    {
      name: 'a staged change',
      change: (dir: string) => {
        writeFileSync(path.join(dir, 'file.txt'), 'staged\n');
        git(dir, ['add', 'file.txt']);
      }
    }
  ])('dirty with $name', async ({ change }) => {
    const dir = makeRepo();
    try {
      commit(dir, 'one', '2024-03-01T00:00:00Z');
      expect((await contextFromGit(dir, {}, run)).dirty).toBe(false);
      change(dir);
      expect((await contextFromGit(dir, {}, run)).dirty).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('git runs through the injected runner, quietly', async () => {
    const dir = makeRepo();
    const seen = gitRunner();
    try {
      commit(dir, 'one', '2024-03-01T00:00:00Z');
      await contextFromGit(dir, {}, seen.run);
      expect(seen.lines.filter((line) => !line.startsWith(`[command] git -C ${dir} `))).toEqual([]);
      expect(seen.lines.map((line) => line.split(' ')[4])).toEqual([
        'rev-parse',
        'symbolic-ref',
        'tag',
        'for-each-ref',
        'config',
        'symbolic-ref',
        'log',
        'status'
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
