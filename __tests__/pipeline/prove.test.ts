import { prove } from '../../src/pipeline/prove.js';
import { registryOptions } from '../../src/pipeline/run.js';
import { stage, type Staged } from '../../src/pipeline/stage.js';
import type { Plan } from '../../src/plan/plan.js';
import { recordingLog } from '../support/log.js';
import { fakeHandle, planFor, stepOf } from './support/plans.js';
import { World } from './support/world.js';

// The prove step: the staged index verified by digest in every repository, then the floating tags
// read and those that would move backwards held. Nothing is named here.

let w: World;
beforeAll(async () => {
  w = await World.start();
});
afterAll(() => w.close());
beforeEach(() => w.reset());

const VERSION = 'org.opencontainers.image.version';
const mirror = () => `${w.registry.host}/mirror/app`;
const options = () => registryOptions({}, w.buildx.runner, 0);

/** A build's push (each platform with its provenance attestation), staged as the plan says; what was seen so far forgotten. */
async function staged(plan: Plan, platforms = ['linux/amd64', 'linux/arm64'], version = '1.2.3'): Promise<Staged> {
  const images = platforms.map((p) => w.store.pushImage(w.image, p, { [VERSION]: version }));
  const digest = w.store.pushIndex(w.image, [...images, ...images.map((i) => w.store.pushAttestation(w.image, i))], {
    [VERSION]: version
  });
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

async function provePlan(plan: Plan, index: Staged) {
  const rec = recordingLog();
  const proven = await prove(fakeHandle(w.buildx, rec), stepOf(plan, 'prove'), plan.tags, index.digest, options());
  return { proven, rec };
}

describe('prove: the staged index in every repository', () => {
  test('the index and every manifest it lists read by digest in each repository; rows, attestations and table', async () => {
    const plan = planFor(w.dir, { images: `${w.image}\n${mirror()}`, tags: 'type=sha' });
    const index = await staged(plan);

    const { proven, rec } = await provePlan(plan, index);

    const reads = (repo: string) => [
      `GET /v2/${repo}/app/manifests/${index.digest}`,
      ...index.children.map((c) => `GET /v2/${repo}/app/manifests/${c}`)
    ];
    expect(w.requests()).toEqual([...reads('acme'), ...reads('mirror')]);
    expect(proven.children).toEqual(index.children);
    expect(proven.rows.map((r) => [r.platform, r.manifest])).toEqual([
      ['linux/amd64', index.platformDigests['linux/amd64']],
      ['linux/arm64', index.platformDigests['linux/arm64']]
    ]);
    expect(Object.keys(JSON.parse(proven.attestations) as object)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(proven.table).toContain('| Platform | Manifest | Attestation |');
    expect(proven.held).toEqual([]);
    expect(w.store.tags(w.image)).toEqual({});
    expect(rec.warnings).toEqual([]);
  });

  test('a platform manifest missing in the second repository fails, naming that repository; nothing named', async () => {
    const plan = planFor(w.dir, { images: `${w.image}\n${mirror()}`, tags: 'type=sha' });
    const index = await staged(plan);
    const gone = index.platformDigests['linux/arm64'];
    w.store.delete(mirror(), gone);

    const error = (await provePlan(plan, index).catch((e: unknown) => e)) as Error;

    expect(w.normalise(error.message)).toMatch(
      new RegExp(
        `^<registry>/mirror/app@${index.digest} failed verification; no tag moved:\\n- platform linux/arm64: manifest ${gone.slice(0, 19)} is listed but missing from the registry`
      )
    );
    expect([w.store.tags(w.image), w.store.tags(mirror())]).toEqual([{}, {}]);
  });

  test('an index staged nowhere: cannot be read back, no tag moved', async () => {
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });
    const index = await staged(plan);
    w.store.delete(w.image, index.digest);

    await expect(provePlan(plan, index)).rejects.toThrow(
      `${w.image}@${index.digest} is not in the registry: the staged index cannot be read back. No tag moved.`
    );
  });

  test('legs built without provenance and a merge that asks for it: the failure says how to fix it', async () => {
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha', platforms: 'linux/amd64,linux/arm64' });
    const digest = w.store.pushPlatforms(w.image, ['linux/amd64', 'linux/arm64']);
    const index = await stage(
      fakeHandle(w.buildx, recordingLog()),
      stepOf(plan, 'stage'),
      [`${w.image}@${digest}`],
      options(),
      ['linux/amd64', 'linux/arm64']
    );

    const error = (await provePlan(plan, index).catch((e: unknown) => e)) as Error;

    expect(error.message).toContain('has no attestation manifest');
    expect(error.message).toContain(
      '(provenance and sbom must match what was built: set provenance: false on this step too if the image was built without it)'
    );
  });

  test('a registry that refuses our client (403 on a manifest) is read through buildx imagetools', async () => {
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });
    const index = await staged(plan);
    w.registry.answer = (req, res, seen) =>
      seen.method === 'GET' && !seen.url.endsWith(index.digest)
        ? void res.writeHead(403).end('denied')
        : w.registry.fromStore(req, res, seen);

    const { proven } = await provePlan(plan, index);

    expect(w.commands()).toEqual(
      index.children.map((c) => `buildx imagetools inspect --builder <builder> --raw <registry>/acme/app@${c}`)
    );
    expect(proven.rows).toHaveLength(2);
  });
});

describe('prove: hold-back of floating tags, read before any tag moves', () => {
  test('a floating tag on a newer version stays, and is reported; the version from the index annotation, else the image’s label', async () => {
    // latest says its version in an index annotation; 1 only in its images' labels.
    const newest = w.store.pushPlatforms(w.image, ['linux/amd64'], {}, { [VERSION]: '2.0.0' });
    const newer = w.store.pushPlatforms(w.image, ['linux/amd64', 'linux/arm64'], { [VERSION]: '1.5.0' });
    const older = w.store.pushPlatforms(w.image, ['linux/amd64'], {}, { [VERSION]: '1.1.0' });
    w.store.tag(w.image, 'latest', newest);
    w.store.tag(w.image, '1', newer);
    w.store.tag(w.image, '1.2', older);
    const plan = planFor(w.dir, { images: w.image });
    const index = await staged(plan);

    const { proven, rec } = await provePlan(plan, index);

    // Only the tag without an annotation costs buildx: its images' labels, one call (the tag is not read twice).
    expect(w.commands()).toEqual([
      'buildx imagetools inspect --builder <builder> --format {{json .Image}} <registry>/acme/app:1'
    ]);
    expect(rec.warnings).toEqual([
      '1 not moved: it points to 1.5.0, newer than 1.2.3',
      'latest not moved: it points to 2.0.0, newer than 1.2.3'
    ]);
    expect(proven.held).toEqual([
      { tag: '1', current: '1.5.0', ours: '1.2.3', reason: 'newer' },
      { tag: 'latest', current: '2.0.0', ours: '1.2.3', reason: 'newer' }
    ]);
    // Read, never moved.
    expect(w.store.tags(w.image)).toEqual({ '1': newer, '1.2': older, latest: newest });
  });

  test('literal refs (metadata-action’s output): a v1.1.9 backport after 1.2.3 holds 1 and latest', async () => {
    const current = w.store.pushPlatforms(w.image, ['linux/amd64'], {}, { [VERSION]: '1.2.3' });
    for (const tag of ['1', 'latest', '1.2', '1.2.3']) w.store.tag(w.image, tag, current);
    const plan = planFor(
      w.dir,
      {
        images: w.image,
        platforms: 'linux/amd64',
        tags: ['1.1.9', '1.1', '1', 'latest'].map((t) => `${w.image}:${t}`).join('\n')
      },
      'refs/tags/v1.1.9'
    );
    const index = await staged(plan, ['linux/amd64'], '1.1.9');

    const { proven, rec } = await provePlan(plan, index);

    expect(stepOf(plan, 'prove').floating.map((f) => f.tag)).toEqual(['1.1', '1', 'latest']);
    expect(proven.held.map((h) => [h.tag, h.current, h.reason])).toEqual([
      ['1', '1.2.3', 'newer'],
      ['latest', '1.2.3', 'newer']
    ]);
    expect(rec.warnings).toEqual([
      '1 not moved: it points to 1.2.3, newer than 1.1.9',
      'latest not moved: it points to 1.2.3, newer than 1.1.9'
    ]);
  });

  test('a pre-release with flavor latest=true: latest is held by the plan, never read', async () => {
    const plan = planFor(w.dir, { images: w.image, flavor: 'latest=true' }, 'refs/tags/v2.0.0-rc.1');
    const index = await staged(plan, ['linux/amd64', 'linux/arm64'], '2.0.0-rc.1');

    const { proven, rec } = await provePlan(plan, index);

    expect(plan.tags.tags).toEqual(['2.0.0-rc.1', 'v2.0.0-rc.1', 'sha-860c190', 'latest']);
    expect(w.requests().filter((r) => r.startsWith('HEAD '))).toEqual([]);
    expect(rec.warnings).toEqual(['latest not moved: 2.0.0-rc.1 is a pre-release']);
    expect(proven.held).toEqual([{ tag: 'latest', current: undefined, ours: '2.0.0-rc.1', reason: 'prerelease' }]);
  });
});
