import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planGhaCache, type ActionsCacheAccess } from '../../src/plan/cache.js';
import { ghaScope } from '../../src/plan/matrix.js';
import { parsePlatforms } from '../../src/plan/platforms.js';
import { readInputs } from '../../src/inputs/read.js';
import { makePlan, type PlanIds } from '../../src/plan/plan.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import type { Context } from '../../src/plan/context.js';
import { context } from '../support/context.js';

const WRITE: ActionsCacheAccess = { read: true, write: true, scopes: ['refs/heads/main (read+write)'] };
const READ_ONLY: ActionsCacheAccess = { read: true, write: false, scopes: ['refs/heads/main (read)'], note: 'why' };
const NONE: ActionsCacheAccess = { read: false, write: false, scopes: [], note: 'no token' };

describe('planGhaCache', () => {
  test.each([
    {
      name: 'a writable token: read and write the scope, mode=max, errors ignored',
      access: WRITE,
      expected: {
        from: ['type=gha,scope=buildcache,version=2'],
        to: ['type=gha,scope=buildcache,mode=max,version=2,ignore-error=true'],
        refs: ['gha:buildcache']
      }
    },
    {
      name: 'a read-only token: read, and no cache-to at all',
      access: READ_ONLY,
      expected: { from: ['type=gha,scope=buildcache,version=2'], to: [], refs: ['gha:buildcache (read only)'] }
    },
    { name: 'no token: no gha cache', access: NONE, expected: { from: [], to: [], refs: [] } },
    { name: 'not read at all (not cache: gha)', access: undefined, expected: { from: [], to: [], refs: [] } }
  ])('$name', ({ access, expected }) => {
    expect(planGhaCache(access, 'buildcache')).toEqual(expected);
  });
});

describe('ghaScope', () => {
  test.each([
    { name: 'one build of every platform: the cache tag', tag: 'buildcache', leg: undefined, expected: 'buildcache' },
    { name: 'a leg: its platform added', tag: 'buildcache', leg: 'linux/arm64', expected: 'buildcache-linux-arm64' },
    { name: 'a variant', tag: 'cache', leg: 'linux/arm/v7', expected: 'cache-linux-arm-v7' }
  ])('$name', ({ tag, leg, expected }) => {
    expect(ghaScope(tag, leg ? parsePlatforms([leg]) : undefined)).toBe(expected);
  });
});

describe('makePlan with cache: gha', () => {
  const IDS: PlanIds = {
    builderName: 'multiarch-1-1-abc',
    metadataFile: '/tmp/multiarch-x/metadata.json',
    secretPaths: {},
    runId: '1'
  };
  const HOST = nativePlatform('x64', 'linux');
  let workspace: string;
  beforeAll(() => {
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gha-plan-'));
    writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
  });
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));
  function cacheArgs(given: Record<string, string | undefined>, ctx: Context): { argv: string[]; refs: string[] } {
    const inputs = readInputs(
      (name) => ({ images: 'ghcr.io/octo/app', cache: 'gha', ...given })[name] ?? '',
      workspace
    );
    const plan = makePlan(inputs, ctx, HOST, new Date('2024-03-05T00:00:00Z'), IDS);
    const argv = plan.steps.flatMap((s) =>
      s.kind === 'build' ? [s.argv] : s.kind === 'builds' ? s.builds.map((b) => b.argv) : []
    );
    const flags = argv.map((a) =>
      a
        .map((arg, i) => (a[i - 1] === '--cache-from' || a[i - 1] === '--cache-to' ? `${a[i - 1]} ${arg}` : ''))
        .filter(Boolean)
        .join(' ')
    );
    return { argv: flags, refs: plan.cache.refs };
  }
  const main = context({ actionsCache: WRITE });

  test.each([
    {
      name: 'one build: one scope for every platform',
      given: { platforms: 'linux/amd64,linux/arm64' },
      ctx: main,
      expected: [
        '--cache-from type=gha,scope=buildcache,version=2 --cache-to type=gha,scope=buildcache,mode=max,version=2,ignore-error=true'
      ]
    },
    {
      name: 'a matrix leg: its own scope',
      given: { mode: 'platform', platforms: 'linux/arm64' },
      ctx: main,
      expected: [
        '--cache-from type=gha,scope=buildcache-linux-arm64,version=2 --cache-to type=gha,scope=buildcache-linux-arm64,mode=max,version=2,ignore-error=true'
      ]
    },
    {
      name: 'per-platform builds: a scope each',
      given: { platforms: 'linux/amd64,linux/arm64', target: 'linux/arm64=slim' },
      ctx: main,
      expected: [
        '--cache-from type=gha,scope=buildcache-linux-amd64,version=2 --cache-to type=gha,scope=buildcache-linux-amd64,mode=max,version=2,ignore-error=true',
        '--cache-from type=gha,scope=buildcache-linux-arm64,version=2 --cache-to type=gha,scope=buildcache-linux-arm64,mode=max,version=2,ignore-error=true'
      ]
    },
    {
      name: 'a read-only token: cache-from only',
      given: { platforms: 'linux/amd64' },
      ctx: context({ actionsCache: READ_ONLY }),
      expected: ['--cache-from type=gha,scope=buildcache,version=2']
    },
    {
      name: 'no token: neither',
      given: { platforms: 'linux/amd64' },
      ctx: context({ actionsCache: NONE }),
      expected: ['']
    },
    {
      name: 'cache-from and cache-to given by hand stay as they are',
      given: {
        platforms: 'linux/amd64',
        'cache-from': 'type=gha,scope=mine',
        'cache-to': 'type=gha,scope=mine,mode=min'
      },
      ctx: main,
      expected: ['--cache-from type=gha,scope=mine --cache-to type=gha,scope=mine,mode=min,ignore-error=true']
    }
  ])('$name', ({ given, ctx, expected }) => {
    expect(cacheArgs(given, ctx).argv).toEqual(expected);
  });
});
