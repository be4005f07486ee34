import semver from 'semver';

/*
 * Versions read from a git tag or a rule's value: semantic versions (https://semver.org) and
 * PEP 440 (Python's), both turned into one VersionInfo the patterns render.
 */

export interface VersionInfo {
  /** the version as cleaned (no `v`), e.g. 1.2.3, 2.0.0-rc.1, 1.2.3rc2 */
  version: string;
  major: number;
  minor: number;
  patch: number;
  /** '' for a release; e.g. `rc.1` (semver) or `rc2`, `post1`, `dev4` (PEP 440) */
  prerelease: string;
}

/** PEP 440, as the spec's appendix defines it (case-insensitive, optional leading v). */
const PEP440 =
  /^\s*v?(?:(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?)(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

export interface Pep440Version {
  epoch: number;
  release: number[];
  pre?: { label: 'a' | 'b' | 'rc'; number: number };
  post?: number;
  dev?: number;
  local?: string;
  /** normalized form, e.g. `1.2.3rc2`, `1.2.3.post1`, `1.0.dev4` */
  normalized: string;
}

/** Parses and normalizes a PEP 440 version; undefined when it does not conform. */
export function parsePep440(text: string): Pep440Version | undefined {
  const m = PEP440.exec(text);
  if (!m) return undefined;
  const epoch = m[1] ? Number(m[1]) : 0;
  const release = m[2].split('.').map(Number);
  const preLabel = m[3]?.toLowerCase();
  const pre = preLabel
    ? {
        label: ({ a: 'a', alpha: 'a', b: 'b', beta: 'b' } as const)[preLabel as 'a'] ?? ('rc' as const),
        number: Number(m[4] ?? 0)
      }
    : undefined;
  const post = m[5] !== undefined ? Number(m[5]) : m[6] !== undefined ? Number(m[7] ?? 0) : undefined;
  const dev = m[8] !== undefined ? Number(m[9] ?? 0) : undefined;
  const local = m[10]?.toLowerCase().replace(/[-_]/g, '.');
  let normalized = `${epoch ? `${epoch}!` : ''}${release.join('.')}`;
  if (pre) normalized += `${pre.label}${pre.number}`;
  if (post !== undefined) normalized += `.post${post}`;
  if (dev !== undefined) normalized += `.dev${dev}`;
  if (local) normalized += `+${local}`;
  return { epoch, release, pre, post, dev, local, normalized };
}

export function semverInfo(raw: string): VersionInfo | undefined {
  if (!semver.valid(raw)) return undefined;
  const v = semver.parse(raw, { loose: true });
  if (!v) return undefined;
  return { version: v.version, major: v.major, minor: v.minor, patch: v.patch, prerelease: v.prerelease.join('.') };
}

export function pep440Info(raw: string): VersionInfo | undefined {
  const v = parsePep440(raw);
  if (!v) return undefined;
  const prerelease = [
    v.pre ? `${v.pre.label}${v.pre.number}` : '',
    v.post !== undefined ? `post${v.post}` : '',
    v.dev !== undefined ? `dev${v.dev}` : ''
  ]
    .filter((s) => s !== '')
    .join('.');
  return { version: v.normalized, major: v.release[0], minor: v.release[1] ?? 0, patch: v.release[2] ?? 0, prerelease };
}

/**
 * A git tag or value that names a pre-release of a version, which never moves `latest`: a semantic
 * version's (`2.0.0-rc.1`, `v1.2.3-beta.4`) or a PEP 440 pre-release or dev release of a dotted
 * version (`1.2rc1`, `1.0.dev4`). Anything else, `20200110-RC2` included (one number: a date build,
 * not a version), is no pre-release here, and a match of it gets `latest` as metadata-action gives it.
 */
export function isVersionPreRelease(text: string): boolean {
  const sv = semver.valid(text) ? semver.parse(text, { loose: true }) : null;
  if (sv) return sv.prerelease.length > 0;
  const pv = parsePep440(text);
  return pv !== undefined && pv.release.length >= 2 && (pv.pre !== undefined || pv.dev !== undefined);
}
