import { cacheUse, planCache, type CacheOptions, type CachePlan } from '../../src/plan/cache.js';
import type { Context } from '../../src/plan/context.js';
import { context } from '../support/context.js';
import { cacheScope } from '../../src/plan/matrix.js';
import { parsePlatforms } from '../../src/plan/platforms.js';

const IMAGE = 'ghcr.io/octo/app';

function options(over: Partial<CacheOptions> = {}): CacheOptions {
  return { read: true, write: true, image: IMAGE, tag: 'buildcache', cacheFrom: [], cacheTo: [], ...over };
}

/** What the action does: the scope decides the tags, planCache the refs. */
function planFor(ctx: Context, leg?: string): CachePlan {
  const scope = cacheScope(ctx, 'buildcache', leg ? parsePlatforms([leg]) : undefined);
  return planCache(options({ tag: scope.write, readOnlyTags: scope.readOnly }));
}

const WRITE_OPTS = 'mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true';

describe('planCache by where the build runs', () => {
  test.each([
    {
      name: 'default branch writes buildcache',
      ctx: context(),
      leg: undefined,
      expected: {
        from: ['type=registry,ref=ghcr.io/octo/app:buildcache'],
        to: [`type=registry,ref=ghcr.io/octo/app:buildcache,${WRITE_OPTS}`],
        refs: ['ghcr.io/octo/app:buildcache']
      }
    },
    {
      name: 'feature branch writes buildcache-<branch>, reads buildcache without writing it',
      ctx: context({ ref: 'refs/heads/feature/login' }),
      leg: undefined,
      expected: {
        from: [
          'type=registry,ref=ghcr.io/octo/app:buildcache-feature-login',
          'type=registry,ref=ghcr.io/octo/app:buildcache'
        ],
        to: [`type=registry,ref=ghcr.io/octo/app:buildcache-feature-login,${WRITE_OPTS}`],
        refs: ['ghcr.io/octo/app:buildcache-feature-login', 'ghcr.io/octo/app:buildcache']
      }
    },
    {
      name: 'pull request writes buildcache-pr-N',
      ctx: context({
        eventName: 'pull_request',
        ref: 'refs/pull/42/merge',
        pr: { number: 42, baseRef: 'main', headRef: 'fix' }
      }),
      leg: undefined,
      expected: {
        from: ['type=registry,ref=ghcr.io/octo/app:buildcache-pr-42', 'type=registry,ref=ghcr.io/octo/app:buildcache'],
        to: [`type=registry,ref=ghcr.io/octo/app:buildcache-pr-42,${WRITE_OPTS}`],
        refs: ['ghcr.io/octo/app:buildcache-pr-42', 'ghcr.io/octo/app:buildcache']
      }
    },
    {
      name: 'tag push writes buildcache',
      ctx: context({ ref: 'refs/tags/v1.2.3' }),
      leg: undefined,
      expected: {
        from: ['type=registry,ref=ghcr.io/octo/app:buildcache'],
        to: [`type=registry,ref=ghcr.io/octo/app:buildcache,${WRITE_OPTS}`],
        refs: ['ghcr.io/octo/app:buildcache']
      }
    },
    {
      name: 'a matrix leg adds its platform',
      ctx: context(),
      leg: 'linux/arm64',
      expected: {
        from: ['type=registry,ref=ghcr.io/octo/app:buildcache-linux-arm64'],
        to: [`type=registry,ref=ghcr.io/octo/app:buildcache-linux-arm64,${WRITE_OPTS}`],
        refs: ['ghcr.io/octo/app:buildcache-linux-arm64']
      }
    },
    {
      name: 'a matrix leg on a feature branch',
      ctx: context({ ref: 'refs/heads/fix' }),
      leg: 'linux/arm64',
      expected: {
        from: [
          'type=registry,ref=ghcr.io/octo/app:buildcache-linux-arm64-fix',
          'type=registry,ref=ghcr.io/octo/app:buildcache-linux-arm64'
        ],
        to: [`type=registry,ref=ghcr.io/octo/app:buildcache-linux-arm64-fix,${WRITE_OPTS}`],
        refs: ['ghcr.io/octo/app:buildcache-linux-arm64-fix', 'ghcr.io/octo/app:buildcache-linux-arm64']
      }
    }
  ])('$name', ({ ctx, leg, expected }) => {
    expect(planFor(ctx, leg)).toEqual(expected);
  });
});

describe('planCache options', () => {
  test.each([
    {
      name: 'disabled: nothing',
      options: options({ read: false, write: false }),
      expected: { from: [], to: [], refs: [] }
    },
    { name: 'no image: nothing', options: options({ image: undefined }), expected: { from: [], to: [], refs: [] } },
    {
      name: 'disabled with read-only tags: still nothing',
      options: options({ read: false, write: false, readOnlyTags: ['buildcache'] }),
      expected: { from: [], to: [], refs: [] }
    },
    {
      name: 'explicit cache-from and cache-to replace the registry cache',
      options: options({
        cacheFrom: ['type=registry,ref=ghcr.io/octo/cache:main'],
        cacheTo: ['type=registry,ref=ghcr.io/octo/cache:main,mode=max']
      }),
      expected: {
        from: ['type=registry,ref=ghcr.io/octo/cache:main'],
        to: ['type=registry,ref=ghcr.io/octo/cache:main,mode=max,ignore-error=true'],
        refs: ['ghcr.io/octo/cache:main']
      }
    },
    {
      name: 'explicit cache-to keeps the ignore-error the user chose',
      options: options({ cacheTo: ['type=registry,ref=ghcr.io/octo/cache:main,ignore-error=false'] }),
      expected: {
        from: [],
        to: ['type=registry,ref=ghcr.io/octo/cache:main,ignore-error=false'],
        refs: ['ghcr.io/octo/cache:main']
      }
    },
    {
      name: 'type=inline is left untouched',
      options: options({ cacheTo: ['type=inline'] }),
      expected: { from: [], to: ['type=inline'], refs: [] }
    },
    {
      name: 'gha cache gets ignore-error, names no registry ref',
      options: options({ cacheFrom: ['type=gha'], cacheTo: ['type=gha,mode=max'] }),
      expected: { from: ['type=gha'], to: ['type=gha,mode=max,ignore-error=true'], refs: [] }
    },
    {
      name: 'explicit cache applies even when the registry cache is off',
      options: options({ read: false, write: false, cacheFrom: ['type=local,src=/tmp/cache'] }),
      expected: { from: ['type=local,src=/tmp/cache'], to: [], refs: [] }
    },
    {
      name: 'explicit cache replaces the read-only default too',
      options: options({ readOnlyTags: ['buildcache'], cacheFrom: ['type=registry,ref=ghcr.io/octo/cache:x'] }),
      expected: { from: ['type=registry,ref=ghcr.io/octo/cache:x'], to: [], refs: ['ghcr.io/octo/cache:x'] }
    },
    {
      name: 'two explicit sources, refs once each',
      options: options({
        cacheFrom: ['type=registry,ref=ghcr.io/octo/cache:a', 'type=registry,ref=ghcr.io/octo/cache:b'],
        cacheTo: ['type=registry,ref=ghcr.io/octo/cache:a,mode=max']
      }),
      expected: {
        from: ['type=registry,ref=ghcr.io/octo/cache:a', 'type=registry,ref=ghcr.io/octo/cache:b'],
        to: ['type=registry,ref=ghcr.io/octo/cache:a,mode=max,ignore-error=true'],
        refs: ['ghcr.io/octo/cache:a', 'ghcr.io/octo/cache:b']
      }
    },
    {
      name: 'another cache tag on another image',
      options: options({ image: 'docker.io/octo/app', tag: 'cache' }),
      expected: {
        from: ['type=registry,ref=docker.io/octo/app:cache'],
        to: [`type=registry,ref=docker.io/octo/app:cache,${WRITE_OPTS}`],
        refs: ['docker.io/octo/app:cache']
      }
    }
  ])('$name', ({ options, expected }) => {
    expect(planCache(options)).toEqual(expected);
  });

  test('a bare ref becomes a registry cache, ignore-error appended on the write side', () => {
    const plan = planCache(options({ cacheFrom: ['ghcr.io/octo/cache:main'], cacheTo: ['ghcr.io/octo/cache:main'] }));
    expect(plan.from).toEqual(['type=registry,ref=ghcr.io/octo/cache:main']);
    expect(plan.to).toEqual(['type=registry,ref=ghcr.io/octo/cache:main,ignore-error=true']);
  });

  // refs are read from the specs as given, before a bare ref is expanded to type=registry,ref=…,
  // so the summary says "Cache: off" for a cache that is on. Remove `.failing` once fixed.
  test('BUG: a bare cache-from/cache-to ref is missing from refs (summary says off)', () => {
    expect(
      planCache(options({ cacheFrom: ['ghcr.io/octo/cache:main'], cacheTo: ['ghcr.io/octo/cache:main'] })).refs
    ).toEqual(['ghcr.io/octo/cache:main']);
  });
});

describe('cacheUse: the cache input as a read and a write decision', () => {
  const where = { image: true, push: true, forkPullRequest: false };
  test.each([
    {
      name: 'auto, pushing: read and write',
      setting: 'auto' as const,
      over: {},
      expected: { read: true, write: true }
    },
    {
      name: 'auto, not pushing (a pull request of the quick start): read only',
      setting: 'auto' as const,
      over: { push: false },
      expected: { read: true, write: false }
    },
    {
      name: "auto, pushing from a fork's pull request: read only",
      setting: 'auto' as const,
      over: { forkPullRequest: true },
      expected: { read: true, write: false }
    },
    {
      name: 'auto without an image: nothing',
      setting: 'auto' as const,
      over: { image: false, push: false },
      expected: { read: false, write: false }
    },
    {
      name: 'true, not pushing: read and write',
      setting: true,
      over: { push: false },
      expected: { read: true, write: true }
    },
    { name: 'false: nothing', setting: false, over: {}, expected: { read: false, write: false } }
  ])('$name', ({ setting, over, expected }) => {
    expect(cacheUse(setting, { ...where, ...over })).toEqual(expected);
  });
});

describe('planCache: read without writing', () => {
  test.each([
    {
      name: "a pull request reads the default branch's cache only (its own scope is never written)",
      options: options({ write: false, tag: 'buildcache-pr-42', readOnlyTags: ['buildcache'] }),
      expected: {
        from: ['type=registry,ref=ghcr.io/octo/app:buildcache'],
        to: [],
        refs: ['ghcr.io/octo/app:buildcache']
      }
    },
    {
      name: 'the default branch without pushing reads its own cache',
      options: options({ write: false }),
      expected: {
        from: ['type=registry,ref=ghcr.io/octo/app:buildcache'],
        to: [],
        refs: ['ghcr.io/octo/app:buildcache']
      }
    }
  ])('$name', ({ options: given, expected }) => {
    expect(planCache(given)).toEqual(expected);
  });
});
