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

export interface CacheOptions {
  enabled: boolean;
  image: string | undefined;
  tag: string;
  cacheFrom: string[];
  cacheTo: string[];
  /** Extra tags read but never written (e.g. the default branch's cache for a branch build). */
  readOnlyTags?: string[];
}

export function planCache(options: CacheOptions): CachePlan {
  if (options.cacheFrom.length > 0 || options.cacheTo.length > 0) {
    const from = options.cacheFrom.map((spec) => (spec.includes('=') ? spec : `type=registry,ref=${spec}`));
    const to = options.cacheTo.map(ignoreErrors);
    const refs = [...from, ...to].map(refOf).filter((r): r is string => !!r);
    return { from, to, refs: [...new Set(refs)] };
  }
  if (!options.enabled || !options.image) return { from: [], to: [], refs: [] };
  const ref = `${options.image}:${options.tag}`;
  const readOnly = (options.readOnlyTags ?? []).map((t) => `${options.image}:${t}`);
  const from = [`type=registry,ref=${ref}`, ...readOnly.map((r) => `type=registry,ref=${r}`)];
  // image-manifest + oci-mediatypes: registries that reject the older cache manifest list (ECR among them) accept this.
  const to = [`type=registry,ref=${ref},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true`];
  return { from, to, refs: [ref, ...readOnly] };
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
