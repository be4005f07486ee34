/**
 * The verify step: what was published, read back from the registry, checked at the level of
 * platform manifests (src/plan/verify.ts). One request for the index, one per manifest it lists,
 * one HEAD per moved ref. A registry our client cannot talk to (an auth scheme only buildx knows)
 * is read through `buildx imagetools inspect --raw` instead.
 */
import { getRequest, headRequest, type VerifyStep } from '../plan/steps.js';
import {
  attestationsOutput,
  verificationTable,
  verifyPublished,
  type ManifestJson,
  type PlatformRow
} from '../plan/verify.js';
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

export interface Verified {
  /** Every manifest the index lists, in index order (platform manifests and attestations). */
  children: string[];
  rows: PlatformRow[];
  /** The `attestations` output: platform → attestation manifest digest. */
  attestations: string;
  /** The job summary's table. */
  table: string;
}

/** How the registry is read: our client, or buildx when the client is refused. */
interface Reader {
  manifest(ref: string): Promise<ManifestJson | undefined>;
  tag(ref: string): Promise<string | undefined>;
}

/**
 * Runs a verify step for the index at `digest`, given the refs that moved. Throws, naming every
 * problem, when the registry does not hold what was asked for.
 */
export async function verify(
  bx: Buildx,
  step: VerifyStep,
  builder: string,
  digest: string,
  moved: string[],
  registry: RegistryOptions
): Promise<Verified> {
  const reader = fallingBack(clientReader(bx, registry), buildxReader(bx, builder), bx);
  const indexRef = `${step.image}@${digest}`;
  bx.log.info(`[request] ${getRequest(indexRef)}`);
  const index = await reader.manifest(indexRef);
  if (!index) throw new Error(`${indexRef} is not in the registry: the index just published cannot be read back`);

  const listed = (index.manifests ?? []).map((m) => m.digest);
  const children: Record<string, ManifestJson> = {};
  for (const child of listed) {
    const ref = `${step.image}@${child}`;
    bx.log.info(`[request] ${getRequest(ref)}`);
    const got = await reader.manifest(ref);
    if (got) children[child] = got;
  }
  // Held-back floating tags did not move: they are not expected to point here.
  const refs = step.refs.filter((ref) => moved.includes(ref));
  const tags: Record<string, string | undefined> = {};
  for (const ref of refs) {
    bx.log.info(`[request] ${headRequest(ref)}`);
    tags[ref] = await reader.tag(ref);
  }

  const result = verifyPublished({
    published: { digest, index, children },
    platforms: step.platforms,
    attestations: step.attestations,
    tags
  });
  const table = verificationTable(result);
  if (!result.ok) {
    const hint =
      !step.handOff && result.failures.some((f) => f.includes('has no attestation manifest'))
        ? '\n(provenance and sbom must match what was built: set provenance: false on this step too if the image was built without it)'
        : '';
    throw new Error(
      `${indexRef} failed verification:\n${result.failures.map((f) => `- ${f}`).join('\n')}${hint}\n\n${table}`
    );
  }
  for (const row of result.rows)
    bx.log.info(`${row.platform}: ${row.manifest}${row.attestation ? `, attestation ${row.attestation}` : ''}`);
  return { children: listed, rows: result.rows, attestations: attestationsOutput(result.rows), table };
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
  return { manifest: either((r, ref) => r.manifest(ref)), tag: either((r, ref) => r.tag(ref)) };
}

function clientReader(bx: Buildx, registry: RegistryOptions): Reader {
  const retry = (what: string) => ({ ...requestRetry(bx.retries), what, log: bx.log });
  return {
    async manifest(ref) {
      const got = await withRetry(() => readManifest(ref, registry), retry(`reading ${ref}`));
      return got === 'absent' ? undefined : (got.json as ManifestJson);
    },
    tag: (ref) => withRetry(() => resolveTag(ref, registry), retry(`resolving ${ref}`))
  };
}

function buildxReader(bx: Buildx, builder: string): Reader {
  return {
    async manifest(ref) {
      return (await imagetools.inspectRaw(bx, builder, ref))?.manifest as ManifestJson | undefined;
    },
    async tag(ref) {
      return (await imagetools.inspectRaw(bx, builder, ref))?.digest;
    }
  };
}
