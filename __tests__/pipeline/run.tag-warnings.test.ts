import { World } from './support/world.js';

// A tag rule that gives no tag is said to the user, not only computed: the plan's tag warnings
// are logged as warnings (annotations in the action, warnings on a terminal).

let w: World;
beforeAll(async () => {
  w = await World.start();
});
afterAll(() => w.close());
beforeEach(() => w.reset());

test('a match rule whose group the pattern lacks, and one that matches nothing: both warned, the other rules still tag', async () => {
  const { error, mem } = await w.run(
    {
      platforms: 'linux/amd64',
      push: 'false',
      tags: 'type=match,pattern=v(\\d+),group=2\ntype=match,pattern=^release-(.*)$,group=1\ntype=sha'
    },
    'refs/tags/v1.2.3'
  );

  expect(error).toBeUndefined();
  expect(mem.log.warnings).toEqual([
    'tags: type=match,pattern=v(\\d+),group=2: the pattern has no group 2; no tag',
    'tags: type=match,pattern=^release-(.*)$,group=1: no match in "v1.2.3"; no tag'
  ]);
  expect(w.outputs(mem).tags).toBe('<registry>/acme/app:sha-860c190');
});
