import { ciContext } from '../../src/inputs/ci.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('ciContext: each CI, its branch, tag and merge request builds', () => {
  test.each([
    {
      name: 'GitLab branch pipeline',
      env: {
        GITLAB_CI: 'true',
        CI_COMMIT_SHA: SHA,
        CI_COMMIT_BRANCH: 'feature/x',
        CI_COMMIT_REF_NAME: 'feature/x',
        CI_DEFAULT_BRANCH: 'trunk',
        CI_COMMIT_TIMESTAMP: '2026-11-30T10:00:00+01:00',
        CI_PIPELINE_ID: '9001',
        CI_PROJECT_PATH: 'group/sub/app',
        CI_PROJECT_URL: 'https://gitlab.example.com/group/sub/app',
        CI_REGISTRY_IMAGE: 'registry.example.com/group/sub/app',
        CI_PIPELINE_SOURCE: 'push'
      },
      expected: {
        name: 'GitLab CI',
        eventName: 'push',
        ref: 'refs/heads/feature/x',
        sha: SHA,
        defaultBranch: 'trunk',
        commitDate: new Date('2026-11-30T09:00:00Z'),
        runId: '9001',
        fullName: 'group/sub/app',
        htmlUrl: 'https://gitlab.example.com/group/sub/app',
        image: 'registry.example.com/group/sub/app'
      }
    },
    {
      name: 'GitLab tag pipeline (CI_COMMIT_REF_NAME is the tag; no branch)',
      env: {
        GITLAB_CI: 'true',
        CI_COMMIT_SHA: SHA,
        CI_COMMIT_TAG: 'v1.2.3',
        CI_COMMIT_REF_NAME: 'v1.2.3',
        CI_PIPELINE_ID: '7'
      },
      expected: { name: 'GitLab CI', eventName: 'push', ref: 'refs/tags/v1.2.3', sha: SHA, runId: '7' }
    },
    {
      name: 'GitLab merge request pipeline: the IID, not the instance-wide id; a fork by project ids',
      env: {
        GITLAB_CI: 'true',
        CI_COMMIT_SHA: SHA,
        CI_MERGE_REQUEST_IID: '42',
        CI_MERGE_REQUEST_ID: '938271',
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'fix',
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
        CI_MERGE_REQUEST_SOURCE_PROJECT_ID: '5',
        CI_MERGE_REQUEST_PROJECT_ID: '4',
        CI_PIPELINE_ID: '8'
      },
      expected: {
        name: 'GitLab CI',
        eventName: 'pull_request',
        ref: 'refs/pull/42/merge',
        pr: { number: 42, baseRef: 'main', headRef: 'fix', fork: true },
        sha: SHA,
        runId: '8'
      }
    },
    {
      name: 'GitLab scheduled pipeline',
      env: { GITLAB_CI: 'true', CI_COMMIT_BRANCH: 'main', CI_PIPELINE_SOURCE: 'schedule' },
      expected: { name: 'GitLab CI', eventName: 'schedule', ref: 'refs/heads/main' }
    },
    {
      name: 'Buildkite branch build (BUILDKITE_PULL_REQUEST=false; a sha of HEAD is not a sha)',
      env: {
        BUILDKITE: 'true',
        BUILDKITE_BRANCH: 'main',
        BUILDKITE_COMMIT: 'HEAD',
        BUILDKITE_PULL_REQUEST: 'false',
        BUILDKITE_BUILD_NUMBER: '311',
        BUILDKITE_PIPELINE_DEFAULT_BRANCH: 'main',
        BUILDKITE_REPO: 'git@github.com:acme/app.git'
      },
      expected: {
        name: 'Buildkite',
        eventName: 'push',
        ref: 'refs/heads/main',
        defaultBranch: 'main',
        runId: '311',
        htmlUrl: 'git@github.com:acme/app.git'
      }
    },
    {
      name: 'Buildkite tag build',
      env: { BUILDKITE: 'true', BUILDKITE_TAG: 'v2.0.0', BUILDKITE_BRANCH: 'v2.0.0', BUILDKITE_COMMIT: SHA },
      expected: { name: 'Buildkite', eventName: 'push', ref: 'refs/tags/v2.0.0', sha: SHA }
    },
    {
      name: 'Buildkite pull request build',
      env: {
        BUILDKITE: 'true',
        BUILDKITE_BRANCH: 'fix',
        BUILDKITE_PULL_REQUEST: '17',
        BUILDKITE_PULL_REQUEST_BASE_BRANCH: 'main',
        BUILDKITE_BUILD_NUMBER: '12'
      },
      expected: {
        name: 'Buildkite',
        eventName: 'pull_request',
        ref: 'refs/pull/17/merge',
        pr: { number: 17, baseRef: 'main', headRef: 'fix' },
        runId: '12'
      }
    },
    {
      name: 'Woodpecker push',
      env: {
        CI: 'woodpecker',
        CI_PIPELINE_EVENT: 'push',
        CI_COMMIT_BRANCH: 'main',
        CI_COMMIT_SHA: SHA,
        CI_PIPELINE_NUMBER: '66',
        CI_REPO: 'acme/app',
        CI_REPO_URL: 'https://codeberg.org/acme/app',
        CI_REPO_DEFAULT_BRANCH: 'main'
      },
      expected: {
        name: 'Woodpecker',
        eventName: 'push',
        ref: 'refs/heads/main',
        sha: SHA,
        runId: '66',
        fullName: 'acme/app',
        htmlUrl: 'https://codeberg.org/acme/app',
        defaultBranch: 'main'
      }
    },
    {
      name: 'Woodpecker tag',
      env: { CI: 'woodpecker', CI_PIPELINE_EVENT: 'tag', CI_COMMIT_TAG: 'v3.1.0', CI_PIPELINE_NUMBER: '67' },
      expected: { name: 'Woodpecker', eventName: 'push', ref: 'refs/tags/v3.1.0', runId: '67' }
    },
    {
      name: 'Woodpecker pull request',
      env: {
        CI: 'woodpecker',
        CI_PIPELINE_EVENT: 'pull_request',
        CI_COMMIT_PULL_REQUEST: '5',
        CI_COMMIT_SOURCE_BRANCH: 'fix',
        CI_COMMIT_TARGET_BRANCH: 'main',
        CI_COMMIT_BRANCH: 'main'
      },
      expected: {
        name: 'Woodpecker',
        eventName: 'pull_request',
        ref: 'refs/pull/5/merge',
        pr: { number: 5, baseRef: 'main', headRef: 'fix' }
      }
    },
    {
      name: 'Woodpecker cron',
      env: { CI: 'woodpecker', CI_PIPELINE_EVENT: 'cron', CI_COMMIT_BRANCH: 'main' },
      expected: { name: 'Woodpecker', eventName: 'schedule', ref: 'refs/heads/main' }
    },
    {
      name: 'Drone push',
      env: {
        DRONE: 'true',
        DRONE_BUILD_EVENT: 'push',
        DRONE_BRANCH: 'main',
        DRONE_COMMIT_SHA: SHA,
        DRONE_BUILD_NUMBER: '120',
        DRONE_REPO: 'acme/app',
        DRONE_REPO_BRANCH: 'main',
        DRONE_REPO_LINK: 'https://github.com/acme/app'
      },
      expected: {
        name: 'Drone',
        eventName: 'push',
        ref: 'refs/heads/main',
        sha: SHA,
        runId: '120',
        fullName: 'acme/app',
        defaultBranch: 'main',
        htmlUrl: 'https://github.com/acme/app'
      }
    },
    {
      name: 'Drone tag',
      env: { DRONE: 'true', DRONE_BUILD_EVENT: 'tag', DRONE_TAG: 'v1.0.0', DRONE_BRANCH: 'main', DRONE_COMMIT: SHA },
      expected: { name: 'Drone', eventName: 'push', ref: 'refs/tags/v1.0.0', sha: SHA }
    },
    {
      name: 'Drone pull request',
      env: {
        DRONE: 'true',
        DRONE_BUILD_EVENT: 'pull_request',
        DRONE_PULL_REQUEST: '9',
        DRONE_SOURCE_BRANCH: 'fix',
        DRONE_TARGET_BRANCH: 'main'
      },
      expected: {
        name: 'Drone',
        eventName: 'pull_request',
        ref: 'refs/pull/9/merge',
        pr: { number: 9, baseRef: 'main', headRef: 'fix' }
      }
    },
    {
      name: 'Jenkins multibranch branch',
      env: { JENKINS_URL: 'https://ci.example.com/', BRANCH_NAME: 'main', GIT_COMMIT: SHA, BUILD_NUMBER: '4' },
      expected: { name: 'Jenkins', eventName: 'push', ref: 'refs/heads/main', sha: SHA, runId: '4' }
    },
    {
      name: 'Jenkins tag (BRANCH_NAME is the tag too: TAG_NAME decides)',
      env: { JENKINS_URL: 'https://ci.example.com/', BRANCH_NAME: 'v1.4.0', TAG_NAME: 'v1.4.0', BUILD_NUMBER: '5' },
      expected: { name: 'Jenkins', eventName: 'push', ref: 'refs/tags/v1.4.0', runId: '5' }
    },
    {
      name: 'Jenkins change request',
      env: {
        JENKINS_URL: 'https://ci.example.com/',
        BRANCH_NAME: 'PR-21',
        CHANGE_ID: '21',
        CHANGE_TARGET: 'main',
        CHANGE_BRANCH: 'fix',
        BUILD_NUMBER: '6'
      },
      expected: {
        name: 'Jenkins',
        eventName: 'pull_request',
        ref: 'refs/pull/21/merge',
        pr: { number: 21, baseRef: 'main', headRef: 'fix' },
        runId: '6'
      }
    },
    {
      name: 'Jenkins freestyle job: the branch from GIT_BRANCH without origin/',
      env: { JENKINS_HOME: '/var/jenkins_home', GIT_BRANCH: 'origin/release', BUILD_NUMBER: '3' },
      expected: { name: 'Jenkins', eventName: 'push', ref: 'refs/heads/release', runId: '3' }
    }
  ])('$name', ({ env, expected }) => {
    expect(ciContext(env)).toEqual(expected);
  });

  test.each([
    { name: 'no CI at all', env: {} },
    { name: 'CI=true alone names no CI', env: { CI: 'true' } },
    { name: 'an empty GITLAB_CI', env: { GITLAB_CI: '' } }
  ])('$name: undefined', ({ env }) => {
    expect(ciContext(env)).toBeUndefined();
  });

  test('a CI that gives no ref leaves the ref to git', () => {
    expect(ciContext({ GITLAB_CI: 'true', CI_PIPELINE_ID: '1' })).toEqual({
      name: 'GitLab CI',
      eventName: 'push',
      runId: '1'
    });
  });

  test('an unreadable commit time is left out, not invented', () => {
    expect(ciContext({ GITLAB_CI: 'true', CI_COMMIT_TIMESTAMP: 'yesterday' })?.commitDate).toBeUndefined();
  });
});
