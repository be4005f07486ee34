import { parseReference, repositoryOf, tagOf, withDigest, withTag } from '../../src/plan/reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseReference: one parser for every spelling', () => {
  test.each([
    { ref: 'app', expected: { name: 'app' } },
    { ref: 'ghcr.io/octo/app:1.2.3', expected: { name: 'ghcr.io/octo/app', tag: '1.2.3' } },
    { ref: '127.0.0.1:5000/app', expected: { name: '127.0.0.1:5000/app' } },
    { ref: '127.0.0.1:5000/app:latest', expected: { name: '127.0.0.1:5000/app', tag: 'latest' } },
    { ref: `127.0.0.1:5000/app@${DIGEST}`, expected: { name: '127.0.0.1:5000/app', digest: DIGEST } },
    {
      ref: `127.0.0.1:5000/app:1.0@${DIGEST}`,
      expected: { name: '127.0.0.1:5000/app', tag: '1.0', digest: DIGEST }
    }
  ])('$ref', ({ ref, expected }) => {
    expect(parseReference(ref)).toEqual(expected);
  });
});

test.each([
  { ref: '127.0.0.1:5000/acme/app:1.2', repository: '127.0.0.1:5000/acme/app', tag: '1.2' },
  { ref: `ghcr.io/octo/app@${DIGEST}`, repository: 'ghcr.io/octo/app', tag: '' },
  { ref: 'localhost:5000/app', repository: 'localhost:5000/app', tag: '' },
  { ref: '127.0.0.1:5000/e2e/app:main', repository: '127.0.0.1:5000/e2e/app', tag: 'main' },
  { ref: `ghcr.io/acme/app:1@${DIGEST}`, repository: 'ghcr.io/acme/app', tag: '1' },
  { ref: 'acme/app:latest', repository: 'acme/app', tag: 'latest' }
])('repositoryOf and tagOf $ref', ({ ref, repository, tag }) => {
  expect([repositoryOf(ref), tagOf(ref)]).toEqual([repository, tag]);
});

test('withTag and withDigest replace what the reference names, keeping a registry port', () => {
  expect(withTag('127.0.0.1:5000/app:1.0', 'latest')).toBe('127.0.0.1:5000/app:latest');
  expect(withTag(`127.0.0.1:5000/app@${DIGEST}`, '2')).toBe('127.0.0.1:5000/app:2');
  expect(withDigest('127.0.0.1:5000/app:1.0', DIGEST)).toBe(`127.0.0.1:5000/app@${DIGEST}`);
});
