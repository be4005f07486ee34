import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contextFromGitHub } from '../../src/inputs/github.js';
import type { Context } from '../../src/plan/context.js';
import { SHA } from '../support/context.js';
import { commit, gitRunner, makeRepo } from '../support/git-repo.js';

const { run } = gitRunner();
const EVENTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'events');

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
        baseRef: 'main',
        commitDate: new Date('2024-02-01T10:00:00Z'),
        sourceDateEpoch: new Date('2023-11-14T22:13:20Z'),
        runId: '7001',
        runAttempt: '2'
      }
    },
    {
      name: 'pull request: GITHUB_SHA (the merge commit), PR branches, no description or licence',
      env: actionsEnv('pull_request', 'pull_request.json', {
        GITHUB_REF: 'refs/pull/12/merge',
        GITHUB_SHA: 'cccccccccccccccccccccccccccccccccccccccc'
      }),
      expected: {
        eventName: 'pull_request',
        ref: 'refs/pull/12/merge',
        sha: 'cccccccccccccccccccccccccccccccccccccccc',
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
      name: 'pull request with DOCKER_METADATA_PR_HEAD_SHA=true: the head commit',
      env: actionsEnv('pull_request', 'pull_request.json', {
        GITHUB_REF: 'refs/pull/12/merge',
        GITHUB_SHA: 'cccccccccccccccccccccccccccccccccccccccc',
        DOCKER_METADATA_PR_HEAD_SHA: 'true'
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
        sha: SHA,
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
  ])('$name', async ({ env, expected }) => {
    expect(await contextFromGitHub(env, run)).toEqual(expected);
  });

  test('an unreadable payload is an error naming the file', async () => {
    const env = actionsEnv('push', 'missing.json');
    await expect(contextFromGitHub(env, run)).rejects.toThrow(
      `cannot read the event payload GITHUB_EVENT_PATH=${path.join(EVENTS, 'missing.json')}`
    );
  });

  test('the commit date comes from the checkout when the payload has none', async () => {
    const repo = makeRepo();
    try {
      const sha = commit(repo, 'only', '2022-05-06T07:08:09Z');
      const context = await contextFromGitHub(
        actionsEnv('workflow_dispatch', 'workflow_dispatch.json', { GITHUB_SHA: sha, GITHUB_WORKSPACE: repo }),
        run
      );
      expect(context.commitDate).toEqual(new Date('2022-05-06T07:08:09Z'));
      // a commit the checkout lacks (shallow clone): no date rather than a wrong one
      expect(
        (
          await contextFromGitHub(
            actionsEnv('workflow_dispatch', 'workflow_dispatch.json', { GITHUB_WORKSPACE: repo }),
            run
          )
        ).commitDate
      ).toBeUndefined();
      // a pull request whose head commit is not fetched: the merge commit's date
      const pr = await contextFromGitHub(
        actionsEnv('pull_request', 'pull_request.json', {
          GITHUB_REF: 'refs/pull/12/merge',
          GITHUB_SHA: sha,
          GITHUB_WORKSPACE: repo,
          DOCKER_METADATA_PR_HEAD_SHA: 'true'
        }),
        run
      );
      expect(pr.sha).toBe('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
      expect(pr.commitDate).toEqual(new Date('2022-05-06T07:08:09Z'));
    } finally {
      rmSync(repo, { recursive: true, force: true });
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
  ])('$name → fork $fork', async ({ head, fork }) => {
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
    const context = await contextFromGitHub(actionsEnv('pull_request', 'unused', { GITHUB_EVENT_PATH: file }), run);
    expect(context.pr?.fork).toBe(fork);
  });
});
