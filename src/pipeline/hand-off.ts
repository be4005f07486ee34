import type { RemoveLegsStep } from '../plan/steps.js';
import { withDigest } from '../plan/reference.js';
import type { Buildx } from '../tools/buildx/handle.js';
import * as imagetools from '../tools/buildx/imagetools.js';

/**
 * merge with explicit `digests`: which of this run's possible hand-off tags exist and name one of
 * the given digests, each with the digest to remove it by (`image@sha256:…`). A tag that is not
 * there, or names something else, is not this merge's to remove.
 */
export async function handOffsNaming(
  bx: Buildx,
  builder: string,
  step: RemoveLegsStep,
  given: string[]
): Promise<{ legs: string[]; sources: string[] }> {
  const digests = new Set(given.map((ref) => ref.slice(ref.indexOf('@') + 1)));
  const found = await Promise.all(step.legs.map((ref) => imagetools.inspectRaw(bx, builder, ref)));
  const legs: string[] = [];
  const sources: string[] = [];
  step.legs.forEach((ref, i) => {
    const digest = found[i]?.digest;
    if (!digest || !digests.has(digest)) return;
    legs.push(ref);
    sources.push(withDigest(ref, digest));
  });
  return { legs, sources };
}
