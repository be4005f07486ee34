/**
 * Prove: the staged index read back by digest in every repository it was staged in, and checked at
 * the level of platform manifests (src/plan/verify.ts): one request for the index, one per manifest
 * it lists. Then the floating tags are read, and those that would move backwards are held. Nothing
 * is named until this passes. A registry our client cannot talk to (an auth scheme only buildx
 * knows) is read through `buildx imagetools inspect --raw` instead.
 */
import { getRequest, type ProveStep } from '../plan/steps.js';
import { withDigest } from '../plan/reference.js';
import { holdBackFloating, type HeldTag } from '../plan/tags/hold-back.js';
import type { TagResult } from '../plan/tags/compute.js';
import { attestationsOutput, verificationTable, verifyPublished, type PlatformRow } from '../plan/verify.js';
import { IMAGE_VERSION, type Manifest } from '../plan/oci.js';
import type { Buildx } from '../tools/buildx/handle.js';
import * as imagetools from '../tools/buildx/imagetools.js';
import {
  readManifest,
  RegistryRefused,
  requestRetry,
  resolveTag,
  type RegistryOptions
} from '../tools/registry/client.js';
import { withRetry } from '../tools/retry.js';

export interface Proven {
  /** Every manifest the index lists, in index order (platform manifests and attestations). */
  children: string[];
  /** The floating tags that stay where they are. */
  held: HeldTag[];
  rows: PlatformRow[];
  /** The `attestations` output: platform → attestation manifest digest. */
  attestations: string;
  /** The job summary's table. */
  table: string;
}

/** How the registry is read: our client, or buildx when the client is refused. */
interface Reader {
  manifest(ref: string): Promise<Manifest | undefined>;
  tag(ref: string): Promise<string | undefined>;
  /** What a tag points at now, parsed (undefined: the tag is not there). */
  current(ref: string): Promise<Manifest | undefined>;
}

/**
 * Runs a prove step for the index staged at `digest`. Throws, naming every problem and every
 * repository, when a registry does not hold what was asked for; nothing has been named then.
 */
export async function prove(
  bx: Buildx,
  step: ProveStep,
  tags: TagResult,
  digest: string,
  registry: RegistryOptions
): Promise<Proven> {
  const reader = fallingBack(clientReader(bx, registry), buildxReader(bx, step.builder), bx);
  let first: { children: string[]; rows: PlatformRow[]; table: string } | undefined;
  for (const repository of step.repositories) {
    const checked = await proveIn(bx, step, reader, withDigest(repository, digest), digest);
    first ??= checked;
  }
  const held = await heldBack(bx, step, tags, reader);
  const { children, rows, table } = first!;
  return { children, rows, attestations: attestationsOutput(rows), table, held };
}

/** The index at `indexRef` and every manifest it lists, checked against what was asked for. */
async function proveIn(
  bx: Buildx,
  step: ProveStep,
  reader: Reader,
  indexRef: string,
  digest: string
): Promise<{ children: string[]; rows: PlatformRow[]; table: string }> {
  bx.log.info(`[request] ${getRequest(indexRef)}`);
  const index = await reader.manifest(indexRef);
  if (!index)
    throw new Error(`${indexRef} is not in the registry: the staged index cannot be read back. No tag moved.`);
  const listed = (index.manifests ?? []).map((m) => m.digest);
  const children: Record<string, Manifest> = {};
  for (const child of listed) {
    const ref = withDigest(indexRef, child);
    bx.log.info(`[request] ${getRequest(ref)}`);
    const got = await reader.manifest(ref);
    if (got) children[child] = got;
  }
  const result = verifyPublished({
    published: { digest, index, children },
    platforms: step.platforms,
    attestations: step.attestations,
    tags: {}
  });
  const table = verificationTable(result);
  if (!result.ok) {
    const hint =
      !step.handOff && result.failures.some((f) => f.includes('has no attestation manifest'))
        ? '\n(provenance and sbom must match what was built: set provenance: false on this step too if the image was built without it)'
        : '';
    throw new Error(
      `${indexRef} failed verification; no tag moved:\n${result.failures.map((f) => `- ${f}`).join('\n')}${hint}\n\n${table}`
    );
  }
  for (const row of result.rows)
    bx.log.info(`${row.platform}: ${row.manifest}${row.attestation ? `, attestation ${row.attestation}` : ''}`);
  return { children: listed, rows: result.rows, table };
}

/** The floating tags (latest, 1, 1.2) that would move backwards, or a pre-release's latest: they stay. */
async function heldBack(bx: Buildx, step: ProveStep, tags: TagResult, reader: Reader): Promise<HeldTag[]> {
  const versions = await Promise.all(step.floating.map((f) => publishedVersion(bx, step.builder, f.ref, reader)));
  const current = new Map(step.floating.map((f, i) => [f.tag, versions[i]]));
  const { held } = holdBackFloating(tags, current);
  for (const h of held) bx.log.warning(`${h.tag} not moved: ${heldReason(h)}`);
  return held;
}

function heldReason(h: HeldTag): string {
  return h.reason === 'prerelease' ? `${h.ours} is a pre-release` : `it points to ${h.current}, newer than ${h.ours}`;
}

/** The version a floating tag's image carries now: the index annotation (one request), else its config's label. */
async function publishedVersion(bx: Buildx, builder: string, ref: string, reader: Reader): Promise<string | undefined> {
  bx.log.info(`[request] GET ${ref}`);
  const found = await reader.current(ref);
  if (!found) return undefined;
  const annotated = found.annotations?.[IMAGE_VERSION];
  return annotated ?? (await imagetools.labelledVersion(bx, builder, ref));
}

/** Each read through our client; one the registry refuses it (not a 404) goes through buildx instead. */
function fallingBack(client: Reader, buildx: Reader, bx: Buildx): Reader {
  const either =
    <T>(read: (r: Reader, ref: string) => Promise<T>) =>
    async (ref: string): Promise<T> => {
      try {
        return await read(client, ref);
      } catch (error) {
        if (!(error instanceof RegistryRefused)) throw error;
        bx.log.info(`reading ${ref} through buildx imagetools (${error.message})`);
        return read(buildx, ref);
      }
    };
  return {
    manifest: either((r, ref) => r.manifest(ref)),
    tag: either((r, ref) => r.tag(ref)),
    current: either((r, ref) => r.current(ref))
  };
}

function clientReader(bx: Buildx, registry: RegistryOptions): Reader {
  const retry = (what: string) => ({ ...requestRetry(bx.retries), what, log: bx.log });
  return {
    async manifest(ref) {
      const got = await withRetry(() => readManifest(ref, registry), retry(`reading ${ref}`));
      return got === 'absent' ? undefined : (got.json as Manifest);
    },
    tag: (ref) => withRetry(() => resolveTag(ref, registry), retry(`resolving ${ref}`)),
    async current(ref) {
      const digest = await withRetry(() => resolveTag(ref, registry), retry(`resolving ${ref}`));
      if (!digest) return undefined;
      const got = await withRetry(() => readManifest(withDigest(ref, digest), registry), retry(`reading ${ref}`));
      return got === 'absent' ? undefined : (got.json as Manifest);
    }
  };
}

function buildxReader(bx: Buildx, builder: string): Reader {
  return {
    async manifest(ref) {
      return (await imagetools.inspectRaw(bx, builder, ref))?.manifest;
    },
    async tag(ref) {
      return (await imagetools.inspectRaw(bx, builder, ref))?.digest;
    },
    async current(ref) {
      return (await imagetools.inspectRaw(bx, builder, ref))?.manifest;
    }
  };
}
