import { credentialKeys, registryTarget } from '../../src/plan/hosts.js';

describe('registryTarget: the registry host and repository the API uses', () => {
  test.each([
    {
      name: 'a local registry with a port',
      given: '127.0.0.1:5000/acme/app',
      expected: { host: '127.0.0.1:5000', repository: 'acme/app' }
    },
    { name: 'GHCR', given: 'ghcr.io/acme/app', expected: { host: 'ghcr.io', repository: 'acme/app' } },
    { name: 'localhost without a port', given: 'localhost/app', expected: { host: 'localhost', repository: 'app' } },
    {
      name: 'Docker Hub user image',
      given: 'acme/app',
      expected: { host: 'registry-1.docker.io', repository: 'acme/app' }
    },
    {
      name: 'Docker Hub official image',
      given: 'busybox',
      expected: { host: 'registry-1.docker.io', repository: 'library/busybox' }
    },
    {
      name: 'index.docker.io, the older alias',
      given: 'index.docker.io/acme/app',
      expected: { host: 'registry-1.docker.io', repository: 'acme/app' }
    },
    {
      name: 'docker.io spelled out',
      given: 'docker.io/library/alpine',
      expected: { host: 'registry-1.docker.io', repository: 'library/alpine' }
    }
  ])('$name', ({ given, expected }) => {
    expect(registryTarget(given)).toEqual(expected);
  });
});

describe('credentialKeys: where docker login stored a host', () => {
  test.each([
    {
      name: "Docker Hub: the legacy index URL docker login writes, then the host's other spellings",
      host: 'registry-1.docker.io',
      expected: ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']
    },
    {
      name: 'any other registry: the host, then with a scheme',
      host: '127.0.0.1:5000',
      expected: ['127.0.0.1:5000', 'https://127.0.0.1:5000', 'http://127.0.0.1:5000']
    }
  ])('$name', ({ host, expected }) => {
    expect(credentialKeys(host)).toEqual(expected);
  });
});
