import { deleteRequest, type CheckDigestsStep, type FindLegsStep, type RemoveLegsStep } from '../plan/steps.js';
import { withRetry } from '../tools/retry.js';
import { deleteManifest, requestRetry, type RegistryOptions } from '../tools/registry/client.js';
import type { Buildx } from '../tools/buildx/handle.js';
import * as imagetools from '../tools/buildx/imagetools.js';
import { parseReference, withDigest } from '../plan/reference.js';
import { NO_MANIFEST_DELETE } from '../plan/hosts.js';
import { platformDigests } from '../plan/oci.js';
import { missingAttestations } from '../plan/verify.js';

/**
 * The digest every matrix leg left for this run, one hand-off tag per platform. A missing leg,
 * or one that holds another platform, fails the merge before anything is published: no half
 * image ships.
 */
export async function findLegs(bx: Buildx, step: FindLegsStep): Promise<string[]> {
  const found = await Promise.all(step.legs.map((leg) => imagetools.inspectRaw(bx, step.builder, leg.ref)));
  const sources: string[] = [];
  const missing: string[] = [];
  const unattested: string[] = [];
  step.legs.forEach((leg, i) => {
    const got = found[i];
    const id = leg.platform.id;
    if (!got) return void missing.push(`${id} (no ${leg.ref})`);
    const offers = got.manifest.manifests ? Object.keys(platformDigests(got.manifest)) : [id];
    if (!offers.includes(id))
      return void missing.push(`${id} (${leg.ref} holds ${offers.join(', ') || 'no platform'})`);
    const source = withDigest(leg.ref, got.digest);
    bx.log.info(`${id}: ${source}`);
    sources.push(source);
    unattested.push(...missingAttestations(got.manifest, [id], step.attestations));
  });
  if (missing.length > 0) {
    throw new Error(
      `merge: no leg result for ${missing.join('; ')}. Did every matrix leg run with mode: platform for this commit and run? Nothing was published.`
    );
  }
  refuseUnattested(unattested);
  return sources;
}

/** Legs built without the attestations this merge will verify: refused now, before anything is staged. */
function refuseUnattested(platforms: string[]): void {
  if (platforms.length === 0) return;
  throw new Error(
    `merge: ${platforms.join(', ')} carry no attestation manifest, and this merge's provenance/sbom ask for one. ` +
      'Build the legs with provenance (the default), or set provenance: false (and sbom: false) on the merge step too. Nothing was staged and no tag moved.'
  );
}

/**
 * Explicit `digests`: each must exist, and together they must hold exactly the requested
 * platforms, each once. Anything else fails, naming every platform missing or not asked for,
 * before a tag moves.
 */
export async function checkDigests(bx: Buildx, step: CheckDigestsStep): Promise<string[]> {
  const found = await Promise.all(step.refs.map((ref) => imagetools.inspectRaw(bx, step.builder, ref)));
  const absent = step.refs.filter((_, i) => !found[i]);
  if (absent.length > 0) {
    throw new Error(`merge: ${absent.join(', ')} (from the digests input) not in the registry; nothing was published`);
  }
  const platforms = await Promise.all(
    found.map((got, i) =>
      got!.manifest.manifests
        ? Object.keys(platformDigests(got!.manifest))
        : imagetools.imagePlatform(bx, step.builder, step.refs[i]).then((p) => [p])
    )
  );
  const offered = platforms.flatMap((list, i) => list.map((platform) => ({ platform, ref: step.refs[i] })));
  const wanted = step.platforms.map((p) => p.id);
  const problems = [
    ...wanted
      .filter((id) => !offered.some((o) => o.platform === id))
      .map((id) => `${id} is in platforms but in none of the digests`),
    ...offered
      .filter((o) => !wanted.includes(o.platform))
      .map((o) => `${o.ref} holds ${o.platform}, which platforms does not list`),
    ...wanted
      .filter((id) => offered.filter((o) => o.platform === id).length > 1)
      .map((id) => `${id} is in more than one digest`)
  ];
  if (problems.length > 0) {
    throw new Error(
      `merge: the digests do not match platforms (${wanted.join(', ')}): ${problems.join('; ')}. Nothing was published.`
    );
  }
  for (const o of offered) bx.log.info(`${o.platform}: ${o.ref}`);
  refuseUnattested(
    found.flatMap((got, i) =>
      missingAttestations(
        got!.manifest,
        platforms[i].filter((p) => wanted.includes(p)),
        step.attestations
      )
    )
  );
  return step.refs;
}

export interface LegRemoval {
  ref: string;
  outcome: 'removed' | 'kept' | 'unsupported';
}

/**
 * Deletes each leg's own index by digest once the merged index is published: its hand-off tag
 * goes with it. A leg the published index lists itself is kept, and a registry that allows no
 * deletes (GHCR and Docker Hub have their own APIs for it) leaves the tag, said once.
 */
export async function removeLegs(
  bx: Buildx,
  step: RemoveLegsStep,
  sources: string[],
  children: string[],
  registry: RegistryOptions
): Promise<LegRemoval[]> {
  const removals: LegRemoval[] = [];
  for (const [i, ref] of step.legs.entries()) {
    const source = sources[i];
    if (!source || children.includes(parseReference(source).digest ?? '')) {
      removals.push({ ref, outcome: 'kept' });
      continue;
    }
    bx.log.info(`[request] ${deleteRequest(source)}`);
    const outcome = await withRetry(() => deleteManifest(source, registry), {
      ...requestRetry(bx.retries),
      what: `removing ${ref}`,
      log: bx.log
    });
    removals.push({ ref, outcome: outcome === 'deleted' ? 'removed' : 'unsupported' });
  }
  for (const r of removals) bx.log.info(`${r.ref}: ${removalNote(r.outcome)}`);
  return removals;
}

export function removalNote(outcome: LegRemoval['outcome']): string {
  switch (outcome) {
    case 'removed':
      return 'removed (the leg index it pointed at was deleted)';
    case 'kept':
      return 'kept: the published index lists the image it points at';
    case 'unsupported':
      return `kept: the registry does not allow deleting manifests (on ${NO_MANIFEST_DELETE.join(' and ')}, delete it with their own API)`;
  }
}
