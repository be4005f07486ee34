import { InputError } from '../../src/plan/errors.js';
import { releaseTag } from '../../src/plan/release-tag.js';

describe('releaseTag: a buildx release version, as the buildx-version input takes it', () => {
  test.each([
    { name: 'with v', given: 'v0.36.1', tag: 'v0.36.1' },
    { name: 'without v', given: '0.36.1', tag: 'v0.36.1' },
    { name: 'surrounding spaces', given: ' v0.36.1 ', tag: 'v0.36.1' },
    { name: 'release candidate', given: 'v0.13.0-rc1', tag: 'v0.13.0-rc1' }
  ])('$name', ({ given, tag }) => {
    expect(releaseTag(given)).toBe(tag);
  });

  test.each([
    { name: 'latest (the reader resolves it to a release first)', given: 'latest' },
    { name: 'two parts', given: 'v0.36' },
    { name: 'a range', given: '^0.36.1' }
  ])('refused: $name', ({ given }) => {
    expect(() => releaseTag(given)).toThrow(
      new InputError('buildx-version', given, 'a release version like v0.36.1, or latest')
    );
  });
});
