import { cacheProblems, parseInspect, platformDigests, type Manifest } from '../../../src/tools/buildx/commands.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

describe('cacheProblems', () => {
  test.each([
    {
      name: 'an unreachable cache registry, read and write',
      output: [
        '#6 importing cache manifest from 127.0.0.1:5009/nothing/here:cache',
        '#6 ERROR: failed to configure registry cache importer: failed to do request: connection reset by peer',
        '#7 [linux/amd64 1/3] FROM 127.0.0.1:5000/base/busybox:latest',
        '#7 CACHED',
        '#10 exporting cache to registry',
        '#10 preparing build cache for export 0.1s done',
        '#10 ERROR: error writing layer blob: dial tcp 127.0.0.1:5009: connect: connection refused',
        '#11 resolving provenance for metadata file'
      ].join('\n'),
      expected: [
        {
          direction: 'read',
          ref: '127.0.0.1:5009/nothing/here:cache',
          error: 'failed to configure registry cache importer: failed to do request: connection reset by peer'
        },
        {
          direction: 'write',
          ref: '',
          error: 'error writing layer blob: dial tcp 127.0.0.1:5009: connect: connection refused'
        }
      ]
    },
    {
      name: 'a healthy cache',
      output: [
        '#6 importing cache manifest from r/app:buildcache',
        '#6 DONE 0.1s',
        '#10 exporting cache to registry',
        '#10 DONE 0.4s'
      ].join('\n'),
      expected: []
    },
    {
      name: 'a failing RUN step is not a cache problem',
      output: [
        '#6 importing cache manifest from r/app:buildcache',
        '#6 DONE 0.1s',
        '#8 [linux/arm64 2/3] RUN exit 1',
        '#8 ERROR: process "/bin/sh -c exit 1" did not complete successfully'
      ].join('\n'),
      expected: []
    }
  ])('$name', ({ output, expected }) => {
    expect(cacheProblems(output)).toEqual(expected);
  });
});

describe('parseInspect', () => {
  test('a remote builder with its platforms and BuildKit version', () => {
    const text = [
      'Name:          multiarch-1-1-abc123',
      'Driver:        remote',
      '',
      'Nodes:',
      'Name:                  multiarch-1-1-abc1230',
      'Endpoint:              unix:///run/buildkit/buildkitd.sock',
      'Status:                running',
      'BuildKit version:      v0.32.2',
      'Platforms:             linux/amd64, linux/amd64/v2, linux/arm64*, linux/arm/v7'
    ].join('\n');
    expect(parseInspect(text, 'multiarch-1-1-abc123')).toEqual({
      name: 'multiarch-1-1-abc123',
      driver: 'remote',
      platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/arm/v7'],
      buildkitVersion: 'v0.32.2'
    });
  });

  test('an inactive builder lists nothing and says unknown', () => {
    expect(parseInspect('Name: x\nDriver: docker-container\n', 'x')).toEqual({
      name: 'x',
      driver: 'docker-container',
      platforms: [],
      buildkitVersion: 'unknown'
    });
  });
});

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
