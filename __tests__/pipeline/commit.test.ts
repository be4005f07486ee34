import { commit, CommitFailed } from '../../src/pipeline/commit.js';
import { registryOptions } from '../../src/pipeline/run.js';
import { stage, type Staged } from '../../src/pipeline/stage.js';
import type { Plan } from '../../src/plan/plan.js';
import { recordingLog } from '../support/log.js';
import { fakeHandle, planFor, stepOf } from './support/plans.js';
import { World } from './support/world.js';

// The commit step: tags last, a PUT each of the staged bytes, then each read back.

let w: World;
beforeAll(async () => {
  w = await World.start();
});
afterAll(() => w.close());
beforeEach(() => w.reset());

const VERSION = 'org.opencontainers.image.version';
const mirror = () => `${w.registry.host}/mirror/app`;
const options = () => registryOptions({}, w.buildx.runner, 0);

/** A build of `platforms` pushed and staged as the plan says; what was seen so far forgotten. */
async function staged(plan: Plan, platforms = ['linux/amd64', 'linux/arm64']): Promise<Staged> {
  const digest = w.store.pushPlatforms(w.image, platforms, { [VERSION]: '1.2.3' });
  const done = await stage(
    fakeHandle(w.buildx, recordingLog()),
    stepOf(plan, 'stage'),
    [`${w.image}@${digest}`],
    options(),
    plan.platforms.map((p) => p.id)
  );
  w.registry.seen = [];
  w.buildx.calls.length = 0;
  return done;
}

async function commitPlan(plan: Plan, index: Staged, held: string[] = [], moved: string[] = []) {
  const rec = recordingLog();
  const committed = await commit(fakeHandle(w.buildx, rec), stepOf(plan, 'commit'), index, held, options(), moved);
  return { committed, rec };
}

/** Platform → its own manifest in the staged index. */
const own = (index: Staged, platform: string) => index.platformDigests[platform];

describe('commit: each tag one PUT of the staged bytes, then read back', () => {
  test('every tag in every repository, a PUT each, then a HEAD each; the outputs’ refs in order', async () => {
    const plan = planFor(w.dir, {
      images: `${w.image}\n${mirror()}`,
      tags: 'type=semver,pattern={{version}}\ntype=sha',
      flavor: 'latest=false'
    });
    const index = await staged(plan);

    const { committed, rec } = await commitPlan(plan, index);

    expect(w.requests()).toEqual([
      'PUT /v2/acme/app/manifests/1.2.3',
      'PUT /v2/acme/app/manifests/sha-860c190',
      'PUT /v2/mirror/app/manifests/1.2.3',
      'PUT /v2/mirror/app/manifests/sha-860c190',
      'HEAD /v2/acme/app/manifests/1.2.3',
      'HEAD /v2/acme/app/manifests/sha-860c190',
      'HEAD /v2/mirror/app/manifests/1.2.3',
      'HEAD /v2/mirror/app/manifests/sha-860c190'
    ]);
    expect(w.registry.seen.filter((s) => s.method === 'PUT').every((s) => s.body === index.raw)).toBe(true);
    expect(w.commands()).toEqual([]);
    expect([w.store.tags(w.image), w.store.tags(mirror())]).toEqual([
      { '1.2.3': index.digest, 'sha-860c190': index.digest },
      { '1.2.3': index.digest, 'sha-860c190': index.digest }
    ]);
    expect(committed.moved.map((r) => w.normalise(r))).toEqual([
      '<registry>/acme/app:1.2.3',
      '<registry>/acme/app:sha-860c190',
      '<registry>/mirror/app:1.2.3',
      '<registry>/mirror/app:sha-860c190'
    ]);
    expect(committed.superseded).toEqual([]);
    expect(rec.warnings).toEqual([]);
  });

  test('platform-tags: each platform’s own manifest GET once per repository and PUT under its tag, after the index’s tags', async () => {
    const plan = planFor(w.dir, {
      images: `${w.image}\n${mirror()}`,
      tags: 'type=semver,pattern={{version}}',
      flavor: 'latest=false',
      platforms: 'linux/amd64,linux/arm64',
      'platform-tags': 'true'
    });
    const index = await staged(plan);
    const [amd64, arm64] = [own(index, 'linux/amd64'), own(index, 'linux/arm64')];

    const { committed } = await commitPlan(plan, index);

    expect(w.requests()).toEqual([
      'PUT /v2/acme/app/manifests/1.2.3',
      'PUT /v2/mirror/app/manifests/1.2.3',
      `GET /v2/acme/app/manifests/${amd64}`,
      'PUT /v2/acme/app/manifests/1.2.3-amd64',
      `GET /v2/acme/app/manifests/${arm64}`,
      'PUT /v2/acme/app/manifests/1.2.3-arm64',
      `GET /v2/mirror/app/manifests/${amd64}`,
      'PUT /v2/mirror/app/manifests/1.2.3-amd64',
      `GET /v2/mirror/app/manifests/${arm64}`,
      'PUT /v2/mirror/app/manifests/1.2.3-arm64',
      ...['acme', 'mirror'].map((r) => `HEAD /v2/${r}/app/manifests/1.2.3`),
      ...['acme', 'mirror'].flatMap((r) => [
        `HEAD /v2/${r}/app/manifests/1.2.3-amd64`,
        `HEAD /v2/${r}/app/manifests/1.2.3-arm64`
      ])
    ]);
    expect(w.store.tags(mirror())).toEqual({ '1.2.3': index.digest, '1.2.3-amd64': amd64, '1.2.3-arm64': arm64 });
    expect(committed.superseded).toEqual([]);
    expect(committed.moved.map((r) => w.normalise(r))).toEqual([
      '<registry>/acme/app:1.2.3',
      '<registry>/mirror/app:1.2.3',
      '<registry>/acme/app:1.2.3-amd64',
      '<registry>/acme/app:1.2.3-arm64',
      '<registry>/mirror/app:1.2.3-amd64',
      '<registry>/mirror/app:1.2.3-arm64'
    ]);
  });

  test('platform-tags: a platform the staged index does not hold stops the commit, naming it', async () => {
    const plan = planFor(w.dir, {
      images: w.image,
      tags: 'type=semver,pattern={{version}}',
      flavor: 'latest=false',
      platforms: 'linux/amd64,linux/arm64',
      'platform-tags': 'true'
    });
    const index = await staged(plan, ['linux/amd64']);

    const error = await commitPlan(plan, index).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CommitFailed);
    expect((error as CommitFailed).moved.map((r) => w.normalise(r))).toEqual([
      '<registry>/acme/app:1.2.3',
      '<registry>/acme/app:1.2.3-amd64'
    ]);
    expect((error as CommitFailed).pending.map((r) => w.normalise(r))).toEqual(['<registry>/acme/app:1.2.3-arm64']);
    expect((error as Error).message).toContain('platform-tags: linux/arm64 is not in the staged index');
  });

  test.each([
    { name: 'the first PUT', refusedFrom: 1, put: [] as string[], fallback: ['1.2.3', 'sha-860c190'] },
    { name: 'the second PUT', refusedFrom: 2, put: ['1.2.3'], fallback: ['sha-860c190'] }
  ])(
    'a registry that refuses $name: each refused tag goes through imagetools create',
    async ({ refusedFrom, put, fallback }) => {
      let puts = 0;
      const plan = planFor(w.dir, {
        images: w.image,
        tags: 'type=semver,pattern={{version}}\ntype=sha',
        flavor: 'latest=false'
      });
      const index = await staged(plan);
      w.registry.answer = (req, res, seen) =>
        seen.method === 'PUT' && ++puts >= refusedFrom
          ? void res.writeHead(400).end('{"errors":[{"code":"MANIFEST_INVALID"}]}')
          : w.registry.fromStore(req, res, seen);

      const { committed, rec } = await commitPlan(plan, index);

      expect(w.commands()).toEqual(
        fallback.map(
          (t) =>
            `buildx imagetools create --builder <builder> --tag <registry>/acme/app:${t} <registry>/acme/app@${index.digest}`
        )
      );
      expect(rec.infos.map((l) => w.normalise(l))).toContain(
        `tagging <registry>/acme/app:${fallback[0]} through buildx imagetools (PUT http://<registry>/v2/acme/app/manifests/${fallback[0]} answered 400 Bad Request: {"errors":[{"code":"MANIFEST_INVALID"}]})`
      );
      // Every tag is tried by a PUT of its own first: a refusal sends only that tag through imagetools.
      expect(w.requests().filter((r) => r.startsWith('PUT '))).toEqual([
        'PUT /v2/acme/app/manifests/1.2.3',
        'PUT /v2/acme/app/manifests/sha-860c190'
      ]);
      expect(put).toEqual(['1.2.3', 'sha-860c190'].filter((t) => !fallback.includes(t)));
      expect(w.store.tags(w.image)).toEqual({ '1.2.3': index.digest, 'sha-860c190': index.digest });
      expect(committed.superseded).toEqual([]);
    }
  );

  test('a 503 with Retry-After, then the PUT again', async () => {
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });
    const index = await staged(plan);
    w.registry.once = [(_q, res) => void res.writeHead(503, { 'Retry-After': '0' }).end()];

    const { rec } = await commitPlan(plan, index);

    expect(w.requests()).toEqual([
      'PUT /v2/acme/app/manifests/sha-860c190',
      'PUT /v2/acme/app/manifests/sha-860c190',
      'HEAD /v2/acme/app/manifests/sha-860c190'
    ]);
    expect(rec.warnings.map((m) => w.normalise(m).replace(/retrying in \d\.\d s/, 'retrying in n s'))).toEqual([
      'tagging <registry>/acme/app:sha-860c190: attempt 1 of 3 failed (PUT http://<registry>/v2/acme/app/manifests/sha-860c190 answered 503 Service Unavailable); retrying in n s'
    ]);
    expect(w.store.tags(w.image)).toEqual({ 'sha-860c190': index.digest });
  });

  test('tags held back (by the registry’s versions, or by the plan) are neither PUT nor read back', async () => {
    const plan = planFor(w.dir, { images: w.image, 'platform-tags': 'true', platforms: 'linux/amd64' });
    const index = await staged(plan, ['linux/amd64']);

    const { committed } = await commitPlan(plan, index, ['1', 'latest']);

    expect(
      w
        .requests()
        .filter((r) => r.startsWith('PUT '))
        .map((r) => r.replace('PUT /v2/acme/app/manifests/', ''))
    ).toEqual([
      '1.2.3',
      '1.2',
      'v1.2.3',
      'sha-860c190',
      '1.2.3-amd64',
      '1.2-amd64',
      'v1.2.3-amd64',
      'sha-860c190-amd64'
    ]);
    expect(Object.keys(w.store.tags(w.image))).toEqual([
      '1.2',
      '1.2-amd64',
      '1.2.3',
      '1.2.3-amd64',
      'sha-860c190',
      'sha-860c190-amd64',
      'v1.2.3',
      'v1.2.3-amd64'
    ]);
    expect(committed.moved).toHaveLength(8);
  });
});

describe('commit: the read-back after the PUTs', () => {
  test('a tag another run moved after our PUT is reported superseded: a warning, not a failure', async () => {
    const plan = planFor(w.dir, { images: w.image, tags: 'type=ref,event=branch\ntype=sha' }, 'refs/heads/main');
    const index = await staged(plan);
    const theirs = w.store.pushPlatforms(w.image, ['linux/amd64'], { [VERSION]: 'main' });
    w.registry.answer = (req, res, seen) => {
      w.registry.fromStore(req, res, seen);
      if (seen.method === 'PUT' && seen.url.endsWith('/manifests/main')) w.store.tag(w.image, 'main', theirs);
    };

    const { committed, rec } = await commitPlan(plan, index);

    expect(committed.superseded.map((s) => [w.normalise(s.ref), s.by])).toEqual([['<registry>/acme/app:main', theirs]]);
    expect(committed.moved.map((r) => w.normalise(r))).toEqual([
      '<registry>/acme/app:main',
      '<registry>/acme/app:sha-860c190'
    ]);
    expect(rec.warnings.map((m) => w.normalise(m))).toEqual([
      `<registry>/acme/app:main superseded by ${theirs} (another run moved it after this one; this run's index is ${index.digest})`
    ]);
    expect(w.store.tags(w.image)).toEqual({ main: theirs, 'sha-860c190': index.digest });
  });

  test('a tag deleted after our PUT is reported superseded by nothing', async () => {
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });
    const index = await staged(plan);
    w.registry.answer = (req, res, seen) =>
      seen.method === 'HEAD' ? void res.writeHead(404).end() : w.registry.fromStore(req, res, seen);

    const { committed } = await commitPlan(plan, index);

    expect(committed.superseded.map((s) => [w.normalise(s.ref), s.by])).toEqual([
      ['<registry>/acme/app:sha-860c190', 'nothing (the tag was deleted)']
    ]);
  });

  test('a read-back our client is refused (a HEAD with no digest) goes through imagetools inspect', async () => {
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });
    const index = await staged(plan);
    w.registry.answer = (req, res, seen) =>
      seen.method === 'HEAD' ? void res.writeHead(200).end() : w.registry.fromStore(req, res, seen);

    const { committed, rec } = await commitPlan(plan, index);

    expect(w.commands()).toEqual([
      'buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:sha-860c190'
    ]);
    expect(committed.superseded).toEqual([]);
    expect(rec.infos.map((l) => w.normalise(l))).toContain(`<registry>/acme/app:sha-860c190 → ${index.digest}`);
  });
});

describe('commit: a PUT that fails after its retries stops the commit, saying what moved', () => {
  test('CommitFailed lists the moved and the not-moved refs; the moved list is filled as each moves', async () => {
    const plan = planFor(w.dir, {
      images: `${w.image}\n${mirror()}`,
      tags: 'type=semver,pattern={{version}}\ntype=sha',
      flavor: 'latest=false'
    });
    const index = await staged(plan);
    let puts = 0;
    w.registry.answer = (req, res, seen) =>
      seen.method === 'PUT' && ++puts >= 3 ? void res.writeHead(503).end('busy') : w.registry.fromStore(req, res, seen);
    const moved: string[] = [];

    const error = await commitPlan(plan, index, [], moved).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CommitFailed);
    const failed = error as CommitFailed;
    expect(failed.moved.map((r) => w.normalise(r))).toEqual([
      '<registry>/acme/app:1.2.3',
      '<registry>/acme/app:sha-860c190'
    ]);
    expect(failed.pending.map((r) => w.normalise(r))).toEqual([
      '<registry>/mirror/app:1.2.3',
      '<registry>/mirror/app:sha-860c190'
    ]);
    expect(moved).toEqual(failed.moved);
    expect(w.normalise(failed.message)).toBe(
      [
        'moving the tags failed after 2 of 4: tagging <registry>/mirror/app:1.2.3 failed 3 times; last error: PUT http://<registry>/v2/mirror/app/manifests/1.2.3 answered 503 Service Unavailable: busy',
        'PUT http://<registry>/v2/mirror/app/manifests/1.2.3 answered 503 Service Unavailable: busy',
        'Not moved: <registry>/mirror/app:1.2.3, <registry>/mirror/app:sha-860c190. The release is staged and proven: re-running the job moves the rest (a PUT of the same bytes changes nothing).'
      ].join('\n')
    );
    expect(w.store.tags(mirror())).toEqual({});
  });
});
