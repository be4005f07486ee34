import { parseInspect } from '../../../src/tools/buildx/builder.js';

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
      buildkitVersion: 'v0.32.2',
      nodes: [
        {
          name: 'multiarch-1-1-abc1230',
          endpoint: 'unix:///run/buildkit/buildkitd.sock',
          status: 'running',
          buildkitVersion: 'v0.32.2',
          platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/arm/v7']
        }
      ]
    });
  });

  test('an inactive builder lists nothing and says unknown', () => {
    expect(parseInspect('Name: x\nDriver: docker-container\n', 'x')).toEqual({
      name: 'x',
      driver: 'docker-container',
      platforms: [],
      buildkitVersion: 'unknown',
      nodes: []
    });
  });
});
