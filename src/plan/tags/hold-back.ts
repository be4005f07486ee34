import semver, { type SemVer } from 'semver';
import type { TagResult } from './compute.js';

/* Floating tags only move forward. */

export interface HeldTag {
  tag: string;
  /** the version the tag points to now (undefined when unknown) */
  current: string | undefined;
  /** the version this build would have moved it to */
  ours: string;
  /** `newer`: the tag points to a higher version; `prerelease`: ours is a pre-release and the tag is latest */
  reason: 'newer' | 'prerelease';
}

function comparable(version: string): SemVer | null {
  return semver.parse(version, { loose: true }) ?? semver.coerce(version, { includePrerelease: true });
}

/** The version ours is compared with: the rules' version, else the first tag that reads as a full version (literal refs). */
function ourVersion(result: TagResult): { ours: string; parsed: SemVer | null; preRelease: boolean } {
  // Compare like with like: `current` holds earlier `version` outputs, so ours is our `version` output
  // when it reads as a version (it may carry the flavor's prefix/suffix), else the parsed rule version.
  if (result.versionInfo) {
    const ours = semver.parse(result.version, { loose: true }) ? result.version : result.versionInfo.version;
    return { ours, parsed: comparable(ours), preRelease: result.versionInfo.prerelease !== '' };
  }
  // Literal references (metadata-action's output passed through): the full version among them.
  const full = result.tags.find((tag) => semver.valid(tag, { loose: true }));
  const parsed = full ? semver.parse(full, { loose: true }) : null;
  return { ours: full ?? result.version, parsed, preRelease: (parsed?.prerelease.length ?? 0) > 0 };
}

function isLatest(result: TagResult, tag: string): boolean {
  return tag === (result.latestTag ?? 'latest');
}

/**
 * What the plan can hold back without reading the registry: a pre-release never becomes `latest`,
 * even with flavor latest=true. The dry run and the real run agree on it.
 */
export function heldByPlan(result: TagResult): HeldTag[] {
  const { ours, preRelease } = ourVersion(result);
  if (!preRelease) return [];
  return result.floating
    .filter((tag) => isLatest(result, tag))
    .map((tag) => ({ tag, current: undefined, ours, reason: 'prerelease' as const }));
}

/**
 * Keeps floating tags (`latest`, `1`, `1.2`) from moving backwards: given the version each tag points
 * to now (the `org.opencontainers.image.version` the registry holds for it), drops the floating tags
 * whose current version is higher than ours: releasing v1.1.9 after 1.2.3 leaves `1` and `latest` on
 * 1.2.3 and still moves `1.1`. Tags the plan holds (heldByPlan) are held here too. Tags absent from
 * `current`, or whose version does not read as a version, move as computed.
 */
export function holdBackFloating(
  result: TagResult,
  current: Map<string, string | undefined>
): { tags: string[]; held: HeldTag[] } {
  const { ours, parsed: oursParsed } = ourVersion(result);
  const planned = heldByPlan(result);
  const held: HeldTag[] = [];
  const tags = result.tags.filter((tag) => {
    if (!result.floating.includes(tag)) return true;
    const theirs = current.get(tag);
    if (planned.some((h) => h.tag === tag)) {
      held.push({ tag, current: theirs, ours, reason: 'prerelease' });
      return false;
    }
    if (theirs === undefined || !oursParsed) return true;
    const theirsParsed = comparable(theirs);
    if (theirsParsed && semver.gt(theirsParsed, oursParsed)) {
      held.push({ tag, current: theirs, ours, reason: 'newer' });
      return false;
    }
    return true;
  });
  return { tags, held };
}
