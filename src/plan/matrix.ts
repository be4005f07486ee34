import type { Context } from './context.js';
import { InputError } from './errors.js';
import type { Platform } from './platforms.js';
import { safeTag } from './image.js';

/*
 * The hand-off between matrix legs and the merge job goes through the registry itself: each leg
 * tags its by-digest push with a name made of the commit, the run and the platform, so the merge
 * finds every leg from the image name alone, and two runs (of one commit or of two) never mix.
 */

export function platformSlug(platforms: Platform[]): string {
  return platforms.map((p) => p.id.replace(/\//g, '-')).join('_');
}

/** `leg-<sha7>-<run>-<platform>`: where a leg leaves its result for the merge. */
export function legTag(context: Context, runId: string, platforms: Platform[]): string {
  return safeTag(`leg-${context.sha.slice(0, 7)}-${runId}-${platformSlug(platforms)}`);
}

/** Explicit `digests` (image@sha256:… or a bare sha256:…, which means the first image). */
export function parseDigestRefs(items: string[], image: string): string[] {
  return items.map((item) => {
    if (/^sha256:[0-9a-f]{64}$/.test(item)) return `${image}@${item}`;
    if (/^[^@\s]+@sha256:[0-9a-f]{64}$/.test(item)) return item;
    throw new InputError('digests', item, 'image@sha256:<64 hex> or sha256:<64 hex> references, one a line');
  });
}

export interface CacheScope {
  /** Tag the build writes its cache to (and reads first). */
  write: string;
  /** Tags read but never written: the default branch's cache, for a branch or pull request. */
  readOnly: string[];
}

/**
 * The GitHub Actions cache scope of a build: the cache tag, and a leg's or per-platform build's
 * platform. Branches need no part of it: the service keeps each ref's entries apart itself.
 */
export function ghaScope(tag: string, leg: Platform[] | undefined): string {
  return safeTag(leg ? `${tag}-${platformSlug(leg)}` : tag);
}

/**
 * Which cache tags a build reads and writes. The default branch and releases write `<tag>`;
 * another branch or a pull request writes its own `<tag>-<branch>` and reads the default
 * branch's as a fallback, so it never evicts it. A matrix leg adds its platform, so legs never
 * overwrite each other's cache.
 */
export function cacheScope(context: Context, tag: string, leg: Platform[] | undefined): CacheScope {
  const legPart = leg ? `-${platformSlug(leg)}` : '';
  const base = safeTag(`${tag}${legPart}`);
  const branch = /^refs\/heads\/(.+)$/.exec(context.ref)?.[1];
  const pr = /^refs\/pull\/(\d+)\//.exec(context.ref)?.[1];
  const onDefault = branch !== undefined && branch === (context.repo.defaultBranch ?? 'main');
  if (context.ref.startsWith('refs/tags/') || onDefault || (!branch && !pr)) return { write: base, readOnly: [] };
  const scope = pr ? `pr-${pr}` : branch!;
  return { write: safeTag(`${base}-${scope}`), readOnly: [base] };
}
