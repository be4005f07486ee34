import { context } from '../support/context.js';
import { InputError } from '../../src/plan/errors.js';
import { cacheScope, legTag, parseDigestRefs, platformSlug } from '../../src/plan/matrix.js';
import { parsePlatforms } from '../../src/plan/platforms.js';

const OTHER_SHA = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
const DIGEST = `sha256:${'a1'.repeat(32)}`;

const p = (list: string) => parsePlatforms(list.split(','));

describe('platformSlug', () => {
  test.each([
    { name: 'one platform', platforms: 'linux/arm64', expected: 'linux-arm64' },
    { name: 'a variant', platforms: 'linux/arm/v7', expected: 'linux-arm-v7' },
    { name: 'an alias is normalised first', platforms: 'aarch64', expected: 'linux-arm64' },
    { name: 'two platforms joined by _', platforms: 'linux/amd64,linux/arm/v6', expected: 'linux-amd64_linux-arm-v6' }
  ])('$name', ({ platforms, expected }) => {
    expect(platformSlug(p(platforms))).toBe(expected);
  });
});

describe('legTag', () => {
  test.each([
    {
      name: 'one platform',
      ctx: context(),
      runId: '7001',
      platforms: 'linux/arm64',
      expected: 'leg-860c190-7001-linux-arm64'
    },
    {
      name: 'a variant',
      ctx: context(),
      runId: '7001',
      platforms: 'linux/arm/v7',
      expected: 'leg-860c190-7001-linux-arm-v7'
    },
    {
      name: 'a leg of two platforms',
      ctx: context(),
      runId: '7001',
      platforms: 'linux/amd64,linux/riscv64',
      expected: 'leg-860c190-7001-linux-amd64_linux-riscv64'
    },
    {
      name: 'a local run id',
      ctx: context(),
      runId: 'local-m1x2y3',
      platforms: 'linux/amd64',
      expected: 'leg-860c190-local-m1x2y3-linux-amd64'
    },
    {
      name: 'another commit',
      ctx: context({ sha: OTHER_SHA }),
      runId: '7001',
      platforms: 'linux/arm64',
      expected: 'leg-0a1b2c3-7001-linux-arm64'
    }
  ])('$name', ({ ctx, runId, platforms, expected }) => {
    expect(legTag(ctx, runId, p(platforms))).toBe(expected);
  });

  test.each([
    { name: 'two runs of the same commit', a: [context(), '7001'] as const, b: [context(), '7002'] as const },
    {
      name: 'two commits in the same run id',
      a: [context(), '7001'] as const,
      b: [context({ sha: OTHER_SHA }), '7001'] as const
    }
  ])('$name leave different tags', ({ a, b }) => {
    expect(legTag(a[0], a[1], p('linux/arm64'))).not.toBe(legTag(b[0], b[1], p('linux/arm64')));
  });

  test('the two platforms of one run get different tags', () => {
    expect(legTag(context(), '7001', p('linux/amd64'))).not.toBe(legTag(context(), '7001', p('linux/arm64')));
  });
});

describe('parseDigestRefs', () => {
  test.each([
    { name: 'no items', items: [], expected: [] },
    { name: 'a bare digest means the first image', items: [DIGEST], expected: [`ghcr.io/octo/app@${DIGEST}`] },
    {
      name: 'a full reference is kept',
      items: [`docker.io/octo/app@${DIGEST}`],
      expected: [`docker.io/octo/app@${DIGEST}`]
    },
    {
      name: 'a tag before the digest is kept (the digest decides)',
      items: [`ghcr.io/octo/app:1.2@${DIGEST}`],
      expected: [`ghcr.io/octo/app:1.2@${DIGEST}`]
    },
    {
      name: 'a registry with a port',
      items: [`localhost:5000/octo/app@${DIGEST}`],
      expected: [`localhost:5000/octo/app@${DIGEST}`]
    },
    {
      name: 'mixed, order kept',
      items: [`ghcr.io/octo/app@${DIGEST}`, `sha256:${'b2'.repeat(32)}`],
      expected: [`ghcr.io/octo/app@${DIGEST}`, `ghcr.io/octo/app@sha256:${'b2'.repeat(32)}`]
    }
  ])('$name', ({ items, expected }) => {
    expect(parseDigestRefs(items, 'ghcr.io/octo/app')).toEqual(expected);
  });

  test.each([
    { name: 'a tag, not a digest', item: 'ghcr.io/octo/app:1.2.3' },
    { name: 'digest too short', item: `sha256:${'a1'.repeat(31)}` },
    { name: 'digest too long', item: `sha256:${'a1'.repeat(32)}0` },
    { name: 'upper-case hex', item: `sha256:${'A1'.repeat(32)}` },
    { name: 'another algorithm', item: `sha512:${'a1'.repeat(32)}` },
    { name: 'no algorithm', item: 'a1'.repeat(32) },
    { name: 'empty name before @', item: `@${DIGEST}` },
    { name: 'a space in the name', item: `ghcr.io/octo/my app@${DIGEST}` },
    { name: 'two @', item: `ghcr.io/octo/app@v1@${DIGEST}` }
  ])('rejects $name', ({ item }) => {
    let error: unknown;
    try {
      parseDigestRefs([DIGEST, item], 'ghcr.io/octo/app');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('digests');
    expect((error as InputError).value).toBe(item);
    expect((error as InputError).message).toContain('image@sha256:<64 hex> or sha256:<64 hex>');
  });
});

describe('cacheScope', () => {
  test.each([
    {
      name: 'default branch writes the tag',
      ctx: context(),
      leg: undefined,
      expected: { write: 'buildcache', readOnly: [] }
    },
    {
      name: 'default branch known by name',
      ctx: context({
        ref: 'refs/heads/develop',
        repo: { fullName: 'octo/app', htmlUrl: '', defaultBranch: 'develop' }
      }),
      leg: undefined,
      expected: { write: 'buildcache', readOnly: [] }
    },
    {
      name: 'feature branch writes its own, reads the default',
      ctx: context({ ref: 'refs/heads/feature/login' }),
      leg: undefined,
      expected: { write: 'buildcache-feature-login', readOnly: ['buildcache'] }
    },
    {
      name: 'pull request writes pr-N, reads the default',
      ctx: context({
        eventName: 'pull_request',
        ref: 'refs/pull/12/merge',
        pr: { number: 12, baseRef: 'main', headRef: 'feature/login' }
      }),
      leg: undefined,
      expected: { write: 'buildcache-pr-12', readOnly: ['buildcache'] }
    },
    {
      name: 'tag push writes the tag',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      leg: undefined,
      expected: { write: 'buildcache', readOnly: [] }
    },
    {
      name: 'no branch and no PR (a detached local build)',
      ctx: context({ eventName: 'git', ref: '' }),
      leg: undefined,
      expected: { write: 'buildcache', readOnly: [] }
    },
    {
      name: 'no default branch known: main is assumed',
      ctx: context({ ref: 'refs/heads/main', repo: { fullName: 'octo/app', htmlUrl: '' } }),
      leg: undefined,
      expected: { write: 'buildcache', readOnly: [] }
    },
    {
      name: 'a leg on the default branch adds its platform',
      ctx: context(),
      leg: p('linux/arm64'),
      expected: { write: 'buildcache-linux-arm64', readOnly: [] }
    },
    {
      name: 'a leg with a variant',
      ctx: context(),
      leg: p('linux/arm/v7'),
      expected: { write: 'buildcache-linux-arm-v7', readOnly: [] }
    },
    {
      name: 'a leg on a feature branch reads its platform on the default',
      ctx: context({ ref: 'refs/heads/feature/login' }),
      leg: p('linux/arm64'),
      expected: { write: 'buildcache-linux-arm64-feature-login', readOnly: ['buildcache-linux-arm64'] }
    },
    {
      name: 'a leg of a pull request',
      ctx: context({ eventName: 'pull_request', ref: 'refs/pull/7/merge' }),
      leg: p('linux/amd64'),
      expected: { write: 'buildcache-linux-amd64-pr-7', readOnly: ['buildcache-linux-amd64'] }
    },
    {
      name: 'a long branch name is cut to 128 characters',
      ctx: context({ ref: `refs/heads/${'x'.repeat(200)}` }),
      leg: undefined,
      expected: { write: `buildcache-${'x'.repeat(117)}`, readOnly: ['buildcache'] }
    }
  ])('$name', ({ ctx, leg, expected }) => {
    expect(cacheScope(ctx, 'buildcache', leg)).toEqual(expected);
  });

  test('a custom cache tag is the base', () => {
    expect(cacheScope(context({ ref: 'refs/heads/fix' }), 'cache', p('linux/riscv64'))).toEqual({
      write: 'cache-linux-riscv64-fix',
      readOnly: ['cache-linux-riscv64']
    });
  });
});
