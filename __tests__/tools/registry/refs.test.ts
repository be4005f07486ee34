import { parseName, sameRepository, splitRef } from '../../../src/tools/registry/refs.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseName: the registry host and repository the API uses', () => {
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
      name: 'docker.io spelled out',
      given: 'docker.io/library/alpine',
      expected: { host: 'registry-1.docker.io', repository: 'library/alpine' }
    }
  ])('$name', ({ given, expected }) => {
    expect(parseName(given)).toEqual(expected);
  });
});

describe('splitRef', () => {
  test.each([
    { name: 'a tag', given: 'ghcr.io/acme/app:1.2.3', expected: { name: 'ghcr.io/acme/app', tag: '1.2.3' } },
    { name: 'a digest', given: `ghcr.io/acme/app@${DIGEST}`, expected: { name: 'ghcr.io/acme/app', digest: DIGEST } },
    { name: 'a port but no tag', given: '127.0.0.1:5000/app', expected: { name: '127.0.0.1:5000/app' } },
    {
      name: 'a port and a tag',
      given: '127.0.0.1:5000/app:latest',
      expected: { name: '127.0.0.1:5000/app', tag: 'latest' }
    }
  ])('$name', ({ given, expected }) => {
    expect(splitRef(given)).toEqual(expected);
  });
});

describe('sameRepository: only tags in the pushed repository are moved by a direct PUT', () => {
  test.each([
    { name: 'same repository', tag: '127.0.0.1:5000/app:1', source: `127.0.0.1:5000/app@${DIGEST}`, expected: true },
    {
      name: 'another repository',
      tag: '127.0.0.1:5000/other:1',
      source: `127.0.0.1:5000/app@${DIGEST}`,
      expected: false
    },
    { name: 'another registry', tag: 'ghcr.io/acme/app:1', source: `docker.io/acme/app@${DIGEST}`, expected: false }
  ])('$name', ({ tag, source, expected }) => {
    expect(sameRepository(tag, source)).toBe(expected);
  });
});
