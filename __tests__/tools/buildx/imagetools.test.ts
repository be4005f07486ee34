import { platformDigests, type Manifest } from '../../../src/tools/buildx/imagetools.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

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
        }
      ]
    };
    expect(platformDigests(index)).toEqual({ 'linux/amd64': D('a'), 'linux/arm/v7': D('b') });
  });
});
