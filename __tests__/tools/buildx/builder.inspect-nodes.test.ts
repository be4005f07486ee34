import { parseInspect, parseInspectNodes } from '../../../src/tools/buildx/builder.js';

// `buildx inspect` of a builder of three remote nodes, the third unreachable (buildx v0.36.1).
const INSPECT = `Name:          b
Driver:        remote
Last Activity: 2026-11-27 15:15:22 +0000 UTC

Nodes:
Name:             na
Endpoint:         unix:///n/amd64.sock
Status:           running
BuildKit version: v0.32.2
Platforms:        linux/amd64*, linux/amd64/v2, linux/arm64
Labels:
 org.mobyproject.buildkit.worker.executor:         oci
GC Policy rule#0:
 All:            false
 Keep Duration:  48h0m0s

Name:             nb
Endpoint:         unix:///n/arm64.sock
Status:           running
BuildKit version: v0.31.0
Platforms:        linux/arm64*, linux/amd64
Labels:
 org.mobyproject.buildkit.worker.hostname:         vm

Name:      nc
Endpoint:  unix:///tmp/nobody.sock
Status:    inactive
Platforms: linux/386*
`;

describe('parseInspectNodes', () => {
  test('each node: endpoint, status, BuildKit version, platforms (the pin marks dropped)', () => {
    expect(parseInspectNodes(INSPECT)).toEqual([
      {
        name: 'na',
        endpoint: 'unix:///n/amd64.sock',
        status: 'running',
        buildkitVersion: 'v0.32.2',
        platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/arm64']
      },
      {
        name: 'nb',
        endpoint: 'unix:///n/arm64.sock',
        status: 'running',
        buildkitVersion: 'v0.31.0',
        platforms: ['linux/arm64', 'linux/amd64']
      },
      {
        name: 'nc',
        endpoint: 'unix:///tmp/nobody.sock',
        status: 'inactive',
        buildkitVersion: 'unknown',
        platforms: ['linux/386']
      }
    ]);
  });

  test('a node buildx could not reach reports its error as its status', () => {
    const text = 'Name: b\nDriver: remote\n\nNodes:\nName: x\nEndpoint: tcp://pi:1\nError: connection refused\n';
    expect(parseInspectNodes(text)).toEqual([
      {
        name: 'x',
        endpoint: 'tcp://pi:1',
        status: 'error: connection refused',
        buildkitVersion: 'unknown',
        platforms: []
      }
    ]);
  });

  test('parseInspect keeps the first node’s version and the union of the platforms, and lists the nodes', () => {
    const info = parseInspect(INSPECT, 'b');
    expect([info.buildkitVersion, info.platforms, info.nodes?.map((n) => n.name)]).toEqual([
      'v0.32.2',
      ['linux/amd64', 'linux/amd64/v2', 'linux/arm64', 'linux/386'],
      ['na', 'nb', 'nc']
    ]);
  });
});
