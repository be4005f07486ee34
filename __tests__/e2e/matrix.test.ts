/**
 * The matrix flow of the bundled action (dist/index.js, run the runner's way) against the real
 * stack: `mode: platform` legs, each its own `node dist/index.js` process started at the same
 * time as the others, each pushing by digest and leaving `leg-<sha7>-<run>-<platform>` in the
 * first image's repository; then `mode: merge`, which finds this run's legs and publishes one
 * index under every tag the rules give. What landed is read back over HTTP, independently of buildx.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import type { StepOptions } from './support/runner.js';
import { Registry, platformId } from './support/registry.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import { readImage } from './support/image.js';
import { describeSteps, fromCache, parseSteps, type BuildStep } from './support/progress.js';
import {
  annotations,
  expectSucceeded,
  groupLines,
  log,
  randomSha,
  tagDigests,
  uniqueRepo,
  useHarness,
  type TimedStep,
  pushEvent
} from './support/harness.js';

// Per test: jest ignores testTimeout inside a project's config.
const CASE_TIMEOUT_MS = 600_000;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const slug = (platform: string) => platform.replace(/\//g, '-');

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the matrix end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

/** A push to the default branch at `sha`: tags `main` and `sha-<7>`, cache tags without a branch part. */
/** A run id as GitHub gives them: a large number, different for every run of the suite. */
function runId(): string {
  return String(randomInt(1_000_000_000, 9_000_000_000));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Whether two steps ran at the same time: started together, and neither ended before the other began. */
function expectOverlap(steps: TimedStep[]): void {
  const starts = steps.map((s) => s.startedAt);
  const ends = steps.map((s) => s.endedAt);
  expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(1000);
  expect(Math.min(...ends)).toBeGreaterThan(Math.max(...starts));
}

describeStack('matrix legs and their merge against the real stack', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const h = useHarness(env, 'matrix');
  const registry = h.registry;

  function leg(
    image: string,
    platform: string,
    run: string,
    sha: string,
    workspace: string,
    extra: Record<string, string> = {}
  ): StepOptions {
    return {
      workspace,
      inputs: h.inputs(image, { mode: 'platform', platforms: platform, ...extra }),
      event: pushEvent('refs/heads/main', sha),
      env: { GITHUB_RUN_ID: run }
    };
  }

  function merge(
    image: string,
    run: string,
    sha: string,
    workspace: string,
    extra: Record<string, string> = {}
  ): StepOptions {
    return {
      workspace,
      inputs: h.inputs(image, { mode: 'merge', platforms: PLATFORMS.join(','), ...extra }),
      event: pushEvent('refs/heads/main', sha),
      env: { GITHUB_RUN_ID: run }
    };
  }

  /** Runs one leg per platform of one run at the same time; every leg must succeed. */
  async function legs(
    what: string,
    image: string,
    run: string,
    sha: string,
    workspace: string
  ): Promise<Record<string, TimedStep>> {
    const results = await h.mainTogether(PLATFORMS.map((p) => [`${what} ${p}`, leg(image, p, run, sha, workspace)]));
    results.forEach((r, i) => expectSucceeded(r, `${what} ${PLATFORMS[i]}`));
    expectOverlap(results);
    return Object.fromEntries(PLATFORMS.map((p, i) => [p, results[i]]));
  }

  /** Platform → image digest a leg published (its output), checked against the leg tag in the registry. */
  async function legDigests(
    repo: string,
    sha: string,
    run: string,
    results: Record<string, TimedStep>
  ): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [platform, r] of Object.entries(results)) {
      const legTag = `leg-${sha.slice(0, 7)}-${run}-${slug(platform)}`;
      expect(r.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      // A leg moves no tag from the rules: its only tag is the hand-off.
      expect(r.outputs.tags).toBe('');
      expect({ legTag, digest: (await registry.manifest(repo, legTag))?.digest }).toEqual({
        legTag,
        digest: r.outputs.digest
      });
      const pd = JSON.parse(r.outputs['platform-digests']) as Record<string, string>;
      expect(Object.keys(pd)).toEqual([platform]);
      out[platform] = pd[platform];
    }
    return out;
  }

  /** The merged index: exactly `platforms` as images, everything else attestations of those images. */
  async function mergedImages(repo: string, digest: string): Promise<Record<string, string>> {
    const index = await registry.manifest(repo, digest);
    expect(index?.digest).toBe(digest);
    expect(index?.body.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    const entries = index?.body.manifests ?? [];
    const images = Registry.images(entries);
    const byPlatform = Object.fromEntries(images.map((e) => [platformId(e.platform!), e.digest]));
    expect(Object.keys(byPlatform).sort()).toEqual([...PLATFORMS].sort());
    const others = entries.filter((e) => !images.includes(e));
    // provenance mode=min is the default: one attestation per image, kept through the merge.
    expect(others.length).toBe(images.length);
    for (const other of others) {
      expect(other.annotations?.['vnd.docker.reference.type']).toBe('attestation-manifest');
      expect(images.map((e) => e.digest)).toContain(other.annotations?.['vnd.docker.reference.digest']);
    }
    return byPlatform;
  }

  test(
    'two legs started at once, then the merge: one index of both platforms (attestations kept) under every tag the rules give; the amd64 leg does no QEMU work',
    async () => {
      const repo = uniqueRepo('matrix');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const run = runId();
      const ws = h.workspace('arch');

      const results = await legs('matrix: leg', image, run, sha, ws);
      const fromLegs = await legDigests(repo, sha, run, results);

      // Each leg built its own architecture.
      for (const [platform, digest] of Object.entries(fromLegs)) {
        const { config } = await readImage(registry, repo, digest);
        expect({ platform, built: `${config.os}/${config.architecture}` }).toEqual({ platform, built: platform });
      }

      // This machine is amd64: the amd64 leg has nothing to emulate and must not look.
      const amd = results['linux/amd64'];
      // Every platform of the amd64 leg is native: its plan has no QEMU step at all.
      expect(groupLines(amd, 'QEMU')).toBeUndefined();
      expect(groupLines(results['linux/arm64'], 'QEMU')).toBeDefined();
      expect(amd.summary).toMatch(/\| Emulated \| none \|/);
      expect(results['linux/arm64'].summary).toMatch(/\| Emulated \| `linux\/arm64` \|/);
      expect(groupLines(results['linux/arm64'], 'QEMU')).not.toContain('no QEMU set-up: no platform to emulate');

      const merged = await h.main('matrix: merge', merge(image, run, sha, ws));
      expectSucceeded(merged, 'the merge');
      const { digest } = merged.outputs;
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const byPlatform = await mergedImages(repo, digest);
      // The index holds exactly what the legs pushed, and the outputs say so.
      expect(byPlatform).toEqual(fromLegs);
      expect(JSON.parse(merged.outputs['platform-digests'])).toEqual(fromLegs);

      // A new index gets the index annotations the legs' own indexes carried.
      const index = await registry.manifest(repo, digest);
      expect(index?.body.annotations).toMatchObject({
        'org.opencontainers.image.version': 'main',
        'org.opencontainers.image.revision': sha
      });

      const expected = ['main', `sha-${sha.slice(0, 7)}`];
      expect(merged.outputs.version).toBe('main');
      expect(merged.outputs.tags.split('\n').sort()).toEqual(expected.map((t) => `${image}:${t}`).sort());
      const tags = await tagDigests(registry, repo);
      const published = Object.fromEntries(
        Object.entries(tags).filter(([t]) => !t.startsWith('leg-') && !t.startsWith('buildcache'))
      );
      expect(published).toEqual(Object.fromEntries(expected.map((t) => [t, digest])));
      // Beside them only each leg's own cache: the hand-off tags went with their legs' indexes,
      // deleted by digest once the merged index was published, which still has every child.
      expect(
        Object.keys(tags)
          .filter((t) => !(t in published))
          .sort()
      ).toEqual(PLATFORMS.map((p) => `buildcache-${slug(p)}`).sort());
      for (const p of PLATFORMS) {
        const ref = `${image}:leg-${sha.slice(0, 7)}-${run}-${slug(p)}`;
        expect(merged.summary).toContain(`- \`${ref}\`: removed (the leg index it pointed at was deleted)`);
      }
      expect(Object.keys(await mergedImages(repo, digest)).sort()).toEqual([...PLATFORMS].sort());
    },
    CASE_TIMEOUT_MS
  );

  test(
    'cache per leg: after the builder state is wiped, each leg takes every step before COPY changing.txt from its own buildcache-linux-<arch> ref',
    async () => {
      const repo = uniqueRepo('matrix-cache');
      const image = `${env.registry}/${repo}`;
      const ws = h.workspace('cache');
      const firstSha = randomSha();
      const firstRun = runId();

      h.prune();
      const first = await legs('matrix cache: first', image, firstRun, firstSha, ws);
      const firstDigests = await legDigests(repo, firstSha, firstRun, first);
      const tags = await registry.tags(repo);
      for (const p of PLATFORMS) expect(tags).toContain(`buildcache-${slug(p)}`);
      expect(tags).not.toContain('buildcache');

      writeFileSync(path.join(ws, 'changing.txt'), `version 2 ${randomBytes(4).toString('hex')}\n`);
      h.prune();
      const secondSha = randomSha();
      const secondRun = runId();
      const second = await legs('matrix cache: rebuild', image, secondRun, secondSha, ws);
      const secondDigests = await legDigests(repo, secondSha, secondRun, second);

      for (const platform of PLATFORMS) {
        const text = log(second[platform]);
        // Its own cache ref was read (a wiped builder has nowhere else to find these steps), the other leg's not.
        const own = `${image}:buildcache-${slug(platform)}`;
        const importVertex = new RegExp(`^#(\\d+) importing cache manifest from ${escape(own)}$`, 'm').exec(text)?.[1];
        expect({ platform, importVertex }).toEqual({ platform, importVertex: expect.stringMatching(/^\d+$/) });
        expect(text).toMatch(new RegExp(`^#${importVertex} DONE`, 'm'));
        const imported = [...text.matchAll(/^#\d+ importing cache manifest from (\S+)$/gm)].map((m) => m[1]);
        expect({ platform, imported: [...new Set(imported)] }).toEqual({ platform, imported: [own] });

        // A one-platform build's step headers carry no platform.
        const mine = parseSteps(text).filter((s) => s.platform === '' || s.platform === platform);
        const change = mine.findIndex((s) => s.instruction.startsWith('COPY changing.txt'));
        expect({ platform, change }).toEqual({ platform, change: expect.any(Number) });
        expect(change).toBeGreaterThan(0);
        const notFrom = (s: BuildStep) => !s.instruction.startsWith('FROM ');
        const before = mine.slice(0, change).filter(notFrom);
        const after = mine.slice(change);
        expect(before.map((s) => s.instruction)).toEqual([
          'COPY stable.txt /stable.txt',
          'RUN uname -m > /first.txt && cat /stable.txt >> /first.txt && sleep 1',
          'RUN cat /stable.txt /first.txt > /second.txt'
        ]);
        expect({ platform, notCached: describeSteps(before.filter((s) => !fromCache(s))) }).toEqual({
          platform,
          notCached: []
        });
        expect(after.map((s) => s.instruction)).toEqual([
          'COPY changing.txt /changing.txt',
          'RUN cat /changing.txt > /third.txt'
        ]);
        expect({ platform, notRerun: describeSteps(after.filter((s) => s.status !== 'DONE')) }).toEqual({
          platform,
          notRerun: []
        });

        // Independently of the log: every layer below COPY changing.txt is the first build's.
        const layers = async (digest: string) =>
          (await readImage(registry, repo, digest)).manifest.layers.map((l) => l.digest);
        const [was, now] = [await layers(firstDigests[platform]), await layers(secondDigests[platform])];
        expect(now.length).toBe(was.length);
        expect({ platform, kept: now.slice(0, -2) }).toEqual({ platform, kept: was.slice(0, -2) });
        expect(now.at(-1)).not.toBe(was.at(-1));
      }
    },
    CASE_TIMEOUT_MS
  );

  test(
    'two runs of one commit at once never mix: each merge publishes only its own run’s legs',
    async () => {
      const repo = uniqueRepo('matrix-runs');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const runs = { A: runId(), B: runId() };
      const spaces = { A: h.workspace('arch'), B: h.workspace('arch') };
      // Different sources, so the two runs' images differ and a mix would show.
      writeFileSync(path.join(spaces.B, 'app.txt'), `run B ${randomBytes(4).toString('hex')}\n`);

      const all = await h.mainTogether(
        (['A', 'B'] as const).flatMap((r) =>
          PLATFORMS.map((p): [string, StepOptions] => [`runs: ${r} leg ${p}`, leg(image, p, runs[r], sha, spaces[r])])
        )
      );
      all.forEach((r) => expectSucceeded(r, r.what));
      expectOverlap(all);
      const legsOf = (r: 'A' | 'B') =>
        Object.fromEntries(PLATFORMS.map((p) => [p, all.find((s) => s.what === `runs: ${r} leg ${p}`)!]));
      const fromLegs = {
        A: await legDigests(repo, sha, runs.A, legsOf('A')),
        B: await legDigests(repo, sha, runs.B, legsOf('B'))
      };
      for (const p of PLATFORMS) expect({ p, same: fromLegs.A[p] === fromLegs.B[p] }).toEqual({ p, same: false });

      for (const r of ['A', 'B'] as const) {
        const merged = await h.main(`runs: merge ${r}`, merge(image, runs[r], sha, spaces[r]));
        expectSucceeded(merged, `merge ${r}`);
        const byPlatform = await mergedImages(repo, merged.outputs.digest);
        expect({ run: r, byPlatform }).toEqual({ run: r, byPlatform: fromLegs[r] });
        expect(JSON.parse(merged.outputs['platform-digests'])).toEqual(fromLegs[r]);
        // The log names the legs it found: this run's tags only.
        for (const p of PLATFORMS)
          expect(log(merged)).toContain(`${image}:leg-${sha.slice(0, 7)}-${runs[r]}-${slug(p)}`);
        expect(log(merged)).not.toContain(`-${runs[r === 'A' ? 'B' : 'A']}-`);
        for (const t of ['main', `sha-${sha.slice(0, 7)}`])
          expect({ run: r, t, digest: (await registry.manifest(repo, t))?.digest }).toEqual({
            run: r,
            t,
            digest: merged.outputs.digest
          });
      }
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a merge with a leg missing for its run fails naming linux/arm64 and moves no tag, even with another run’s arm64 leg in the repository',
    async () => {
      const repo = uniqueRepo('matrix-missing');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const [mine, other] = [runId(), runId()];
      const ws = h.workspace('arch');

      // This run's amd64 leg, and (at the same time) an arm64 leg of another run of the same commit.
      const [amd, arm] = await h.mainTogether([
        ['missing: amd64 leg of this run', leg(image, 'linux/amd64', mine, sha, ws)],
        ['missing: arm64 leg of another run', leg(image, 'linux/arm64', other, sha, ws)]
      ]);
      expectSucceeded(amd, 'the amd64 leg');
      expectSucceeded(arm, 'the other run’s arm64 leg');

      const merged = await h.main('missing: merge', merge(image, mine, sha, ws));
      expect(merged.code).not.toBe(0);
      const errors = annotations(merged, 'error').join('\n');
      console.log(`the merge's error annotation:\n${errors}`);
      expect(errors).toContain('linux/arm64');
      expect(errors).toContain(`${image}:leg-${sha.slice(0, 7)}-${mine}-linux-arm64`);
      expect(errors).not.toMatch(/linux\/amd64/);
      expect(errors).toMatch(/nothing was published/i);
      expect(merged.outputs.digest ?? '').toBe('');
      // No imagetools create ran.
      expect(log(merged)).not.toMatch(/imagetools create/);

      const tags = (await registry.tags(repo)).sort();
      expect(tags).toEqual(
        [
          `leg-${sha.slice(0, 7)}-${mine}-linux-amd64`,
          `leg-${sha.slice(0, 7)}-${other}-linux-arm64`,
          'buildcache-linux-amd64',
          'buildcache-linux-arm64'
        ].sort()
      );
    },
    CASE_TIMEOUT_MS
  );

  test(
    'the digests input overrides discovery: a merge for a run with no legs publishes exactly the image@digest references given',
    async () => {
      const repo = uniqueRepo('matrix-digests');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const run = runId();
      const ws = h.workspace('arch');

      const results = await legs('digests: leg', image, run, sha, ws);
      const fromLegs = await legDigests(repo, sha, run, results);

      // The merge's own run id has no legs at all: discovery alone would fail (see the case above).
      const nowhere = `${run}9`;
      const digests = PLATFORMS.map((p) => `${image}@${results[p].outputs.digest}`).join('\n');
      const merged = await h.main('digests: merge', merge(image, nowhere, sha, ws, { 'run-id': nowhere, digests }));
      expectSucceeded(merged, 'the merge with digests');
      const byPlatform = await mergedImages(repo, merged.outputs.digest);
      expect(byPlatform).toEqual(fromLegs);
      expect(JSON.parse(merged.outputs['platform-digests'])).toEqual(fromLegs);
      // Discovery was not used; after the commit only this merge's own run's hand-off tags are read
      // (none exists), so the legs, of another run, keep theirs and nothing is removed.
      expect(log(merged)).not.toMatch(/leg index it pointed at was deleted/);
      expect((await registry.tags(repo)).filter((t) => t.startsWith(`leg-${sha.slice(0, 7)}-${run}-`)).length).toBe(
        PLATFORMS.length
      );
      for (const t of ['main', `sha-${sha.slice(0, 7)}`])
        expect({ t, digest: (await registry.manifest(repo, t))?.digest }).toEqual({ t, digest: merged.outputs.digest });
    },
    CASE_TIMEOUT_MS
  );

  test(
    'dry-run of a leg and of a merge prints what each would really do, and runs nothing',
    async () => {
      const repo = uniqueRepo('matrix-dry');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const run = runId();
      const ws = h.workspace('arch');
      const legTag = (p: string) => `leg-${sha.slice(0, 7)}-${run}-${slug(p)}`;
      const printed = (r: TimedStep, start: string) =>
        r.stdout.split('\n').filter((l) => l === start.trimEnd() || l.startsWith(start));

      const dryLeg = await h.main(
        'dry: leg linux/arm64',
        leg(image, 'linux/arm64', run, sha, ws, { 'dry-run': 'true' })
      );
      expectSucceeded(dryLeg, 'the dry-run leg');
      expect(dryLeg.stdout).not.toContain('[command]');
      // A real leg moves no tag from the rules: it tags its push with the hand-off tag only, by one
      // PUT of the pushed index's bytes (as a real leg does), never by imagetools.
      expect(dryLeg.outputs.tags).toBe('');
      expect(printed(dryLeg, 'docker buildx imagetools create ')).toEqual([]);
      expect(printed(dryLeg, '[request] PUT ')).toEqual([
        `[request] PUT ${image}:${legTag('linux/arm64')} (the bytes of ${image}@<digest of the build>)`
      ]);

      const dryMerge = await h.main('dry: merge', merge(image, run, sha, ws, { 'dry-run': 'true' }));
      expectSucceeded(dryMerge, 'the dry-run merge');
      expect(dryMerge.stdout).not.toContain('[command]');
      expect(dryMerge.outputs.tags.split('\n').sort()).toEqual(
        ['main', `sha-${sha.slice(0, 7)}`].map((t) => `${image}:${t}`).sort()
      );
      // A merge builds nothing and has no builder: no build command, no empty --builder.
      expect(printed(dryMerge, 'docker buildx build ')).toEqual([]);
      expect(
        printed(dryMerge, 'docker buildx ').filter(
          (l) => /^docker buildx\s*$/.test(l) || /--builder(\s+--|\s*$)/.test(l)
        )
      ).toEqual([]);
      // It says where it would find each leg.
      for (const p of PLATFORMS) expect(dryMerge.stdout).toContain(legTag(p));
      expect(await registry.tags(repo)).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );
});
