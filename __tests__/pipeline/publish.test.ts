import { publish, registryOptions } from '../../src/pipeline/publish.js';
import type { Plan } from '../../src/plan/plan.js';
import { recordingLog } from '../helpers/log.js';
import { fakeHandle, planFor, stepOf } from './support/plans.js';
import { World } from './support/world.js';

// The publish step against plans: which tags move, by which means, and which stay.

let w: World;
beforeAll(async () => {
  w = await World.start();
});
afterAll(() => w.close());
beforeEach(() => w.reset());

const VERSION = 'org.opencontainers.image.version';

/** Publishes the plan's tags onto `sources`, as the pipeline does after a build or a merge's discovery. */
async function publishPlan(plan: Plan, sources: string[]) {
  const rec = recordingLog();
  const published = await publish(
    fakeHandle(w.buildx, rec),
    stepOf(plan, 'publish'),
    plan.tags,
    sources,
    registryOptions({}, w.buildx.runner, 0),
    plan.platforms.map((p) => p.id)
  );
  return { published, rec };
}

/** What a build of version 1.2.3 pushed by digest. */
function built(version = '1.2.3'): { digest: string; source: string } {
  const digest = w.store.pushPlatforms(w.image, ['linux/amd64', 'linux/arm64'], { [VERSION]: version });
  return { digest, source: `${w.image}@${digest}` };
}

const other = () => `${w.registry.host}/mirror/app`;

describe('publish after a build', () => {
  test('platform-tags: each platform’s own manifest under every tag, PUT in the first repository, imagetools elsewhere, after the index’s tags', async () => {
    const { digest, source } = built();
    const index = JSON.parse(w.store.get(source)!.raw) as {
      manifests: Array<{ digest: string; platform: { architecture: string } }>;
    };
    const own = (arch: string) => index.manifests.find((m) => m.platform.architecture === arch)!.digest;
    const plan = planFor(w.dir, {
      images: `${w.image}\n${other()}`,
      tags: 'type=semver,pattern={{version}}',
      flavor: 'latest=false',
      platforms: 'linux/amd64,linux/arm64',
      'platform-tags': 'true'
    });

    const { published } = await publishPlan(plan, [source]);

    expect(w.requests()).toEqual([
      `GET /v2/acme/app/manifests/${digest}`,
      'PUT /v2/acme/app/manifests/1.2.3',
      `GET /v2/acme/app/manifests/${own('amd64')}`,
      'PUT /v2/acme/app/manifests/1.2.3-amd64',
      `GET /v2/acme/app/manifests/${own('arm64')}`,
      'PUT /v2/acme/app/manifests/1.2.3-arm64'
    ]);
    expect(w.commands()).toEqual([
      `buildx imagetools create --builder <builder> --tag <registry>/mirror/app:1.2.3 <registry>/acme/app@${digest}`,
      `buildx imagetools create --builder <builder> --tag <registry>/mirror/app:1.2.3-amd64 <registry>/acme/app@${own('amd64')}`,
      `buildx imagetools create --builder <builder> --tag <registry>/mirror/app:1.2.3-arm64 <registry>/acme/app@${own('arm64')}`
    ]);
    expect(w.store.tags(w.image)).toEqual({
      '1.2.3': digest,
      '1.2.3-amd64': own('amd64'),
      '1.2.3-arm64': own('arm64')
    });
    expect(published.refs.map((r) => w.normalise(r))).toEqual([
      '<registry>/acme/app:1.2.3',
      '<registry>/mirror/app:1.2.3',
      '<registry>/acme/app:1.2.3-amd64',
      '<registry>/acme/app:1.2.3-arm64',
      '<registry>/mirror/app:1.2.3-amd64',
      '<registry>/mirror/app:1.2.3-arm64'
    ]);
  });

  test('platform-tags: a registry that refuses the PUT gets the platform’s tags through imagetools', async () => {
    const { digest, source } = built();
    const index = JSON.parse(w.store.get(source)!.raw) as {
      manifests: Array<{ digest: string; platform: { architecture: string } }>;
    };
    const arm = index.manifests.find((m) => m.platform.architecture === 'arm64')!.digest;
    w.registry.answer = (req, res, seen) =>
      seen.method === 'PUT' && seen.url.endsWith('-arm64')
        ? void res.writeHead(400).end('{"errors":[{"code":"MANIFEST_INVALID"}]}')
        : w.registry.fromStore(req, res, seen);
    const plan = planFor(w.dir, {
      images: w.image,
      tags: 'type=semver,pattern={{version}}',
      flavor: 'latest=false',
      platforms: 'linux/arm64',
      'platform-tags': 'true'
    });

    const { rec } = await publishPlan(plan, [source]);

    expect(w.commands()).toEqual([
      `buildx imagetools create --builder <builder> --tag <registry>/acme/app:1.2.3-arm64 <registry>/acme/app@${arm}`
    ]);
    expect(rec.warnings.length).toBe(1);
    expect(rec.warnings[0]).toMatch(
      /^could not tag by a direct PUT \(PUT http:\/\/\S+\/manifests\/1\.2\.3-arm64 answered 400 /
    );
    expect(w.store.tags(w.image)).toEqual({ '1.2.3': digest, '1.2.3-arm64': arm });
  });

  test('platform-tags: a platform the index does not hold is an error, and no platform tag moves', async () => {
    const digest = w.store.pushPlatforms(w.image, ['linux/amd64'], { [VERSION]: '1.2.3' });
    const plan = planFor(w.dir, {
      images: w.image,
      tags: 'type=semver,pattern={{version}}',
      flavor: 'latest=false',
      platforms: 'linux/amd64,linux/arm64',
      'platform-tags': 'true'
    });

    await expect(publishPlan(plan, [`${w.image}@${digest}`])).rejects.toThrow(
      'platform-tags: linux/arm64 is not in the published index; no platform tag moved'
    );
    expect(Object.keys(w.store.tags(w.image))).toEqual(['1.2.3', '1.2.3-amd64']);
  });

  test('each tag in the first image’s repository is one PUT of the pushed bytes; another repository’s through imagetools create', async () => {
    const { digest, source } = built();
    const plan = planFor(w.dir, {
      images: `${w.image}\n${other()}`,
      tags: 'type=semver,pattern={{version}}\ntype=sha',
      flavor: 'latest=false'
    });

    const { published, rec } = await publishPlan(plan, [source]);

    expect(w.requests()).toEqual([
      `GET /v2/acme/app/manifests/${digest}`,
      'PUT /v2/acme/app/manifests/1.2.3',
      'PUT /v2/acme/app/manifests/sha-860c190'
    ]);
    expect(w.registry.seen.filter((s) => s.method === 'PUT').map((s) => s.body)).toEqual([
      w.store.get(source)!.raw,
      w.store.get(source)!.raw
    ]);
    expect(w.commands()).toEqual([
      `buildx imagetools create --builder <builder> --tag <registry>/mirror/app:1.2.3 --tag <registry>/mirror/app:sha-860c190 <registry>/acme/app@${digest}`
    ]);
    expect([w.store.tags(w.image), w.store.tags(other())]).toEqual([
      { '1.2.3': digest, 'sha-860c190': digest },
      { '1.2.3': digest, 'sha-860c190': digest }
    ]);
    expect(published.digest).toBe(digest);
    expect(published.refs.map((r) => w.normalise(r))).toEqual([
      '<registry>/acme/app:1.2.3',
      '<registry>/acme/app:sha-860c190',
      '<registry>/mirror/app:1.2.3',
      '<registry>/mirror/app:sha-860c190'
    ]);
    expect(published.held).toEqual([]);
    expect(rec.warnings).toEqual([]);
  });

  test.each([
    { name: 'the first PUT', refusedFrom: 1, put: [], fallback: ['1.2.3', 'sha-860c190'] },
    { name: 'the second PUT', refusedFrom: 2, put: ['1.2.3'], fallback: ['sha-860c190'] }
  ])(
    'a registry that refuses $name: that tag and the rest go through imagetools create',
    async ({ refusedFrom, put, fallback }) => {
      const { digest, source } = built();
      let puts = 0;
      w.registry.answer = (req, res, seen) =>
        seen.method === 'PUT' && ++puts >= refusedFrom
          ? void res.writeHead(400).end('{"errors":[{"code":"MANIFEST_INVALID"}]}')
          : w.registry.fromStore(req, res, seen);
      const plan = planFor(w.dir, {
        images: w.image,
        tags: 'type=semver,pattern={{version}}\ntype=sha',
        flavor: 'latest=false'
      });

      const { published, rec } = await publishPlan(plan, [source]);

      expect(w.requests()).toEqual([
        `GET /v2/acme/app/manifests/${digest}`,
        ...[...put, fallback[0]].map((t) => `PUT /v2/acme/app/manifests/${t}`)
      ]);
      expect(w.commands()).toEqual([
        `buildx imagetools create --builder <builder> ${fallback.map((t) => `--tag <registry>/acme/app:${t}`).join(' ')} <registry>/acme/app@${digest}`
      ]);
      expect(rec.warnings.map((m) => w.normalise(m))).toEqual([
        `could not tag by a direct PUT (PUT http://<registry>/v2/acme/app/manifests/${fallback[0]} answered 400 Bad Request: {"errors":[{"code":"MANIFEST_INVALID"}]}); using buildx imagetools create`
      ]);
      expect(w.store.tags(w.image)).toEqual({ '1.2.3': digest, 'sha-860c190': digest });
      expect(published.refs.map((r) => w.normalise(r))).toEqual([
        '<registry>/acme/app:1.2.3',
        '<registry>/acme/app:sha-860c190'
      ]);
    }
  );

  test('a source the registry will not give by a plain GET is read through imagetools, then PUT', async () => {
    const { digest, source } = built();
    w.registry.once = [(_q, res) => void res.writeHead(401, { 'WWW-Authenticate': 'Negotiate' }).end()];
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });

    const { published, rec } = await publishPlan(plan, [source]);

    expect(w.commands()).toEqual([`buildx imagetools inspect --builder <builder> --raw <registry>/acme/app@${digest}`]);
    expect(w.requests()).toEqual([`GET /v2/acme/app/manifests/${digest}`, 'PUT /v2/acme/app/manifests/sha-860c190']);
    expect(rec.infos.map((l) => w.normalise(l))).toEqual([
      `[request] GET <registry>/acme/app@${digest}`,
      `reading <registry>/acme/app@${digest} through buildx imagetools (<registry> asks for an unsupported authentication (Negotiate))`,
      `[request] PUT <registry>/acme/app:sha-860c190 (the bytes of <registry>/acme/app@${digest})`,
      `<registry>/acme/app:sha-860c190 → ${digest}`
    ]);
    expect(published.digest).toBe(digest);
  });

  test('a source read through imagetools that names no media type: every tag through imagetools create', async () => {
    const raw = '{"schemaVersion":2,"manifests":[]}';
    const digest = w.store.put(w.image, raw, '');
    w.registry.once = [(_q, res) => void res.writeHead(401, { 'WWW-Authenticate': 'Negotiate' }).end()];
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });

    await publishPlan(plan, [`${w.image}@${digest}`]);

    expect(w.requests()).toEqual([`GET /v2/acme/app/manifests/${digest}`]);
    expect(w.commands()).toEqual([
      `buildx imagetools inspect --builder <builder> --raw <registry>/acme/app@${digest}`,
      `buildx imagetools create --builder <builder> --tag <registry>/acme/app:sha-860c190 <registry>/acme/app@${digest}`
    ]);
    expect(w.store.tags(w.image)).toEqual({ 'sha-860c190': digest });
  });

  test('a 503 with Retry-After, then the PUT again', async () => {
    const { digest, source } = built();
    w.registry.once = [w.registry.fromStore, (_q, res) => void res.writeHead(503, { 'Retry-After': '0' }).end()];
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });

    const { rec } = await publishPlan(plan, [source]);

    expect(w.requests()).toEqual([
      `GET /v2/acme/app/manifests/${digest}`,
      'PUT /v2/acme/app/manifests/sha-860c190',
      'PUT /v2/acme/app/manifests/sha-860c190'
    ]);
    expect(rec.warnings.map((m) => w.normalise(m).replace(/retrying in \d\.\d s/, 'retrying in n s'))).toEqual([
      'tagging <registry>/acme/app:sha-860c190: attempt 1 of 3 failed (PUT http://<registry>/v2/acme/app/manifests/sha-860c190 answered 503 Service Unavailable); retrying in n s'
    ]);
    expect(w.store.tags(w.image)).toEqual({ 'sha-860c190': digest });
  });

  test('a dropped connection on the GET is tried again', async () => {
    const { digest, source } = built();
    w.registry.once = [(req) => void req.socket.destroy()];
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });

    await publishPlan(plan, [source]);

    expect(w.requests()).toEqual([
      `GET /v2/acme/app/manifests/${digest}`,
      `GET /v2/acme/app/manifests/${digest}`,
      'PUT /v2/acme/app/manifests/sha-860c190'
    ]);
    expect(w.store.tags(w.image)).toEqual({ 'sha-860c190': digest });
  });

  test('a single-platform image (no index): its digest is the platform’s', async () => {
    const image = w.store.pushImage(w.image, 'linux/arm64', { [VERSION]: '1.2.3' });
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha', platforms: 'linux/arm64', provenance: 'false' });

    const { published } = await publishPlan(plan, [`${w.image}@${image.digest}`]);

    expect(published.platformDigests).toEqual({ 'linux/arm64': image.digest });
  });
});

describe('hold-back of floating tags', () => {
  test('a floating tag on a newer version stays, and is reported; the others move', async () => {
    // latest says its version in an index annotation; 1 only in its images' labels.
    const newest = w.store.pushPlatforms(w.image, ['linux/amd64'], {}, { [VERSION]: '2.0.0' });
    const newer = w.store.pushPlatforms(w.image, ['linux/amd64', 'linux/arm64'], { [VERSION]: '1.5.0' });
    const older = w.store.pushPlatforms(w.image, ['linux/amd64'], {}, { [VERSION]: '1.1.0' });
    w.store.tag(w.image, 'latest', newest);
    w.store.tag(w.image, '1', newer);
    w.store.tag(w.image, '1.2', older);
    const { digest, source } = built();
    const plan = planFor(w.dir, { images: w.image });

    const { published, rec } = await publishPlan(plan, [source]);

    expect(w.commands()).toEqual([
      `buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:1.2`,
      `buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:1`,
      `buildx imagetools inspect --builder <builder> --raw <registry>/acme/app:latest`,
      `buildx imagetools inspect --builder <builder> --format {{json .Image}} <registry>/acme/app:1`
    ]);
    expect(rec.warnings).toEqual([
      '1 not moved: it points to 1.5.0, newer than 1.2.3',
      'latest not moved: it points to 2.0.0, newer than 1.2.3'
    ]);
    expect(published.held).toEqual([
      { tag: '1', current: '1.5.0', ours: '1.2.3', reason: 'newer' },
      { tag: 'latest', current: '2.0.0', ours: '1.2.3', reason: 'newer' }
    ]);
    expect(w.requests()).toEqual([
      `GET /v2/acme/app/manifests/${digest}`,
      'PUT /v2/acme/app/manifests/1.2.3',
      'PUT /v2/acme/app/manifests/1.2',
      'PUT /v2/acme/app/manifests/sha-860c190'
    ]);
    expect(w.store.tags(w.image)).toEqual({
      '1': newer,
      '1.2': digest,
      '1.2.3': digest,
      latest: newest,
      'sha-860c190': digest
    });
  });

  test('a pre-release never moves latest, even with flavor latest=true and no latest yet', async () => {
    const { digest, source } = built('2.0.0-rc.1');
    const plan = planFor(w.dir, { images: w.image, flavor: 'latest=true' }, 'refs/tags/v2.0.0-rc.1');

    const { published, rec } = await publishPlan(plan, [source]);

    expect(plan.tags.tags).toEqual(['2.0.0-rc.1', 'sha-860c190', 'latest']);
    expect(rec.warnings).toEqual(['latest not moved: 2.0.0-rc.1 is a pre-release']);
    expect(published.held).toEqual([{ tag: 'latest', current: undefined, ours: '2.0.0-rc.1', reason: 'prerelease' }]);
    expect(w.store.tags(w.image)).toEqual({ '2.0.0-rc.1': digest, 'sha-860c190': digest });
  });
});

describe('publish after a merge', () => {
  test('a new index of the legs, with the index annotations, through imagetools create; then read back', async () => {
    const amd64 = w.store.pushPlatforms(w.image, ['linux/amd64'], { [VERSION]: '1.2.3' });
    const arm64 = w.store.pushPlatforms(w.image, ['linux/arm64'], { [VERSION]: '1.2.3' });
    const plan = planFor(w.dir, {
      images: w.image,
      mode: 'merge',
      tags: 'type=sha',
      platforms: 'linux/amd64,linux/arm64',
      annotations: 'index:com.example.team=core'
    });

    const { published } = await publishPlan(plan, [`${w.image}@${amd64}`, `${w.image}@${arm64}`]);

    expect(stepOf(plan, 'publish').imagetools.annotations).toEqual([
      'index:com.example.team=core',
      'index:org.opencontainers.image.created=2024-02-01T10:00:00.000Z',
      'index:org.opencontainers.image.description=An app',
      'index:org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37',
      'index:org.opencontainers.image.source=https://github.com/octo/app',
      'index:org.opencontainers.image.title=app',
      'index:org.opencontainers.image.url=https://github.com/octo/app',
      'index:org.opencontainers.image.version=sha-860c190'
    ]);
    expect(w.requests()).toEqual([]);
    const merged = w.store.get(`${w.image}:sha-860c190`)!;
    expect(JSON.parse(merged.raw).annotations).toEqual({
      'org.opencontainers.image.created': '2024-02-01T10:00:00.000Z',
      'org.opencontainers.image.description': 'An app',
      'org.opencontainers.image.revision': '860c1904a1ce19322e91ac35af1ab07466440c37',
      'org.opencontainers.image.source': 'https://github.com/octo/app',
      'org.opencontainers.image.title': 'app',
      'org.opencontainers.image.url': 'https://github.com/octo/app',
      'org.opencontainers.image.version': 'sha-860c190',
      'com.example.team': 'core'
    });
    expect(w.commands().at(-1)).toBe(`buildx imagetools inspect --raw <registry>/acme/app:sha-860c190`);
    expect(published.digest).toBe(merged.digest);
    expect(Object.keys(published.platformDigests)).toEqual(['linux/amd64', 'linux/arm64']);
  });

  test('an index that is not in the registry after publishing fails', async () => {
    const amd64 = w.store.pushPlatforms(w.image, ['linux/amd64']);
    w.buildx.fail('imagetools inspect --raw', 'ERROR: not found\n', { times: 'always' });
    const plan = planFor(w.dir, { images: w.image, mode: 'merge', tags: 'type=sha', platforms: 'linux/amd64' });

    await expect(publishPlan(plan, [`${w.image}@${amd64}`])).rejects.toThrow(
      `${w.image}:sha-860c190 is not in the registry after publishing`
    );
  });
});
