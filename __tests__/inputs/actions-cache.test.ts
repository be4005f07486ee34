import { readActionsCacheAccess } from '../../src/inputs/actions-cache.js';

/** A runtime token as the runner's is shaped: only its claims matter here, it is never verified. */
function token(ac: Array<{ Scope: string; Permission: number }> | string | undefined): string {
  const claims = ac === undefined ? {} : { ac: typeof ac === 'string' ? ac : JSON.stringify(ac) };
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part(claims)}.c2ln`;
}

const URL = { ACTIONS_RESULTS_URL: 'https://results-receiver.actions.githubusercontent.com/' };
const MAIN_RW = [{ Scope: 'refs/heads/main', Permission: 3 }];
const MAIN_R = [{ Scope: 'refs/heads/main', Permission: 1 }];
const PR = [
  { Scope: 'refs/pull/7/merge', Permission: 3 },
  { Scope: 'refs/heads/main', Permission: 1 }
];

describe('readActionsCacheAccess', () => {
  test.each([
    {
      name: 'a push with a read-write token: read and write, nothing to say',
      env: { ...URL, ACTIONS_RUNTIME_TOKEN: token(MAIN_RW) },
      event: 'push',
      expected: { read: true, write: true, scopes: ['refs/heads/main (read+write)'] }
    },
    {
      name: 'a pull request: writes its own ref, reads main',
      env: { ...URL, ACTIONS_RUNTIME_TOKEN: token(PR) },
      event: 'pull_request',
      expected: { read: true, write: true, scopes: ['refs/pull/7/merge (read+write)', 'refs/heads/main (read)'] }
    },
    {
      name: 'a read-only token on a push: read only, and the fix is the permission',
      env: { ...URL, ACTIONS_RUNTIME_TOKEN: token(MAIN_R) },
      event: 'push',
      expected: {
        read: true,
        write: false,
        scopes: ['refs/heads/main (read)'],
        note: "cache: gha: read only, no cache-to: this job's token may not write to the Actions cache (refs/heads/main (read)); grant the job `permissions: actions: write` to let it write"
      }
    },
    {
      name: 'a read-only token on an untrusted trigger: read only, and why',
      env: { ...URL, ACTIONS_RUNTIME_TOKEN: token(MAIN_R) },
      event: 'pull_request_target',
      expected: {
        read: true,
        write: false,
        scopes: ['refs/heads/main (read)'],
        note: "cache: gha: read only, no cache-to: this job's token may not write to the Actions cache (refs/heads/main (read)); the pull_request_target trigger is untrusted, so GitHub gives it a read-only cache token; runs of trusted events (a push to the default branch) fill the cache it reads"
      }
    },
    {
      name: 'the runner says read: read only, whatever the token',
      env: { ...URL, ACTIONS_RUNTIME_TOKEN: token(MAIN_RW), ACTIONS_CACHE_MODE: 'read' },
      event: 'workflow_run',
      expected: {
        read: true,
        write: false,
        scopes: ['refs/heads/main (read+write)'],
        note: "cache: gha: read only, no cache-to: this job's token may not write to the Actions cache (refs/heads/main (read+write); ACTIONS_CACHE_MODE=read); the workflow_run trigger is untrusted, so GitHub gives it a read-only cache token; runs of trusted events (a push to the default branch) fill the cache it reads"
      }
    },
    {
      name: 'outside Actions: no token, said',
      env: {},
      event: 'git',
      expected: {
        read: false,
        write: false,
        scopes: [],
        note: 'cache: gha: no GitHub Actions cache here (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are set only in a GitHub Actions job); building without a cache'
      }
    },
    {
      name: 'a token without an ac claim',
      env: { ...URL, ACTIONS_RUNTIME_TOKEN: token(undefined) },
      event: 'push',
      expected: {
        read: false,
        write: false,
        scopes: [],
        note: 'cache: gha: the Actions runtime token carries no readable cache scopes (its ac claim); building without a cache'
      }
    },
    {
      name: 'not a JWT at all',
      env: { ...URL, ACTIONS_RUNTIME_TOKEN: 'opaque' },
      event: 'push',
      expected: {
        read: false,
        write: false,
        scopes: [],
        note: 'cache: gha: the Actions runtime token carries no readable cache scopes (its ac claim); building without a cache'
      }
    }
  ])('$name', ({ env, event, expected }) => {
    expect(readActionsCacheAccess(env, event)).toEqual(expected);
  });
});
