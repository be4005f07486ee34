import { checkDigests, findLegs, removalNote } from '../../src/pipeline/merge.js';
import { recordingLog } from '../support/log.js';
import { fakeHandle, planFor, stepOf } from './support/plans.js';
import { World } from './support/world.js';

// Merge discovery: the legs a matrix left, or explicit digests, checked against the platforms
// before any tag moves.

let w: World;
beforeAll(async () => {
  w = await World.start();
});
afterAll(() => w.close());
beforeEach(() => w.reset());

const leg = (platform: string) => `leg-860c190-7001-${platform.replace(/\//g, '-')}`;

/** A leg's push: an index of `platforms`, each with its provenance attestation, tagged with the hand-off tag of `as`. */
function pushLeg(as: string, platforms = [as]): string {
  const images = platforms.map((p) => w.store.pushImage(w.image, p));
  const digest = w.store.pushIndex(w.image, [...images, ...images.map((i) => w.store.pushAttestation(w.image, i))]);
  w.store.tag(w.image, leg(as), digest);
  return digest;
}

/** The names a message gives digests, for literal expectations. */
function named(text: string, digests: Record<string, string>): string {
  let out = w.normalise(text);
  for (const [name, digest] of Object.entries(digests)) out = out.split(digest).join(`<${name}>`);
  return out;
}

describe('findLegs', () => {
  test('every leg found: its digest in its repository, in the order of platforms', async () => {
    const amd64 = pushLeg('linux/amd64');
    const arm64 = pushLeg('linux/arm64');
    const rec = recordingLog();
    const plan = planFor(w.dir, { images: w.image, mode: 'merge', platforms: 'linux/amd64,linux/arm64' });

    const sources = await findLegs(fakeHandle(w.buildx, rec), stepOf(plan, 'find-legs'));

    expect(sources).toEqual([`${w.image}@${amd64}`, `${w.image}@${arm64}`]);
    expect(rec.infos.map((l) => named(l, { amd64, arm64 }))).toEqual([
      'linux/amd64: <registry>/acme/app@<amd64>',
      'linux/arm64: <registry>/acme/app@<arm64>'
    ]);
  });

  test('a leg pushed as a single manifest (no attestations) is taken as its platform when the merge asks for none', async () => {
    const image = w.store.pushImage(w.image, 'linux/arm64');
    w.store.tag(w.image, leg('linux/arm64'), image.digest);
    const plan = planFor(w.dir, { images: w.image, mode: 'merge', platforms: 'linux/arm64', provenance: 'false' });

    await expect(findLegs(fakeHandle(w.buildx, recordingLog()), stepOf(plan, 'find-legs'))).resolves.toEqual([
      `${w.image}@${image.digest}`
    ]);
  });
});

describe('a merge refuses legs without the attestation manifests its prove step will ask for, before staging', () => {
  test.each([
    { name: 'a single manifest (no index)', single: ['linux/arm64'], bare: [] as string[] },
    { name: 'an index without attestation manifests', single: [], bare: ['linux/arm64'] },
    { name: 'both legs bare', single: ['linux/amd64'], bare: ['linux/arm64'] }
  ])('$name', async ({ single, bare }) => {
    for (const p of ['linux/amd64', 'linux/arm64']) {
      if (single.includes(p)) w.store.tag(w.image, leg(p), w.store.pushImage(w.image, p).digest);
      else if (bare.includes(p)) w.store.tag(w.image, leg(p), w.store.pushPlatforms(w.image, [p]));
      else pushLeg(p);
    }
    const plan = planFor(w.dir, { images: w.image, mode: 'merge', platforms: 'linux/amd64,linux/arm64' });

    await expect(findLegs(fakeHandle(w.buildx, recordingLog()), stepOf(plan, 'find-legs'))).rejects.toThrow(
      `merge: ${[...single, ...bare].sort().join(', ')} carry no attestation manifest, and this merge's provenance/sbom ask for one. ` +
        'Build the legs with provenance (the default), or set provenance: false (and sbom: false) on the merge step too. Nothing was staged and no tag moved.'
    );
  });

  test('a whole merge run: refused in Find legs, nothing staged, no tag moved', async () => {
    for (const p of ['linux/amd64', 'linux/arm64']) w.store.tag(w.image, leg(p), w.store.pushPlatforms(w.image, [p]));
    const before = w.store.tags(w.image);

    const { error, mem } = await w.run({ mode: 'merge', platforms: 'linux/amd64,linux/arm64' });

    expect((error as Error).message).toMatch(/^merge: linux\/amd64, linux\/arm64 carry no attestation manifest/);
    expect(mem.log.groups.at(-1)).toBe('Find legs');
    expect(w.commands().filter((c) => c.startsWith('buildx imagetools create'))).toEqual([]);
    expect(w.registry.seen.filter((s) => s.method === 'PUT')).toEqual([]);
    expect(w.store.tags(w.image)).toEqual(before);
  });
});

describe('a merge that does not add up fails before any tag moves, naming every problem', () => {
  test.each<{ name: string; inputs: Record<string, string>; setup: () => Record<string, string>; message: string }>([
    {
      name: 'a missing leg',
      inputs: { platforms: 'linux/amd64,linux/arm64' },
      setup: () => ({ amd64: pushLeg('linux/amd64') }),
      message:
        'merge: no leg result for linux/arm64 (no <registry>/acme/app:leg-860c190-7001-linux-arm64). ' +
        'Did every matrix leg run with mode: platform for this commit and run? Nothing was published.'
    },
    {
      name: 'a leg holding another platform, and one missing',
      inputs: { platforms: 'linux/amd64,linux/arm64,linux/riscv64' },
      setup: () => ({ amd64: pushLeg('linux/amd64'), arm64: pushLeg('linux/arm64', ['linux/arm/v7']) }),
      message:
        'merge: no leg result for linux/arm64 (<registry>/acme/app:leg-860c190-7001-linux-arm64 holds linux/arm/v7); ' +
        'linux/riscv64 (no <registry>/acme/app:leg-860c190-7001-linux-riscv64). ' +
        'Did every matrix leg run with mode: platform for this commit and run? Nothing was published.'
    },
    {
      name: 'digests missing a platform',
      inputs: { platforms: 'linux/amd64,linux/arm64', digests: 'amd64' },
      setup: () => ({ amd64: w.store.pushPlatforms(w.image, ['linux/amd64']) }),
      message:
        'merge: the digests do not match platforms (linux/amd64, linux/arm64): linux/arm64 is in platforms but in none of the digests. Nothing was published.'
    },
    {
      name: 'digests holding an unexpected platform',
      inputs: { platforms: 'linux/amd64', digests: 'amd64 riscv64' },
      setup: () => ({
        amd64: w.store.pushPlatforms(w.image, ['linux/amd64']),
        riscv64: w.store.pushImage(w.image, 'linux/riscv64').digest
      }),
      message:
        'merge: the digests do not match platforms (linux/amd64): <registry>/acme/app@<riscv64> holds linux/riscv64, which platforms does not list. Nothing was published.'
    },
    {
      name: 'digests holding one platform twice',
      inputs: { platforms: 'linux/amd64,linux/arm64', digests: 'first second arm64' },
      setup: () => ({
        first: w.store.pushPlatforms(w.image, ['linux/amd64']),
        second: w.store.pushImage(w.image, 'linux/amd64').digest,
        arm64: w.store.pushPlatforms(w.image, ['linux/arm64'])
      }),
      message:
        'merge: the digests do not match platforms (linux/amd64, linux/arm64): linux/amd64 is in more than one digest. Nothing was published.'
    },
    {
      name: 'digests with every problem at once',
      inputs: { platforms: 'linux/amd64,linux/arm64', digests: 'both riscv64' },
      setup: () => ({
        both: w.store.pushPlatforms(w.image, ['linux/amd64', 'linux/amd64/v2']),
        riscv64: w.store.pushPlatforms(w.image, ['linux/riscv64', 'linux/amd64'])
      }),
      message:
        'merge: the digests do not match platforms (linux/amd64, linux/arm64): linux/arm64 is in platforms but in none of the digests; ' +
        '<registry>/acme/app@<both> holds linux/amd64/v2, which platforms does not list; ' +
        '<registry>/acme/app@<riscv64> holds linux/riscv64, which platforms does not list; ' +
        'linux/amd64 is in more than one digest. Nothing was published.'
    },
    {
      name: 'a digest that is not in the registry',
      inputs: { platforms: 'linux/amd64', digests: 'gone' },
      setup: () => ({ gone: `sha256:${'0'.repeat(64)}` }),
      message: 'merge: <registry>/acme/app@<gone> (from the digests input) not in the registry; nothing was published'
    }
  ])('$name', async ({ inputs, setup, message }) => {
    w.store.tag(w.image, 'latest', w.store.pushPlatforms(w.image, ['linux/amd64']));
    const digests: Record<string, string> = setup();
    const before = w.store.tags(w.image);
    // The digests input names digests by these names; each stands for its digest in the first image.
    const given: Record<string, string> = inputs.digests
      ? {
          digests: inputs.digests
            .split(' ')
            .map((n) => digests[n])
            .join('\n')
        }
      : {};

    const { error } = await w.run({ mode: 'merge', ...inputs, ...given });

    expect(named((error as Error).message, digests)).toBe(message);
    expect(w.store.tags(w.image)).toEqual(before);
    expect(w.commands().filter((c) => c.startsWith('buildx imagetools create'))).toEqual([]);
    // Only the preflight's push check (an upload session, opened and cancelled) was asked of the registry.
    expect(w.registry.seen.filter((s) => s.method !== 'GET' && !s.url.includes('/blobs/uploads/'))).toEqual([]);
  });
});

describe('checkDigests', () => {
  test('digests that hold exactly the platforms: returned as given; a single manifest’s platform read from its config', async () => {
    const index = w.store.pushPlatforms(w.image, ['linux/amd64']);
    const single = w.store.pushImage(w.image, 'linux/arm/v7').digest;
    const rec = recordingLog();
    const plan = planFor(w.dir, {
      images: w.image,
      mode: 'merge',
      platforms: 'linux/amd64,linux/arm/v7',
      digests: `${index}\n${w.image}@${single}`,
      provenance: 'false'
    });

    const refs = await checkDigests(fakeHandle(w.buildx, rec), stepOf(plan, 'check-digests'));

    expect(refs).toEqual([`${w.image}@${index}`, `${w.image}@${single}`]);
    expect(w.commands().map((c) => named(c, { index, single }))).toEqual([
      'buildx imagetools inspect --raw <registry>/acme/app@<index>',
      'buildx imagetools inspect --raw <registry>/acme/app@<single>',
      'buildx imagetools inspect --format {{json .Image}} <registry>/acme/app@<single>'
    ]);
    expect(rec.infos.map((l) => named(l, { index, single }))).toEqual([
      'linux/amd64: <registry>/acme/app@<index>',
      'linux/arm/v7: <registry>/acme/app@<single>'
    ]);
  });

  test('digests without the attestation the merge asks for are refused before staging', async () => {
    const index = w.store.pushPlatforms(w.image, ['linux/amd64']);
    const plan = planFor(w.dir, { images: w.image, mode: 'merge', platforms: 'linux/amd64', digests: index });

    await expect(checkDigests(fakeHandle(w.buildx, recordingLog()), stepOf(plan, 'check-digests'))).rejects.toThrow(
      /^merge: linux\/amd64 carry no attestation manifest/
    );
  });
});

describe('removalNote: what the log and the summary say of each leg hand-off tag', () => {
  test.each([
    { outcome: 'removed' as const, note: 'removed (the leg index it pointed at was deleted)' },
    { outcome: 'kept' as const, note: 'kept: the published index lists the image it points at' },
    {
      outcome: 'unsupported' as const,
      note: 'kept: the registry does not allow deleting manifests (on GHCR and Docker Hub, delete it with their own API)'
    }
  ])('$outcome', ({ outcome, note }) => {
    expect(removalNote(outcome)).toBe(note);
  });
});
