/** The one Context builder of the unit tests: a push to main of octo/app, with any field overridden. */
import type { Context } from '../../src/plan/context.js';

export const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';

export function context(over: Partial<Context> = {}): Context {
  return {
    eventName: 'push',
    ref: 'refs/heads/main',
    sha: SHA,
    repo: { fullName: 'octo/app', htmlUrl: 'https://github.com/octo/app', defaultBranch: 'main' },
    runId: '7001',
    runAttempt: '1',
    ...over
  };
}
