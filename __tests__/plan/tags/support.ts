import type { Context } from '../../../src/plan/context.js';
import { computeTags, type TagResult } from '../../../src/plan/tags/compute.js';
import { parseFlavor } from '../../../src/plan/tags/flavor.js';
import { parseTagRules } from '../../../src/plan/tags/rules.js';

/* The context and the one-call helper the tag tests share. */

export const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
export const NOW = new Date('2024-03-05T14:07:09.042Z');

export function context(over: Partial<Context> = {}): Context {
  return {
    eventName: 'push',
    ref: 'refs/heads/main',
    sha: SHA,
    repo: { fullName: 'octo/app', htmlUrl: 'https://github.com/octo/app', defaultBranch: 'main' },
    runId: '42',
    runAttempt: '1',
    ...over
  };
}

export function run(ctx: Context, tags = '', flavor = '', images: string[] = []): TagResult {
  return computeTags({ images, rules: parseTagRules(tags), flavor: parseFlavor(flavor), context: ctx, now: NOW });
}
