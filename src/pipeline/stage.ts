/**
 * Stage: the release's content in every repository by digest, with nothing named yet. The one
 * build's index is already in the first repository (pushed by digest); a new index of several
 * sources (legs, digests, per-platform builds) is computed by `imagetools create --dry-run` and PUT
 * there by its own digest. Every other repository gets a copy by digest (`imagetools create`
 * copies the blobs, mounting them where the registry allows). No tag moves here.
 */
import { digestOf, platformDigests, type Manifest } from '../plan/oci.js';
import { withDigest } from '../plan/reference.js';
import { imagetoolsCreateArgv, putRequest, type StageStep } from '../plan/steps.js';
import type { Buildx } from '../tools/buildx/handle.js';
import { runBuildx } from '../tools/buildx/handle.js';
import * as imagetools from '../tools/buildx/imagetools.js';
import { putTag, type RegistryOptions } from '../tools/registry/client.js';
import { readBytes, viaRegistry } from './registry-io.js';
import { withRetry } from '../tools/retry.js';

export interface Staged {
  digest: string;
  /** The index's exact bytes and media type: what each tag's PUT sends. */
  raw: string;
  mediaType: string;
  manifest: Manifest;
  platformDigests: Record<string, string>;
  /** Every manifest the index lists (platform images and attestations). */
  children: string[];
  /** Every repository that now holds the index by digest, the first image first. */
  repositories: string[];
}

export async function stage(
  bx: Buildx,
  step: StageStep,
  sources: string[],
  registry: RegistryOptions,
  platforms: string[]
): Promise<Staged> {
  const index =
    step.source === 'build'
      ? await readSource(bx, step.builder, sources[0], registry)
      : await newIndex(bx, step, sources, registry);
  const at = withDigest(step.image, index.digest);
  for (const mirror of step.mirrors) {
    const copy = withDigest(mirror, index.digest);
    await imagetools.tagIndex(bx, step.builder, [copy], [at]);
    bx.log.info(`${copy}: copied by digest`);
  }
  const digests = index.manifest.manifests ? platformDigests(index.manifest) : { [platforms[0]]: index.digest };
  bx.log.info(`staged ${index.digest} in ${[step.image, ...step.mirrors].join(', ')}; no tag has moved`);
  return {
    ...index,
    platformDigests: digests,
    children: (index.manifest.manifests ?? []).map((m) => m.digest),
    repositories: [step.image, ...step.mirrors]
  };
}

type Index = { manifest: Manifest; digest: string; raw: string; mediaType: string };

function indexOf(raw: string, digest: string, mediaType?: string): Index {
  const manifest = JSON.parse(raw) as Manifest;
  return { manifest, digest, raw, mediaType: mediaType ?? manifest.mediaType ?? '' };
}

/**
 * The index the build pushed, read by one GET of its digest; through imagetools when the registry
 * needs what only buildx knows (its auth scheme, BuildKit's registry configuration).
 */
async function readSource(bx: Buildx, builder: string, ref: string, registry: RegistryOptions): Promise<Index> {
  const got = await readBytes(
    bx,
    builder,
    ref,
    registry,
    "is not in the registry: the build's push cannot be read back"
  );
  return indexOf(got.raw, got.digest, got.mediaType || undefined);
}

/**
 * One new index of several sources: computed by `imagetools create --dry-run` (the index buildx
 * would push, annotations included), then PUT by its own digest in the first repository. A
 * registry our client cannot push to gets the same bytes through imagetools create by digest.
 */
async function newIndex(bx: Buildx, step: StageStep, sources: string[], registry: RegistryOptions): Promise<Index> {
  const argv = imagetoolsCreateArgv(step.builder, [], sources, step.annotations, true);
  const out = await withRetry(() => runBuildx(bx, argv, { quiet: true, stallMs: bx.stallMs || undefined }), {
    retries: bx.retries,
    what: 'computing the index',
    log: bx.log
  });
  const raw = out.stdout.trimEnd();
  const digest = digestOf(raw);
  const index = indexOf(raw, digest);
  const ref = withDigest(step.image, digest);
  await viaRegistry(
    bx,
    `staging ${ref}`,
    () => putTag(ref, raw, index.mediaType, digest, registry),
    () => imagetools.tagIndex(bx, step.builder, [ref], sources, step.annotations),
    putRequest(ref, 'the new index')
  );
  return index;
}
