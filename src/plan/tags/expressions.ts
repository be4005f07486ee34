import type { Context } from '../context.js';
import { DEFAULT_DATE_FORMAT, formatDate } from '../dates.js';
import type { Resolver } from './template.js';

/*
 * The expressions every template may use ({{branch}}, {{sha}}, {{date …}}, …): in tag rules, in the
 * flavor, and in labels and annotations.
 */

export const GLOBAL_EXPRESSIONS = [
  'branch',
  'tag',
  'sha',
  'base_ref',
  'is_default_branch',
  'is_not_default_branch',
  'date',
  'commit_date'
];
export const SHORT_SHA = 7;

/** `refs/heads/main` → `main` for kind `heads`; '' when the ref is of another kind. */
export function refName(ref: string, kind: 'heads' | 'tags'): string {
  const prefix = `refs/${kind}/`;
  return ref.startsWith(prefix) ? ref.slice(prefix.length) : '';
}

export function prNumber(context: Context): string {
  const fromRef = /^refs\/pull\/(\d+)\//.exec(context.ref);
  if (fromRef) return fromRef[1];
  return context.pr ? String(context.pr.number) : '';
}

// Events that always run on the default branch's last commit (as metadata-action).
const DEFAULT_BRANCH_EVENTS = /^(schedule|create|issues|issue_comment|discussion|discussion_comment)$/;

function isDefaultBranch(context: Context): boolean {
  const branch = refName(context.ref, 'heads');
  if (branch === '') return false;
  if (context.repo.defaultBranch !== undefined && branch === context.repo.defaultBranch) return true;
  return DEFAULT_BRANCH_EVENTS.test(context.eventName);
}

/** The build's clock: SOURCE_DATE_EPOCH when set, as reproducible builds expect; else `now`. */
export function buildDate(context: Context, now: Date): Date {
  return context.sourceDateEpoch ?? now;
}

/** The commit's time (SOURCE_DATE_EPOCH wins), falling back to `now` when unknown. */
export function commitDate(context: Context, now: Date): Date {
  return context.sourceDateEpoch ?? context.commitDate ?? now;
}

export function globalResolver(context: Context, now: Date): Resolver {
  return (e) => {
    switch (e.name) {
      case 'branch':
        return refName(context.ref, 'heads');
      case 'tag':
        return refName(context.ref, 'tags');
      case 'sha':
        return context.sha.slice(0, SHORT_SHA);
      case 'base_ref':
        // A tag push knows its branch only from the payload's base_ref (as metadata-action reads it).
        if (refName(context.ref, 'tags') !== '' && context.baseRef) return context.baseRef;
        return context.pr?.baseRef ?? '';
      case 'is_default_branch':
        return String(isDefaultBranch(context));
      case 'is_not_default_branch':
        return String(!isDefaultBranch(context));
      case 'date':
        return formatDate(buildDate(context, now), e.args[0] ?? DEFAULT_DATE_FORMAT, e.hash.tz ?? 'UTC');
      case 'commit_date':
        return formatDate(commitDate(context, now), e.args[0] ?? DEFAULT_DATE_FORMAT, e.hash.tz ?? 'UTC');
      default:
        throw new Error(`unknown expression {{${e.name}}}`);
    }
  };
}
