import type { TagResult } from '../../../src/plan/tags/compute.js';
import { heldByPlan, holdBackFloating } from '../../../src/plan/tags/hold-back.js';
import { context } from '../../support/context.js';
import { run } from './support.js';

describe('holdBackFloating', () => {
  const release = (tag: string, flavor = ''): TagResult => run(context({ ref: `refs/tags/${tag}` }), '', flavor);

  test.each([
    {
      name: 'v1.1.9 released after 1.2.3: 1 and latest stay, 1.1 moves',
      result: release('v1.1.9'),
      current: { '1.1': '1.1.8', '1': '1.2.3', latest: '1.2.3' },
      tags: ['1.1.9', '1.1', 'v1.1.9', 'sha-860c190'],
      held: [
        { tag: '1', current: '1.2.3', ours: '1.1.9', reason: 'newer' },
        { tag: 'latest', current: '1.2.3', ours: '1.1.9', reason: 'newer' }
      ]
    },
    {
      name: 'a newer release moves everything',
      result: release('v1.2.4'),
      current: { '1.2': '1.2.3', '1': '1.2.3', latest: '1.2.3' },
      tags: ['1.2.4', '1.2', '1', 'v1.2.4', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'the same version again (a rebuild) moves',
      result: release('v1.2.3'),
      current: { '1.2': '1.2.3', '1': '1.2.3', latest: '1.2.3' },
      tags: ['1.2.3', '1.2', '1', 'v1.2.3', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'first release: no tag exists yet',
      result: release('v1.0.0'),
      current: {},
      tags: ['1.0.0', '1.0', '1', 'v1.0.0', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'a final release moves past its own pre-release',
      result: release('v2.0.0'),
      current: { latest: '2.0.0-rc.1' },
      tags: ['2.0.0', '2.0', '2', 'v2.0.0', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'an unreadable current version does not block',
      result: release('v1.1.9'),
      current: { latest: 'nightly', '1': undefined },
      tags: ['1.1.9', '1.1', '1', 'v1.1.9', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'versions carrying the flavor prefix compare as versions',
      result: release('v1.1.9', 'prefix=v,onlatest=true'),
      current: { vlatest: 'v1.2.3', v1: 'v1.2.3' },
      tags: ['v1.1.9', 'v1.1', 'vv1.1.9', 'sha-860c190'],
      held: [
        { tag: 'v1', current: 'v1.2.3', ours: 'v1.1.9', reason: 'newer' },
        { tag: 'vlatest', current: 'v1.2.3', ours: 'v1.1.9', reason: 'newer' }
      ]
    },
    {
      name: 'a pre-release never becomes latest, even with latest=true',
      result: release('v2.0.0-rc.1', 'latest=true'),
      current: {},
      tags: ['2.0.0-rc.1', 'v2.0.0-rc.1', 'sha-860c190'],
      held: [{ tag: 'latest', current: undefined, ours: '2.0.0-rc.1', reason: 'prerelease' }]
    }
  ])('$name', ({ result, current, tags, held }) => {
    const out = holdBackFloating(result, new Map(Object.entries(current)));
    expect(out.tags).toEqual(tags);
    expect(out.held).toEqual(held);
  });
});

describe('literal references (metadata-action’s output passed through) are held back too', () => {
  const literal = (ref: string, refs: string[]): TagResult => run(context({ ref }), refs.join('\n'), '', ['reg/app']);

  test.each([
    { refs: ['reg/app:1.1.9', 'reg/app:1.1', 'reg/app:1', 'reg/app:latest'], floating: ['1.1', '1', 'latest'] },
    { refs: ['reg/app:v1.1.9', 'reg/app:stable', 'reg/app:edge'], floating: [] },
    { refs: ['reg/app:2.0.0-rc.1', 'reg/app:2', 'reg/app:2.0'], floating: ['2', '2.0'] }
  ])('$refs: latest, N and N.M float', ({ refs, floating }) => {
    expect(literal('refs/tags/v1.1.9', refs).floating).toEqual(floating);
  });

  test('a v1.1.9 backport after 1.2.3: 1 and latest stay on 1.2.3, 1.1 moves', () => {
    const result = literal('refs/tags/v1.1.9', ['reg/app:1.1.9', 'reg/app:1.1', 'reg/app:1', 'reg/app:latest']);
    const out = holdBackFloating(
      result,
      new Map([
        ['1.1', '1.1.8'],
        ['1', '1.2.3'],
        ['latest', '1.2.3']
      ])
    );
    expect(out.tags).toEqual(['1.1.9', '1.1']);
    expect(out.held).toEqual([
      { tag: '1', current: '1.2.3', ours: '1.1.9', reason: 'newer' },
      { tag: 'latest', current: '1.2.3', ours: '1.1.9', reason: 'newer' }
    ]);
  });

  test('literal refs with no full version among them: nothing to compare with, everything moves', () => {
    const result = literal('refs/heads/main', ['reg/app:edge', 'reg/app:latest']);
    expect(holdBackFloating(result, new Map([['latest', '9.9.9']]))).toEqual({ tags: ['edge', 'latest'], held: [] });
  });
});

describe('heldByPlan: what is held without reading the registry (the dry run agrees with the run)', () => {
  const release = (tag: string, flavor = ''): TagResult => run(context({ ref: `refs/tags/${tag}` }), '', flavor);

  test.each([
    {
      name: 'a pre-release with flavor latest=true: latest held',
      result: release('v7.0.0-rc.1', 'latest=true'),
      held: [{ tag: 'latest', current: undefined, ours: '7.0.0-rc.1', reason: 'prerelease' }]
    },
    {
      name: 'a pre-release with a prefixed latest: the flavor’s latest tag held',
      result: release('v7.0.0-rc.1', 'latest=true\nprefix=v,onlatest=true'),
      held: [{ tag: 'vlatest', current: undefined, ours: 'v7.0.0-rc.1', reason: 'prerelease' }]
    },
    { name: 'a final release: nothing held', result: release('v7.0.0', 'latest=true'), held: [] },
    {
      name: 'a literal pre-release ref beside a literal latest: latest held',
      result: run(context({ ref: 'refs/heads/main' }), 'reg/app:2.0.0-rc.1\nreg/app:latest', '', ['reg/app']),
      held: [{ tag: 'latest', current: undefined, ours: '2.0.0-rc.1', reason: 'prerelease' }]
    }
  ])('$name', ({ result, held }) => {
    expect(heldByPlan(result)).toEqual(held);
  });
});
