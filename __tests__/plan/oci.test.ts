import { createHash } from 'node:crypto';
import {
  digestOf,
  isIndex,
  isManifestMediaType,
  MANIFEST_MEDIA_TYPES,
  platformDigests,
  shortDigest,
  type Manifest
} from '../../src/plan/oci.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

// The media types as the OCI image spec and Docker's registry spec spell them, written out here
// rather than imported, so a typo in the module fails a test.
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

describe('platformDigests', () => {
  test('attestation manifests and unknown platforms are left out; variants kept', () => {
    const index: Manifest = {
      manifests: [
        { digest: D('a'), platform: { os: 'linux', architecture: 'amd64' } },
        { digest: D('b'), platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        {
          digest: D('c'),
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' }
        },
        // Annotated as an attestation though it names a platform: still not an image.
        {
          digest: D('d'),
          platform: { os: 'linux', architecture: 'riscv64' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' }
        },
        { digest: D('e') }
      ]
    };
    expect(platformDigests(index)).toEqual({ 'linux/amd64': D('a'), 'linux/arm/v7': D('b') });
  });
});

describe('isIndex', () => {
  test.each<{ name: string; manifest: Manifest; index: boolean }>([
    { name: 'OCI image index', manifest: { mediaType: OCI_INDEX, manifests: [] }, index: true },
    { name: 'Docker manifest list', manifest: { mediaType: DOCKER_LIST, manifests: [] }, index: true },
    { name: 'OCI image manifest', manifest: { mediaType: OCI_MANIFEST, layers: [] }, index: false },
    { name: 'Docker image manifest', manifest: { mediaType: DOCKER_MANIFEST, layers: [] }, index: false },
    { name: 'no media type, with entries (OCI allows omitting it)', manifest: { manifests: [] }, index: true },
    { name: 'no media type, no entries', manifest: { layers: [] }, index: false },
    {
      name: 'an image manifest that also lists entries',
      manifest: { mediaType: OCI_MANIFEST, manifests: [] },
      index: false
    }
  ])('$name', ({ manifest, index }) => {
    expect(isIndex(manifest)).toBe(index);
  });
});

describe('the media types the registry client asks for and accepts', () => {
  test('indexes and image manifests, OCI and Docker alike, indexes first', () => {
    expect(MANIFEST_MEDIA_TYPES).toEqual([OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST]);
  });

  test.each([
    { mediaType: OCI_INDEX, accepted: true },
    { mediaType: DOCKER_MANIFEST, accepted: true },
    { mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws', accepted: false },
    { mediaType: 'application/vnd.in-toto+json', accepted: false },
    { mediaType: '', accepted: false }
  ])('$mediaType: $accepted', ({ mediaType, accepted }) => {
    expect(isManifestMediaType(mediaType)).toBe(accepted);
  });
});

describe('digests', () => {
  test('digestOf hashes the exact bytes, string or buffer alike', () => {
    const raw = '{"schemaVersion":2}\n';
    const expected = `sha256:${createHash('sha256').update(Buffer.from(raw, 'utf8')).digest('hex')}`;
    expect(digestOf(raw)).toBe(expected);
    expect(digestOf(Buffer.from(raw, 'utf8'))).toBe(expected);
    expect(digestOf(raw.trimEnd())).not.toBe(expected);
  });

  test.each([
    { name: 'sha256 digest', digest: D('9'), short: 'sha256:999999999999' },
    {
      name: 'a real digest',
      digest: 'sha256:96c339e1e732f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081920',
      short: 'sha256:96c339e1e732'
    },
    { name: 'not a digest', digest: 'latest', short: 'latest' }
  ])('shortDigest: $name', ({ digest, short }) => {
    expect(shortDigest(digest)).toBe(short);
  });
});
