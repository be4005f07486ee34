/**
 * Registry cache refs. One ref on the first image by default (`<image>:buildcache`), `mode=max` so
 * every stage of every platform is kept, read and written. Explicit cache-from / cache-to
 * replace it. Export errors are ignored by BuildKit (and reported by us as warnings) so an
 * unwritable cache never fails a build that itself succeeded.
 */
export interface CachePlan {
  from: string[];
  to: string[];
  /** The registry refs involved, for the summary. */
  refs: string[];
}

/** Whether the registry cache is read and whether it is written: two decisions, not one. */
export interface CacheUse {
  read: boolean;
  write: boolean;
}

export interface CacheOptions extends CacheUse {
  image: string | undefined;
  tag: string;
  cacheFrom: string[];
  cacheTo: string[];
  /** Extra tags read but never written (e.g. the default branch's cache for a branch build). */
  readOnlyTags?: string[];
}

/**
 * The `cache` input as two decisions. `auto` reads whenever there is an image to hold the cache
 * (a pull request that does not push still starts from the default branch's layers) and writes
 * only where it can: when pushing, and not from a fork's pull request, whose token cannot write
 * to the repository's packages.
 */
export function cacheUse(
  setting: 'auto' | 'gha' | boolean,
  where: { image: boolean; push: boolean; forkPullRequest: boolean }
): CacheUse {
  if (!where.image || setting === false || setting === 'gha') return { read: false, write: false };
  if (setting === true) return { read: true, write: true };
  return { read: true, write: where.push && !where.forkPullRequest };
}

export function planCache(options: CacheOptions): CachePlan {
  if (options.cacheFrom.length > 0 || options.cacheTo.length > 0) {
    const from = options.cacheFrom.map((spec) => (spec.includes('=') ? spec : `type=registry,ref=${spec}`));
    const to = options.cacheTo.map(ignoreErrors);
    const refs = [...from, ...to].map(refOf).filter((r): r is string => !!r);
    return { from, to, refs: [...new Set(refs)] };
  }
  if ((!options.read && !options.write) || !options.image) return { from: [], to: [], refs: [] };
  const ref = `${options.image}:${options.tag}`;
  const readOnly = (options.readOnlyTags ?? []).map((t) => `${options.image}:${t}`);
  // A scope this build does not write (a pull request that does not push) is read only when there
  // is nothing else to read: nothing may ever have written it, and a missing cache warns.
  const read = !options.read ? [] : options.write || readOnly.length === 0 ? [ref, ...readOnly] : readOnly;
  const from = read.map((r) => `type=registry,ref=${r}`);
  // image-manifest + oci-mediatypes: registries that reject the older cache manifest list (ECR among them) accept this.
  const to = options.write
    ? [`type=registry,ref=${ref},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true`]
    : [];
  return { from, to, refs: [...new Set([...(options.write ? [ref] : []), ...read])] };
}

function refOf(spec: string): string | undefined {
  const m = /(?:^|,)ref=([^,]+)/.exec(spec);
  return m?.[1];
}

/** A cache export that fails must warn, not fail the build: add ignore-error unless the user chose. */
function ignoreErrors(spec: string): string {
  const full = spec.includes('=') ? spec : `type=registry,ref=${spec}`;
  if (/(^|,)ignore-error=/.test(full) || /(^|,)type=inline\b/.test(full)) return full;
  return `${full},ignore-error=true`;
}

/**
 * What the job's Actions cache token allows, read from it before the build (inputs/actions-cache.ts):
 * the runtime token is a JWT whose `ac` claim lists each cache scope with its permission.
 */
export interface ActionsCacheAccess {
  read: boolean;
  write: boolean;
  /** The token's scopes as `ref (read|write)`, for the log. */
  scopes: string[];
  /** The one info line that says why the cache is read only or off, and what fixes it. */
  note?: string;
}

/**
 * `cache: gha`: buildx's `type=gha` on the v2 service (`version=2`; buildx takes the URL and the
 * token from ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN, so neither is on a command line). The
 * service keeps each ref's entries apart and lets a pull request read its base branch's, so
 * the scope only separates platforms: one per matrix leg and per-platform build, as the registry
 * cache's refs do.
 */
export function planGhaCache(access: ActionsCacheAccess | undefined, scope: string): CachePlan {
  if (!access?.read && !access?.write) return { from: [], to: [], refs: [] };
  const from = access.read ? [`type=gha,scope=${scope},version=2`] : [];
  const to = access.write ? [`type=gha,scope=${scope},mode=max,version=2,ignore-error=true`] : [];
  return { from, to, refs: [`gha:${scope}${access.write ? '' : ' (read only)'}`] };
}
