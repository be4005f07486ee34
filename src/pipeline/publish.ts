import type { Runner } from '../ports.js';
import { getRequest, publishedRefs, putRequest, withoutHeld, type PublishStep } from '../plan/steps.js';
import { holdBackFloating, type HeldTag } from '../plan/tags/hold-back.js';
import type { TagResult } from '../plan/tags/compute.js';
import type { Buildx } from '../tools/buildx/handle.js';
import * as imagetools from '../tools/buildx/imagetools.js';
import { withRetry } from '../tools/retry.js';
import { getManifest, putTag, RegistryRefused, requestRetry, type RegistryOptions } from '../tools/registry/client.js';

export interface Published {
  digest: string;
  platformDigests: Record<string, string>;
  /** The refs that moved. */
  refs: string[];
  /** Every manifest the published index lists (platform images and attestations). */
  children: string[];
  held: HeldTag[];
}

type Index = { manifest: imagetools.Manifest; digest: string; raw: string };

/**
 * Runs a publish step: reads the one source (one request) and the floating tags, drops the
 * floating tags that would move backwards, then moves the rest, tags last. The outputs describe
 * what the registry now holds.
 */
export async function publish(
  bx: Buildx,
  planned: PublishStep,
  tags: TagResult,
  sources: string[],
  registry: RegistryOptions,
  platforms: string[]
): Promise<Published> {
  const [source, held] = await Promise.all([
    planned.source === 'build' ? readSource(bx, planned.builder, sources[0], registry) : undefined,
    heldBack(bx, planned, tags)
  ]);
  const step = withoutHeld(
    planned,
    held.map((h) => h.tag)
  );
  await moveTags(bx, step, sources, source, registry);
  const refs = publishedRefs(step);
  const index = source ?? (refs.length > 0 ? await imagetools.inspectRaw(bx, step.builder, refs[0]) : undefined);
  if (!index) throw new Error(`${refs[0] ?? sources[0]} is not in the registry after publishing`);
  const platformDigests = index.manifest.manifests
    ? imagetools.platformDigests(index.manifest)
    : { [platforms[0]]: index.digest };
  await movePlatformTags(bx, step, platformDigests, registry);
  for (const ref of refs) bx.log.info(`${ref} → ${index.digest}`);
  const children = (index.manifest.manifests ?? []).map((m) => m.digest);
  return { digest: index.digest, platformDigests, refs, held, children };
}

/** The floating tags (latest, 1, 1.2) that would move backwards: they stay where they are. */
async function heldBack(bx: Buildx, step: PublishStep, tags: TagResult): Promise<HeldTag[]> {
  if (step.floating.length === 0) return [];
  const versions = await Promise.all(step.floating.map((f) => imagetools.publishedVersion(bx, step.builder, f.ref)));
  const current = new Map(step.floating.map((f, i) => [f.tag, versions[i]]));
  const { held } = holdBackFloating(tags, current);
  for (const h of held) bx.log.warning(`${h.tag} not moved: ${heldReason(h)}`);
  return held;
}

function heldReason(h: HeldTag): string {
  return h.reason === 'prerelease' ? `${h.ours} is a pre-release` : `it points to ${h.current}, newer than ${h.ours}`;
}

/**
 * The index the build pushed, read by one GET of its digest; through imagetools when the registry
 * needs what only buildx knows (its auth scheme, BuildKit's registry configuration).
 */
async function readSource(
  bx: Buildx,
  builder: string,
  ref: string,
  registry: RegistryOptions
): Promise<Index | undefined> {
  try {
    bx.log.info(`[request] ${getRequest(ref)}`);
    const got = await withRetry(() => getManifest(ref, registry), {
      ...requestRetry(bx.retries),
      what: `reading ${ref}`,
      log: bx.log
    });
    return { manifest: JSON.parse(got.raw) as imagetools.Manifest, digest: got.digest, raw: got.raw };
  } catch (error) {
    if (!(error instanceof RegistryRefused)) throw error;
    bx.log.info(`reading ${ref} through buildx imagetools (${error.message})`);
    return imagetools.inspectRaw(bx, builder, ref);
  }
}

/**
 * `put` refs: one PUT of the source's exact bytes each, retried on its own (imagetools create
 * makes ~30 requests for the same and gives up on the first dropped one). What the registry
 * refuses to take that way, and `imagetools` refs, go through imagetools create.
 */
async function moveTags(
  bx: Buildx,
  step: PublishStep,
  sources: string[],
  source: Index | undefined,
  registry: RegistryOptions
): Promise<void> {
  const mediaType = source?.manifest.mediaType;
  const bytes = source && mediaType ? { raw: source.raw, mediaType, digest: source.digest } : undefined;
  const fallback = bytes ? await putEach(bx, step.put, sources[0], bytes, registry) : step.put;
  const rest = [...fallback, ...step.imagetools.refs];
  if (rest.length > 0) await imagetools.tagIndex(bx, step.builder, rest, sources, step.imagetools.annotations);
}

export function registryOptions(env: NodeJS.ProcessEnv, run: Runner, stallMs: number): RegistryOptions {
  return { env, run, timeoutMs: stallMs || undefined };
}

/**
 * `platform-tags`: each platform's own manifest under its tags (`1.2.3-arm64`), after the index's
 * tags. In the pushed repository one GET of the manifest and a PUT of its bytes per tag; elsewhere
 * (or when the registry refuses the PUT) imagetools create of that one manifest.
 */
async function movePlatformTags(
  bx: Buildx,
  step: PublishStep,
  platformDigests: Record<string, string>,
  registry: RegistryOptions
): Promise<void> {
  for (const platform of [...new Set(step.platformTags.map((p) => p.platform))]) {
    const digest = platformDigests[platform];
    if (!digest) throw new Error(`platform-tags: ${platform} is not in the published index; no platform tag moved`);
    const source = `${step.image}@${digest}`;
    const refs = step.platformTags.filter((p) => p.platform === platform).map((p) => p.ref);
    const elsewhere = refs.filter((ref) => !ref.startsWith(`${step.image}:`));
    const direct = refs.filter((ref) => !elsewhere.includes(ref));
    let fallback: string[] = [];
    if (direct.length > 0) {
      bx.log.info(`[request] ${getRequest(source)}`);
      const got = await withRetry(() => getManifest(source, registry), {
        ...requestRetry(bx.retries),
        what: `reading ${source}`,
        log: bx.log
      });
      fallback = await putEach(bx, direct, source, got, registry);
    }
    const rest = [...fallback, ...elsewhere];
    if (rest.length > 0) await imagetools.tagIndex(bx, step.builder, rest, [source], []);
  }
}

/**
 * One PUT of `bytes` (a manifest's exact bytes) per ref, each retried on its own. Returns the refs
 * still to move when the registry refuses the PUT (from the refused one on): imagetools moves them.
 */
async function putEach(
  bx: Buildx,
  refs: string[],
  source: string,
  bytes: { raw: string; mediaType: string; digest: string },
  registry: RegistryOptions
): Promise<string[]> {
  for (const [i, ref] of refs.entries()) {
    try {
      bx.log.info(`[request] ${putRequest(ref, source)}`);
      await withRetry(() => putTag(ref, bytes.raw, bytes.mediaType, bytes.digest, registry), {
        ...requestRetry(bx.retries),
        what: `tagging ${ref}`,
        log: bx.log
      });
    } catch (error) {
      if (!(error instanceof RegistryRefused)) throw error;
      bx.log.warning(`could not tag by a direct PUT (${error.message}); using buildx imagetools create`);
      return refs.slice(i);
    }
  }
  return [];
}
