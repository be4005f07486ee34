import { parsePep440 } from '../../../src/plan/tags/versions.js';

describe('parsePep440', () => {
  test.each([
    { name: 'release', given: '1.2.3', normalized: '1.2.3' },
    { name: 'leading v', given: 'v1.2.3', normalized: '1.2.3' },
    { name: 'rc', given: '1.2.3rc2', normalized: '1.2.3rc2' },
    { name: 'beta spelled out', given: '1.2.3beta2', normalized: '1.2.3b2' },
    { name: 'alpha with separators', given: '1.2.3-alpha.1', normalized: '1.2.3a1' },
    { name: 'preview is rc', given: '1.0preview', normalized: '1.0rc0' },
    { name: 'post', given: '1.2.3post1', normalized: '1.2.3.post1' },
    { name: 'implicit post', given: '1.2.3-4', normalized: '1.2.3.post4' },
    { name: 'dev', given: '1.0dev4', normalized: '1.0.dev4' },
    { name: 'epoch and local', given: '2!1.0+Ubuntu-1', normalized: '2!1.0+ubuntu.1' },
    { name: 'leading zeros', given: '01.002', normalized: '1.2' }
  ])('$name', ({ given, normalized }) => {
    expect(parsePep440(given)?.normalized).toBe(normalized);
  });

  test.each(['1.2.3-beta.x', 'release1', '', '1..2'])('rejects %j', (given) => {
    expect(parsePep440(given)).toBeUndefined();
  });
});
