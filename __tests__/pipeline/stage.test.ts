import { stage } from '../../src/pipeline/stage.js';
import { registryOptions } from '../../src/pipeline/run.js';
import type { Plan } from '../../src/plan/plan.js';
import { recordingLog } from '../support/log.js';
import { fakeHandle, planFor, stepOf } from './support/plans.js';
import { World } from './support/world.js';

// The stage step: the release's content in every repository by digest, nothing named yet.

let w: World;
beforeAll(async () => {
  w = await World.start();
});
afterAll(() => w.close());
beforeEach(() => w.reset());

const VERSION = 'org.opencontainers.image.version';
const mirror = () => `${w.registry.host}/mirror/app`;

/** Stages the plan's index from `sources`, as the pipeline does after a build or a merge's discovery. */
async function stagePlan(plan: Plan, sources: string[], retries = 0) {
  const rec = recordingLog();
  const staged = await stage(
    fakeHandle(w.buildx, rec, retries),
    stepOf(plan, 'stage'),
    sources,
    registryOptions({}, w.buildx.runner, 0),
    plan.platforms.map((p) => p.id)
  );
  return { staged, rec };
}

/** What a build of version 1.2.3 pushed by digest. */
function built(version = '1.2.3'): { digest: string; source: string } {
  const digest = w.store.pushPlatforms(w.image, ['linux/amd64', 'linux/arm64'], { [VERSION]: version });
  return { digest, source: `${w.image}@${digest}` };
}

/** Every manifest an index lists. */
function children(ref: string): string[] {
  return (JSON.parse(w.store.get(ref)!.raw) as { manifests: Array<{ digest: string }> }).manifests.map((m) => m.digest);
}

describe('stage after a build', () => {
  test('the build’s index read by one GET of its digest; nothing named', async () => {
    const { digest, source } = built();
    const plan = planFor(w.dir, { images: w.image, platforms: 'linux/amd64,linux/arm64' });

    const { staged, rec } = await stagePlan(plan, [source]);

    expect(w.requests()).toEqual([`GET /v2/acme/app/manifests/${digest}`]);
    expect(w.commands()).toEqual([]);
    expect(staged.digest).toBe(digest);
    expect(staged.raw).toBe(w.store.get(source)!.raw);
    expect(staged.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(staged.children).toEqual(children(source));
    expect(Object.keys(staged.platformDigests)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(staged.repositories).toEqual([w.image]);
    expect(w.store.tags(w.image)).toEqual({});
    expect(rec.infos.map((l) => w.normalise(l))).toEqual([
      `[request] GET <registry>/acme/app@${digest}`,
      `staged ${digest} in <registry>/acme/app; no tag has moved`
    ]);
  });

  test('a second repository gets a copy by digest (imagetools create --tag name@digest), with every manifest it lists, and no tag', async () => {
    const { digest, source } = built();
    const plan = planFor(w.dir, { images: `${w.image}\n${mirror()}` });

    const { staged, rec } = await stagePlan(plan, [source]);

    expect(w.commands()).toEqual([
      `buildx imagetools create --builder <builder> --tag <registry>/mirror/app@${digest} <registry>/acme/app@${digest}`
    ]);
    expect(w.store.get(`${mirror()}@${digest}`)?.raw).toBe(w.store.get(source)!.raw);
    for (const child of children(source)) expect(w.store.get(`${mirror()}@${child}`)).toBeDefined();
    expect([w.store.tags(w.image), w.store.tags(mirror())]).toEqual([{}, {}]);
    expect(staged.repositories).toEqual([w.image, mirror()]);
    expect(rec.infos.map((l) => w.normalise(l))).toContain(`<registry>/mirror/app@${digest}: copied by digest`);
  });

  test('a source the registry will not give by a plain GET is read through imagetools', async () => {
    const { digest, source } = built();
    w.registry.once = [(_q, res) => void res.writeHead(401, { 'WWW-Authenticate': 'Negotiate' }).end()];
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });

    const { staged, rec } = await stagePlan(plan, [source]);

    expect(w.commands()).toEqual([`buildx imagetools inspect --builder <builder> --raw <registry>/acme/app@${digest}`]);
    expect(w.requests()).toEqual([`GET /v2/acme/app/manifests/${digest}`]);
    expect(rec.infos.map((l) => w.normalise(l))).toEqual([
      `[request] GET <registry>/acme/app@${digest}`,
      `reading <registry>/acme/app@${digest} through buildx imagetools (<registry> asks for an unsupported authentication (Negotiate))`,
      `staged ${digest} in <registry>/acme/app; no tag has moved`
    ]);
    expect(staged.digest).toBe(digest);
  });

  test('a source neither our client nor imagetools can read: the build’s push cannot be read back', async () => {
    const gone = `${w.image}@sha256:${'0'.repeat(64)}`;
    w.registry.once = [(_q, res) => void res.writeHead(401, { 'WWW-Authenticate': 'Negotiate' }).end()];
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });

    await expect(stagePlan(plan, [gone])).rejects.toThrow(
      `${gone} is not in the registry: the build's push cannot be read back`
    );
  });

  test('a dropped connection on the GET is tried again', async () => {
    const { digest, source } = built();
    w.registry.once = [(req) => void req.socket.destroy()];
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha' });

    const { staged } = await stagePlan(plan, [source]);

    expect(w.requests()).toEqual([`GET /v2/acme/app/manifests/${digest}`, `GET /v2/acme/app/manifests/${digest}`]);
    expect(staged.digest).toBe(digest);
  });

  test('a single-platform image (no index): its digest is the platform’s', async () => {
    const image = w.store.pushImage(w.image, 'linux/arm64', { [VERSION]: '1.2.3' });
    const plan = planFor(w.dir, { images: w.image, tags: 'type=sha', platforms: 'linux/arm64', provenance: 'false' });

    const { staged } = await stagePlan(plan, [`${w.image}@${image.digest}`]);

    expect(staged.platformDigests).toEqual({ 'linux/arm64': image.digest });
    expect(staged.children).toEqual([]);
  });
});

describe('stage after a merge', () => {
  const mergePlan = () =>
    planFor(w.dir, {
      images: w.image,
      mode: 'merge',
      tags: 'type=sha',
      platforms: 'linux/amd64,linux/arm64',
      annotations: 'index:com.example.team=core'
    });

  test('a new index of the legs, with the index annotations, computed by imagetools create --dry-run and PUT by its digest; no tag', async () => {
    const amd64 = w.store.pushPlatforms(w.image, ['linux/amd64'], { [VERSION]: '1.2.3' });
    const arm64 = w.store.pushPlatforms(w.image, ['linux/arm64'], { [VERSION]: '1.2.3' });
    const plan = mergePlan();

    const { staged } = await stagePlan(plan, [`${w.image}@${amd64}`, `${w.image}@${arm64}`]);

    expect(stepOf(plan, 'stage').annotations).toEqual([
      'index:com.example.team=core',
      'index:org.opencontainers.image.created=2024-02-01T10:00:00.000Z',
      'index:org.opencontainers.image.description=An app',
      'index:org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37',
      'index:org.opencontainers.image.source=https://github.com/octo/app',
      'index:org.opencontainers.image.title=app',
      'index:org.opencontainers.image.url=https://github.com/octo/app',
      'index:org.opencontainers.image.version=sha-860c190'
    ]);
    expect(w.commands()).toEqual([
      [
        'buildx imagetools create --dry-run',
        ...stepOf(plan, 'stage').annotations.map((a) => `--annotation ${a}`),
        `<registry>/acme/app@${amd64}`,
        `<registry>/acme/app@${arm64}`
      ].join(' ')
    ]);
    expect(w.requests().map(decodeURIComponent)).toEqual([`PUT /v2/acme/app/manifests/${staged.digest}`]);
    const merged = w.store.get(`${w.image}@${staged.digest}`)!;
    expect(merged.raw).toBe(staged.raw);
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
    expect(Object.keys(staged.platformDigests)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(w.store.tags(w.image)).toEqual({});
  });

  test('a registry that refuses our PUT gets the same index by digest through imagetools create', async () => {
    const amd64 = w.store.pushPlatforms(w.image, ['linux/amd64']);
    const arm64 = w.store.pushPlatforms(w.image, ['linux/arm64']);
    w.registry.answer = (req, res, seen) =>
      seen.method === 'PUT'
        ? void res.writeHead(400).end('{"errors":[{"code":"MANIFEST_INVALID"}]}')
        : w.registry.fromStore(req, res, seen);
    const plan = mergePlan();

    const { staged, rec } = await stagePlan(plan, [`${w.image}@${amd64}`, `${w.image}@${arm64}`]);

    expect(w.commands().at(-1)).toBe(
      [
        'buildx imagetools create',
        ...stepOf(plan, 'stage').annotations.map((a) => `--annotation ${a}`),
        `--tag <registry>/acme/app@${staged.digest}`,
        `<registry>/acme/app@${amd64}`,
        `<registry>/acme/app@${arm64}`
      ].join(' ')
    );
    expect(w.store.get(`${w.image}@${staged.digest}`)?.raw).toBe(staged.raw);
    expect(rec.infos.map((l) => w.normalise(l))).toContain(
      `staging <registry>/acme/app@${staged.digest} through buildx imagetools (PUT http://<registry>/v2/acme/app/manifests/${staged.digest} answered 400 Bad Request: {"errors":[{"code":"MANIFEST_INVALID"}]})`
    );
    expect(w.store.tags(w.image)).toEqual({});
  });

  test('a 503 with Retry-After on the PUT by digest, then the PUT again', async () => {
    const amd64 = w.store.pushPlatforms(w.image, ['linux/amd64']);
    const arm64 = w.store.pushPlatforms(w.image, ['linux/arm64']);
    w.registry.once = [(_q, res) => void res.writeHead(503, { 'Retry-After': '0' }).end()];

    const { staged, rec } = await stagePlan(mergePlan(), [`${w.image}@${amd64}`, `${w.image}@${arm64}`]);

    expect(w.requests().map(decodeURIComponent)).toEqual([
      `PUT /v2/acme/app/manifests/${staged.digest}`,
      `PUT /v2/acme/app/manifests/${staged.digest}`
    ]);
    expect(rec.warnings.map((m) => w.normalise(m).replace(/retrying in \d\.\d s/, 'retrying in n s'))).toEqual([
      `staging <registry>/acme/app@${staged.digest}: attempt 1 of 3 failed (PUT http://<registry>/v2/acme/app/manifests/${staged.digest} answered 503 Service Unavailable); retrying in n s`
    ]);
  });
});
