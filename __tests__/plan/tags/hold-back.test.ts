import type { TagResult } from '../../../src/plan/tags/compute.js';
import { holdBackFloating } from '../../../src/plan/tags/hold-back.js';
import { context } from '../../helpers/context.js';
import { run } from './support.js';

describe('holdBackFloating', () => {
  const release = (tag: string, flavor = ''): TagResult => run(context({ ref: `refs/tags/${tag}` }), '', flavor);

  test.each([
    {
      name: 'v1.1.9 released after 1.2.3: 1 and latest stay, 1.1 moves',
      result: release('v1.1.9'),
      current: { '1.1': '1.1.8', '1': '1.2.3', latest: '1.2.3' },
      tags: ['1.1.9', '1.1', 'sha-860c190'],
      held: [
        { tag: '1', current: '1.2.3', ours: '1.1.9', reason: 'newer' },
        { tag: 'latest', current: '1.2.3', ours: '1.1.9', reason: 'newer' }
      ]
    },
    {
      name: 'a newer release moves everything',
      result: release('v1.2.4'),
      current: { '1.2': '1.2.3', '1': '1.2.3', latest: '1.2.3' },
      tags: ['1.2.4', '1.2', '1', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'the same version again (a rebuild) moves',
      result: release('v1.2.3'),
      current: { '1.2': '1.2.3', '1': '1.2.3', latest: '1.2.3' },
      tags: ['1.2.3', '1.2', '1', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'first release: no tag exists yet',
      result: release('v1.0.0'),
      current: {},
      tags: ['1.0.0', '1.0', '1', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'a final release moves past its own pre-release',
      result: release('v2.0.0'),
      current: { latest: '2.0.0-rc.1' },
      tags: ['2.0.0', '2.0', '2', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'an unreadable current version does not block',
      result: release('v1.1.9'),
      current: { latest: 'nightly', '1': undefined },
      tags: ['1.1.9', '1.1', '1', 'sha-860c190', 'latest'],
      held: []
    },
    {
      name: 'versions carrying the flavor prefix compare as versions',
      result: release('v1.1.9', 'prefix=v,onlatest=true'),
      current: { vlatest: 'v1.2.3', v1: 'v1.2.3' },
      tags: ['v1.1.9', 'v1.1', 'sha-860c190'],
      held: [
        { tag: 'v1', current: 'v1.2.3', ours: 'v1.1.9', reason: 'newer' },
        { tag: 'vlatest', current: 'v1.2.3', ours: 'v1.1.9', reason: 'newer' }
      ]
    },
    {
      name: 'a pre-release never becomes latest, even with latest=true',
      result: release('v2.0.0-rc.1', 'latest=true'),
      current: {},
      tags: ['2.0.0-rc.1', 'sha-860c190'],
      held: [{ tag: 'latest', current: undefined, ours: '2.0.0-rc.1', reason: 'prerelease' }]
    }
  ])('$name', ({ result, current, tags, held }) => {
    const out = holdBackFloating(result, new Map(Object.entries(current)));
    expect(out.tags).toEqual(tags);
    expect(out.held).toEqual(held);
  });
});
