import { createHash } from 'node:crypto';

/*
 * The contents of a registry, kept in memory: manifests by repository and digest, tags, and the
 * image config of each image manifest. The fake buildx and the loopback HTTP registry share one,
 * so what a build "pushed" is what a GET reads and what a PUT moves.
 */

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export interface Stored {
  raw: string;
  digest: string;
  mediaType: string;
}

export interface ImageConfig {
  os: string;
  architecture: string;
  variant?: string;
  config: { Labels?: Record<string, string> };
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

export function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** `name:tag` or `name@digest` → its parts (the tag colon is the one after the last slash). */
export function parseRef(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), digest: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon < 0 || ref.lastIndexOf('/') > colon) return { name: ref, tag: 'latest' };
  return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

export function platformOf(id: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = id.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

export class MemoryRegistry {
  private readonly manifests = new Map<string, Map<string, Stored>>();
  private readonly tagMap = new Map<string, Map<string, string>>();
  /** Image config by image manifest digest: what `imagetools inspect --format {{json .Image}}` shows. */
  readonly configs = new Map<string, ImageConfig>();

  /** Stores `raw` in `name` and returns its digest. */
  put(name: string, raw: string, mediaType = (JSON.parse(raw) as { mediaType?: string }).mediaType ?? ''): string {
    const digest = sha256(raw);
    if (!this.manifests.has(name)) this.manifests.set(name, new Map());
    this.manifests.get(name)!.set(digest, { raw, digest, mediaType });
    return digest;
  }

  tag(name: string, tag: string, digest: string): void {
    if (!this.tagMap.has(name)) this.tagMap.set(name, new Map());
    this.tagMap.get(name)!.set(tag, digest);
  }

  /** The manifest a reference points at, or undefined. */
  get(ref: string): Stored | undefined {
    const { name, tag, digest } = parseRef(ref);
    const d = digest ?? this.tagMap.get(name)?.get(tag!);
    return d ? this.manifests.get(name)?.get(d) : undefined;
  }

  /** Deletes a manifest by digest and, as a registry does, every tag that pointed at it. */
  delete(name: string, digest: string): boolean {
    const tags = this.tagMap.get(name);
    for (const [tag, target] of tags ?? []) if (target === digest) tags!.delete(tag);
    return this.manifests.get(name)?.delete(digest) ?? false;
  }

  /** Tag → digest of one repository, tags sorted. */
  tags(name: string): Record<string, string> {
    return Object.fromEntries([...(this.tagMap.get(name) ?? new Map<string, string>())].sort());
  }

  /** One image manifest (its config holding `labels`) for a platform. */
  pushImage(
    name: string,
    platform: string,
    labels: Record<string, string> = {},
    annotations?: Record<string, string>
  ): Descriptor {
    const config: ImageConfig = { ...platformOf(platform), config: { Labels: labels } };
    const configRaw = JSON.stringify(config);
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(configRaw),
        size: configRaw.length
      },
      layers: [],
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {})
    };
    const raw = JSON.stringify(manifest);
    const digest = this.put(name, raw, OCI_MANIFEST);
    this.configs.set(digest, config);
    return { mediaType: OCI_MANIFEST, digest, size: raw.length, platform: platformOf(platform) };
  }

  /** The provenance attestation buildx adds for an image (platform unknown/unknown). */
  pushAttestation(name: string, of: Descriptor): Descriptor {
    // As BuildKit writes it: one in-toto statement layer naming its predicate, and the image as subject.
    const statement = {
      mediaType: 'application/vnd.in-toto+json',
      digest: `sha256:${'0'.repeat(64)}`,
      size: 0,
      annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' }
    };
    const subject = { mediaType: of.mediaType, digest: of.digest, size: of.size };
    const raw = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [statement], subject });
    const digest = this.put(name, raw, OCI_MANIFEST);
    return {
      mediaType: OCI_MANIFEST,
      digest,
      size: raw.length,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: { 'vnd.docker.reference.digest': of.digest, 'vnd.docker.reference.type': 'attestation-manifest' }
    };
  }

  pushIndex(name: string, manifests: Descriptor[], annotations?: Record<string, string>): string {
    const index = {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests,
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {})
    };
    return this.put(name, JSON.stringify(index), OCI_INDEX);
  }

  /** A multi-platform image as a build pushes it: one manifest per platform, in one index. */
  pushPlatforms(
    name: string,
    platforms: string[],
    labels: Record<string, string> = {},
    indexAnnotations?: Record<string, string>
  ): string {
    return this.pushIndex(
      name,
      platforms.map((p) => this.pushImage(name, p, labels)),
      indexAnnotations
    );
  }
}
