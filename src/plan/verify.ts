/**
 * Checks what was published, as read back from the registry: the index the tags point to and
 * every manifest it lists. The check is made at the level of platform manifests, the objects
 * users pull and policy engines judge, so an index assembled from per-platform indexes passes
 * as long as the platforms, their attestations and the tags are right.
 */
import {
  ATTESTATION_MANIFEST,
  IN_TOTO,
  isAnnotatedAttestation,
  isIndex,
  PREDICATE_TYPE,
  platformString,
  REFERENCE_DIGEST,
  shortDigest,
  type Descriptor,
  type Manifest
} from './oci.js';
import { parsePlatforms } from './platforms.js';

export interface Published {
  /** The digest the index was read by (the `digest` output). */
  digest: string;
  index: Manifest;
  /** Every manifest the index lists that the registry returned, by digest; one it answered 404 for is absent. */
  children: Record<string, Manifest>;
}

export interface VerifyRequest {
  published: Published;
  /** The platforms asked for, in their canonical spelling (linux/arm/v7). */
  platforms: string[];
  /** Which attestations were asked for: each platform manifest must then carry them. */
  attestations: { provenance: boolean; sbom: boolean };
  /** Every computed tag and the digest the registry resolves it to (undefined: the tag is not there). */
  tags: Record<string, string | undefined>;
}

export interface PlatformRow {
  platform: string;
  manifest: string;
  /** The attestation manifest that refers to this platform manifest, if any. */
  attestation?: string;
}

export interface Verification {
  ok: boolean;
  rows: PlatformRow[];
  /** One sentence per problem, each naming what is missing or wrong. Empty when ok. */
  failures: string[];
}

const PROVENANCE_PREFIX = 'https://slsa.dev/provenance/';
const SBOM_TYPES = ['https://spdx.dev/Document', 'https://cyclonedx.org/bom'];

/** An index entry that is an attestation manifest rather than an image, with what it says it is about. */
interface Attestation {
  digest: string;
  /** The platform manifest it refers to: the index annotation, else the manifest's `subject`. */
  refers?: string;
}

/**
 * Verifies a published index against what was asked for. Pure: the caller reads the registry
 * (one request for the index, one per child, one per tag) and passes what came back.
 */
export function verifyPublished(request: VerifyRequest): Verification {
  const { published, attestations } = request;
  const failures: string[] = [];
  const short = shortDigest;
  const wanted = attestations.provenance || attestations.sbom;

  if (!isIndex(published.index)) {
    return verifySingle(request);
  }

  const images: Descriptor[] = [];
  const attests: Attestation[] = [];
  for (const entry of published.index.manifests ?? []) {
    const child = published.children[entry.digest];
    if (isAttestationEntry(entry, child)) {
      attests.push(attestationOf(entry, child, failures));
    } else {
      images.push(entry);
    }
  }

  // Platform → the image entries that claim it, in index order.
  const byPlatform = new Map<string, Descriptor[]>();
  for (const entry of images) {
    if (!entry.platform) {
      failures.push(`index entry ${short(entry.digest)} has no platform, so no one can pull it by platform`);
      continue;
    }
    const id = platformId(entry.platform);
    byPlatform.set(id, [...(byPlatform.get(id) ?? []), entry]);
  }

  const rows: PlatformRow[] = [];
  const requested = new Set(request.platforms);
  const order = [...request.platforms, ...[...byPlatform.keys()].filter((p) => !requested.has(p))];
  for (const platform of order) {
    const entries = byPlatform.get(platform) ?? [];
    if (entries.length === 0) {
      failures.push(`platform ${platform} is missing from the index`);
      continue;
    }
    if (!requested.has(platform)) {
      failures.push(`platform ${platform} (${entries.map((e) => short(e.digest)).join(', ')}) was not requested`);
    }
    if (entries.length > 1) {
      failures.push(
        `platform ${platform} appears ${entries.length} times (${entries.map((e) => short(e.digest)).join(', ')})`
      );
    }
    for (const entry of entries) {
      const child = published.children[entry.digest];
      if (!child) {
        failures.push(`platform ${platform}: manifest ${short(entry.digest)} is listed but missing from the registry`);
      } else if (isIndex(child)) {
        failures.push(
          `platform ${platform}: ${short(entry.digest)} is itself an index, not a platform manifest (an index of indexes)`
        );
      }
      const mine = attests.filter((a) => a.refers === entry.digest);
      rows.push({ platform, manifest: entry.digest, ...(mine[0] ? { attestation: mine[0].digest } : {}) });
      if (!wanted) continue;
      if (mine.length === 0) {
        failures.push(`platform ${platform}: manifest ${short(entry.digest)} has no attestation manifest`);
        continue;
      }
      for (const problem of mine.flatMap((a) => attestationProblems(a, published.children[a.digest], attestations)))
        failures.push(`platform ${platform}: ${problem}`);
    }
  }

  // An attestation about nothing in this index is what a merge of leg indexes leaves behind.
  const imageDigests = new Set(images.map((e) => e.digest));
  for (const a of attests) {
    if (a.refers && !imageDigests.has(a.refers)) {
      failures.push(
        `attestation manifest ${short(a.digest)} refers to ${short(a.refers)}, which is not a platform manifest of this index`
      );
    } else if (!a.refers) {
      failures.push(`attestation manifest ${short(a.digest)} does not say which manifest it is about`);
    }
  }

  failures.push(...tagProblems(request));
  return { ok: failures.length === 0, rows, failures };
}

/**
 * Before a merge stages anything: the platforms of one leg (or given digest) that lack the
 * attestation manifest the merge's verification will ask for. Read from the leg's index alone
 * (its entries' annotations), which the merge has already read to find the leg.
 */
export function missingAttestations(
  leg: Manifest,
  platforms: string[],
  attestations: { provenance: boolean; sbom: boolean }
): string[] {
  if (!attestations.provenance && !attestations.sbom) return [];
  if (!isIndex(leg)) return platforms;
  const entries = leg.manifests ?? [];
  const attested = new Set(entries.filter(isAnnotatedAttestation).map((e) => e.annotations?.[REFERENCE_DIGEST]));
  return entries
    .filter((e) => e.platform && e.platform.os !== 'unknown' && platforms.includes(platformId(e.platform)))
    .filter((e) => !attested.has(e.digest))
    .map((e) => platformId(e.platform!));
}

/** One platform pushed as a bare manifest (no index): nothing to attest it with, one platform at most. */
function verifySingle(request: VerifyRequest): Verification {
  const { published } = request;
  const failures: string[] = [];
  const rows: PlatformRow[] = [];
  if (request.platforms.length !== 1) {
    failures.push(
      `${shortDigest(published.digest)} is a single image manifest, not an index of ${request.platforms.join(', ')}`
    );
  } else {
    rows.push({ platform: request.platforms[0], manifest: published.digest });
  }
  if (request.attestations.provenance || request.attestations.sbom) {
    failures.push(`${shortDigest(published.digest)} is a single image manifest: it has no attestation manifest`);
  }
  failures.push(...tagProblems(request));
  return { ok: failures.length === 0, rows, failures };
}

function tagProblems(request: VerifyRequest): string[] {
  const expected = request.published.digest;
  const out: string[] = [];
  for (const [tag, digest] of Object.entries(request.tags)) {
    if (digest === undefined) out.push(`tag ${tag} is not in the registry (expected ${expected})`);
    else if (digest !== expected) out.push(`tag ${tag} resolves to ${digest}, not ${expected}`);
  }
  return out;
}

/**
 * BuildKit marks attestation manifests in the index (platform unknown/unknown and the
 * `vnd.docker.reference.type` annotation); the OCI-artifact form also gives the manifest an
 * artifactType and a `subject`. Any of these marks it.
 */
function isAttestationEntry(entry: Descriptor, child: Manifest | undefined): boolean {
  return (
    isAnnotatedAttestation(entry) ||
    (entry.platform?.os === 'unknown' && entry.platform.architecture === 'unknown') ||
    entry.artifactType === ATTESTATION_MANIFEST ||
    child?.artifactType === ATTESTATION_MANIFEST
  );
}

function attestationOf(entry: Descriptor, child: Manifest | undefined, failures: string[]): Attestation {
  const annotated = entry.annotations?.[REFERENCE_DIGEST];
  const subject = child?.subject?.digest;
  if (annotated && subject && annotated !== subject) {
    failures.push(
      `attestation manifest ${shortDigest(entry.digest)} is annotated as about ${shortDigest(annotated)} but its subject is ${shortDigest(subject)}`
    );
  }
  return { digest: entry.digest, refers: annotated ?? subject };
}

function attestationProblems(
  attestation: Attestation,
  child: Manifest | undefined,
  wanted: VerifyRequest['attestations']
): string[] {
  const name = `attestation manifest ${shortDigest(attestation.digest)}`;
  if (!child) return [`${name} is listed but missing from the registry`];
  const predicates = (child.layers ?? [])
    .filter((layer) => layer.mediaType === IN_TOTO)
    .map((layer) => layer.annotations?.[PREDICATE_TYPE] ?? '');
  if (predicates.length === 0) return [`${name} holds no in-toto statement`];
  const out: string[] = [];
  if (wanted.provenance && !predicates.some((p) => p.startsWith(PROVENANCE_PREFIX)))
    out.push(`${name} has no SLSA provenance (it holds ${predicates.join(', ')})`);
  if (wanted.sbom && !predicates.some((p) => SBOM_TYPES.some((t) => p.startsWith(t))))
    out.push(`${name} has no SBOM (it holds ${predicates.join(', ')})`);
  return out;
}

/** The canonical id of an index entry's platform (linux/arm64/v8 → linux/arm64); as written when it is not one we build. */
function platformId(p: NonNullable<Descriptor['platform']>): string {
  const raw = platformString(p);
  try {
    return parsePlatforms([raw])[0].id;
  } catch {
    return raw;
  }
}

/** The `attestations` output: platform → attestation manifest digest, for every platform that has one. */
export function attestationsOutput(rows: PlatformRow[]): string {
  const out: Record<string, string> = {};
  for (const row of rows) if (row.attestation && !(row.platform in out)) out[row.platform] = row.attestation;
  return JSON.stringify(out);
}

/** The job summary's table: platform → manifest digest → attestation digest. */
export function verificationTable(result: Verification): string {
  const lines = [
    '| Platform | Manifest | Attestation |',
    '| --- | --- | --- |',
    ...result.rows.map((r) => `| ${r.platform} | \`${r.manifest}\` | ${r.attestation ? `\`${r.attestation}\`` : '—'} |`)
  ];
  if (result.failures.length) lines.push('', ...result.failures.map((f) => `- ❌ ${f}`));
  return lines.join('\n');
}
