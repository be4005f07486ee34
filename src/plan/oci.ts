/**
 * OCI and Docker image documents, the one home for their shapes: media types, descriptors, image
 * manifests and indexes (manifest lists), the annotations BuildKit writes on them, and what is
 * read off them. Pure: the registry client, imagetools, the pipeline and the verification all use
 * these types and predicates, and none keeps its own list. The fields are those of the OCI image
 * spec (descriptor.md, manifest.md, image-index.md) that this project reads; BuildKit's
 * attestation storage (docs/attestations/attestation-storage.md) gives the attestation marks.
 */
import { createHash } from 'node:crypto';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** The artifactType of an attestation manifest in BuildKit's OCI-artifact form. */
export const ATTESTATION_MANIFEST = 'application/vnd.docker.attestation.manifest.v1+json';
/** The media type of an attestation manifest's layers: one in-toto statement each. */
export const IN_TOTO = 'application/vnd.in-toto+json';

/** An index of manifests: OCI's image index or Docker's manifest list. */
export const INDEX_MEDIA_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];
/** One image (one platform): OCI's image manifest or Docker's schema 2 manifest. */
export const IMAGE_MEDIA_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
/** Every document a tag may point at here, indexes first: what the registry client asks for and accepts. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [...INDEX_MEDIA_TYPES, ...IMAGE_MEDIA_TYPES];

/** Index-entry annotations BuildKit writes for an attestation manifest: its kind and the manifest it is about. */
export const REFERENCE_TYPE = 'vnd.docker.reference.type';
export const REFERENCE_DIGEST = 'vnd.docker.reference.digest';
/** An attestation layer's annotation naming its predicate (SLSA provenance, SPDX…). */
export const PREDICATE_TYPE = 'in-toto.io/predicate-type';
/** The version annotation (and label) metadata tools write; the floating-tag hold-back reads it. */
export const IMAGE_VERSION = 'org.opencontainers.image.version';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** An OCI descriptor as it appears in an index, a manifest's config and layers, or its `subject`. */
export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  artifactType?: string;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** An index or an image manifest, parsed from the registry's JSON: the fields read here. */
export interface Manifest {
  schemaVersion?: number;
  mediaType?: string;
  artifactType?: string;
  /** An index's entries. */
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An index by its media type, or, when it names none (it may omit it), by having entries. */
export function isIndex(manifest: Manifest): boolean {
  return manifest.mediaType === undefined
    ? Array.isArray(manifest.manifests)
    : INDEX_MEDIA_TYPES.includes(manifest.mediaType);
}

/** Whether a media type is one this project reads: an index or an image manifest. */
export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mediaType);
}

/** The index entry BuildKit annotated as an attestation manifest. */
export function isAnnotatedAttestation(entry: Descriptor): boolean {
  return entry.annotations?.[REFERENCE_TYPE] === 'attestation-manifest';
}

/** `os/architecture[/variant]` as the descriptor writes it (not canonicalised: linux/arm64/v8 stays). */
export function platformString(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** Platform → manifest digest of an index, attestation manifests and unknown platforms left out. */
export function platformDigests(index: Manifest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of index.manifests ?? []) {
    if (!m.platform || m.platform.os === 'unknown' || isAnnotatedAttestation(m)) continue;
    out[platformString(m.platform)] = m.digest;
  }
  return out;
}

/** The digest of a document's exact bytes, as the registry computes it. */
export function digestOf(bytes: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** `sha256:0123456789ab` : enough to find it, short enough for a sentence. */
export function shortDigest(digest: string): string {
  const m = /^([a-z0-9]+):([0-9a-f]{12})[0-9a-f]*$/.exec(digest);
  return m ? `${m[1]}:${m[2]}` : digest;
}
