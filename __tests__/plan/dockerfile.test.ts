import { isRemoteContext, dockerfileOf, locateInWorkspace } from '../../src/plan/dockerfile.js';

// Which workspace file a failure's annotation lands on (buildx prints only the base name).

const WS = '/home/runner/work/app/app';

test.each([
  {
    name: 'context only: its Dockerfile',
    inputs: { context: 'svc/api', file: '' },
    platform: undefined,
    expected: 'svc/api/Dockerfile'
  },
  { name: 'the default context', inputs: { context: '.', file: '' }, platform: undefined, expected: 'Dockerfile' },
  {
    name: 'file, relative to the workspace',
    inputs: { context: 'svc/api', file: 'svc/api/Dockerfile.prod' },
    platform: undefined,
    expected: 'svc/api/Dockerfile.prod'
  },
  {
    name: 'an absolute file inside the workspace',
    inputs: { context: '.', file: `${WS}/svc/web/Dockerfile` },
    platform: undefined,
    expected: 'svc/web/Dockerfile'
  },
  {
    name: 'a platform’s own file',
    inputs: {
      context: '.',
      file: 'Dockerfile',
      perPlatform: { 'linux/arm/v6': { file: 'docker/armv6.Dockerfile', buildArgs: [] } }
    },
    platform: 'linux/arm/v6',
    expected: 'docker/armv6.Dockerfile'
  },
  {
    name: 'another platform: the common file',
    inputs: {
      context: '.',
      file: 'svc/Dockerfile',
      perPlatform: { 'linux/arm/v6': { file: 'docker/armv6.Dockerfile', buildArgs: [] } }
    },
    platform: 'linux/amd64',
    expected: 'svc/Dockerfile'
  },
  {
    name: 'a git context: no workspace file',
    inputs: { context: 'https://github.com/acme/app.git#main', file: '' },
    platform: undefined,
    expected: undefined
  },
  {
    name: 'a Dockerfile from stdin: none',
    inputs: { context: '.', file: '-' },
    platform: undefined,
    expected: undefined
  }
])('dockerfileOf: $name', ({ inputs, platform, expected }) => {
  const {
    context,
    file,
    perPlatform = {}
  } = inputs as { context: string; file: string; perPlatform?: Record<string, { file?: string; buildArgs: string[] }> };
  expect(dockerfileOf({ build: { context, file }, perPlatform }, platform, WS, WS)).toBe(expected);
});

test('dockerfileOf: inputs relative to another directory than the workspace', () => {
  expect(dockerfileOf({ build: { context: 'api', file: '' }, perPlatform: {} }, undefined, `${WS}/svc`, WS)).toBe(
    'svc/api/Dockerfile'
  );
});

test.each([
  { printed: 'Dockerfile', dockerfile: 'svc/api/Dockerfile', expected: 'svc/api/Dockerfile' },
  { printed: 'Dockerfile.prod', dockerfile: 'svc/api/Dockerfile.prod', expected: 'svc/api/Dockerfile.prod' },
  { printed: 'Dockerfile', dockerfile: 'svc/api/api.Dockerfile', expected: 'Dockerfile' },
  { printed: 'Dockerfile', dockerfile: undefined, expected: 'Dockerfile' }
])('locateInWorkspace: $printed as $dockerfile', ({ printed, dockerfile, expected }) => {
  expect(locateInWorkspace(printed, dockerfile)).toBe(expected);
});

test.each([
  ['https://github.com/acme/app.git#main', true],
  ['ssh://git@example.com/acme/app.git', true],
  ['git@github.com:acme/app.git', true],
  ['HTTPS://example.com/ctx.tar.gz', true],
  ['svc/api', false],
  ['.', false]
])('isRemoteContext(%j) is %j: the one rule both the input check and the annotation path use', (context, remote) => {
  expect(isRemoteContext(context)).toBe(remote);
});
