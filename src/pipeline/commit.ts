/**
 * Commit: tags last, in one short phase, once the release is staged, proven (and signed). Each ref
 * is one PUT of the staged index's exact bytes in its own repository, retried on its own; where
 * the registry refuses our client, `imagetools create` of the staged digest. Then every moved ref
 * is read back: one that another run moved after our PUT is "superseded", a warning, not a failure.
 * A PUT that still fails after its retries stops the commit; re-running the job completes it (a
 * PUT of the same bytes is idempotent).
 */
import { headRequest, putRequest, commitRefs, type CommitStep } from '../plan/steps.js';
import { withDigest } from '../plan/reference.js';
import type { Buildx } from '../tools/buildx/handle.js';
import * as imagetools from '../tools/buildx/imagetools.js';
import { putTag, resolveTag, type RegistryOptions } from '../tools/registry/client.js';
import { readBytes, viaRegistry, type Bytes } from './registry-io.js';
import type { Staged } from './stage.js';

export interface Committed {
  /** Every ref that moved (platform tags included), in order: the `tags` output. */
  moved: string[];
  /** Refs another run moved after ours, and where they point now. */
  superseded: Array<{ ref: string; by: string }>;
}

/** The commit stopped part-way: what moved, what did not, and why. */
export class CommitFailed extends Error {
  constructor(
    readonly moved: string[],
    readonly pending: string[],
    readonly reason: unknown
  ) {
    super(
      `moving the tags failed after ${moved.length} of ${moved.length + pending.length}: ${reason instanceof Error ? reason.message : String(reason)}\n` +
        `Not moved: ${pending.join(', ')}. The release is staged and proven: re-running the job moves the rest (a PUT of the same bytes changes nothing).`
    );
    this.name = 'CommitFailed';
  }
}

export async function commit(
  bx: Buildx,
  step: CommitStep,
  staged: Staged,
  held: string[],
  registry: RegistryOptions,
  /** Each ref is added here the moment it moves: a failure report reads it. */
  moved: string[] = []
): Promise<Committed> {
  const { refs, platformTags } = commitRefs(step, held);
  const indexBytes = { raw: staged.raw, mediaType: staged.mediaType, digest: staged.digest };
  const platformBytes = new Map<string, Bytes>();
  const planned = [...refs, ...platformTags.map((p) => p.ref)];
  try {
    for (const ref of refs) {
      await move(bx, step.builder, ref, indexBytes, registry);
      moved.push(ref);
    }
    for (const p of platformTags) {
      const digest = staged.platformDigests[p.platform];
      if (!digest) throw new Error(`platform-tags: ${p.platform} is not in the staged index`);
      const source = withDigest(p.ref, digest);
      let bytes = platformBytes.get(source);
      if (!bytes) {
        bytes = await readBytes(bx, step.builder, source, registry);
        platformBytes.set(source, bytes);
      }
      await move(bx, step.builder, p.ref, bytes, registry);
      moved.push(p.ref);
    }
  } catch (error) {
    throw new CommitFailed([...moved], planned.slice(moved.length), error);
  }
  const superseded = await readBack(bx, step, staged, moved, registry);
  return { moved: [...moved], superseded };
}

/** One PUT of the bytes under `ref`, retried on its own; through imagetools create when our client is refused. */
function move(bx: Buildx, builder: string, ref: string, bytes: Bytes, registry: RegistryOptions): Promise<void> {
  const source = withDigest(ref, bytes.digest);
  return viaRegistry(
    bx,
    `tagging ${ref}`,
    () => putTag(ref, bytes.raw, bytes.mediaType, bytes.digest, registry),
    () => imagetools.tagIndex(bx, builder, [ref], [source]),
    putRequest(ref, source)
  );
}

/**
 * Every moved ref resolved (one HEAD each). One that names another digest was moved by another
 * run after ours (two pushes of one branch, a branch and a tag push of one commit): that run's
 * release is as whole as ours, so this is a warning and our outputs still name our index.
 */
async function readBack(
  bx: Buildx,
  step: CommitStep,
  staged: Staged,
  moved: string[],
  registry: RegistryOptions
): Promise<Array<{ ref: string; by: string }>> {
  const platformOf = new Map(step.platformTags.map((p) => [p.ref, staged.platformDigests[p.platform]]));
  const superseded: Array<{ ref: string; by: string }> = [];
  for (const ref of moved) {
    bx.log.info(`[request] ${headRequest(ref)}`);
    const now = await resolve(bx, step.builder, ref, registry);
    // The index, or for a platform tag that platform's manifest.
    const want = platformOf.get(ref) ?? staged.digest;
    if (now === want) {
      bx.log.info(`${ref} → ${want}`);
      continue;
    }
    const by = now ?? 'nothing (the tag was deleted)';
    superseded.push({ ref, by });
    bx.log.warning(`${ref} superseded by ${by} (another run moved it after this one; this run's index is ${want})`);
  }
  return superseded;
}

function resolve(bx: Buildx, builder: string, ref: string, registry: RegistryOptions): Promise<string | undefined> {
  return viaRegistry(
    bx,
    `resolving ${ref}`,
    () => resolveTag(ref, registry),
    async () => (await imagetools.inspectRaw(bx, builder, ref))?.digest
  );
}
