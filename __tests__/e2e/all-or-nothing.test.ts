/**
 * A release is all or nothing: stage, prove, then commit. Each case runs the bundled action the
 * runner's way against the real stack and reads the registries back over HTTP:
 * - two registries, the second without a login: refused in the preflight, before any build; no
 *   tag in either; with a login both get every tag on one index, copied by digest after one build;
 * - a signing key with the wrong password: refused before the build, naming sign-key-password;
 * - two runs that publish `main` at once (repeated), and a branch run and a tag run of one commit
 *   at once: both green, a tag the other run moved later is reported superseded, never an error;
 * - literal references (metadata-action's output passed through): a backport leaves `latest` and
 *   the major tag where they are;
 * - legs built without provenance: the merge refuses them before staging;
 * - a SIGKILL between stage and commit (at the first tag PUT): no tag moved;
 * - the dry run's `tags` output equals the real run's, for a pre-release with flavor latest=true
 *   and with platform-tags.
 */
import path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { tagOf } from '../../src/plan/reference.js';
import type { StepOptions } from './support/runner.js';
import { Registry } from './support/registry.js';
import { STACK_DIR, waitForStack, type StackEnv } from './support/stack.js';
import { startStep } from './support/step-control.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import {
  annotations,
  expectSucceeded,
  log,
  pushEvent,
  randomSha,
  tagDigests,
  uniqueRepo,
  useHarness
} from './support/harness.js';

const CASE_TIMEOUT_MS = 600_000;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];

type Env = StackEnv & { cosign?: string };
const stack = await waitForStack();
const env = (stack.ok ? stack.env : {}) as Env;
if (!stack.ok) console.log(`skipping the all-or-nothing end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;
const cosignPath = env.cosign ?? path.join(STACK_DIR, 'bin', 'cosign');
/** The stack's cosign on the PATH, as a runner with cosign installed has it: the action uses it. */
const PATH_WITH_COSIGN = `${path.dirname(cosignPath)}:${process.env.PATH ?? ''}`;
const KEY_PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

/** The buildx builds a run started: none at all when the preflight refused. */
function builds(stdout: string): string[] {
  return stdout.split('\n').filter((l) => /^\[command\] \S*(buildx|docker)\S* (buildx )?build /.test(l));
}

/** Every tag of a repository and its digest, less the registry cache's (`buildcache`) and cosign's (`….sig`). */
async function releaseTags(registry: Registry, repo: string): Promise<Record<string, string>> {
  const tags = await tagDigests(registry, repo);
  return Object.fromEntries(Object.entries(tags).filter(([tag]) => tag !== 'buildcache' && !tag.endsWith('.sig')));
}

/** Tag PUTs (by tag, not by digest) the run made. */
function tagPuts(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => /^\[request\] PUT \S+:[^@\s]+ \(/.test(l) && !/@sha256:\S+ \(the new/.test(l));
}

/** BuildKit talks plain HTTP to 127.0.0.1:5000-5009 only: a proxy it pushes through takes one of those. */
const PROXY_PORTS = [5009, 5008, 5007, 5006, 5005, 5004, 5003, 5002];

describeStack('a release is all or nothing: stage, prove, then commit', () => {
  const h = useHarness(env, 'all-or-nothing');
  const work = mkdtempSync(path.join(os.tmpdir(), 'e2e-all-or-nothing-'));
  h.cleanup(() => rmSync(work, { recursive: true, force: true }));

  /** A cosign key pair encrypted with KEY_PASSWORD, in a directory of its own. */
  function keyPair(name: string): { key: string; pub: string } {
    if (!existsSync(cosignPath)) throw new Error(`${cosignPath} is missing: scripts/stack.sh builds cosign`);
    const dir = path.join(work, name);
    mkdirSync(dir);
    const made = spawnSync(cosignPath, ['generate-key-pair'], {
      cwd: dir,
      env: { ...process.env, COSIGN_PASSWORD: KEY_PASSWORD },
      encoding: 'utf8'
    });
    if (made.status !== 0) throw new Error(`cosign generate-key-pair failed:\n${made.stderr}`);
    return { key: path.join(dir, 'cosign.key'), pub: path.join(dir, 'cosign.pub') };
  }
  const registry = h.registry;
  const password = stack.ok ? readFileSync(env.authPasswordFile, 'utf8').trim() : '';
  const authRegistry = new Registry(env.authRegistry, { user: env.authUser, password });

  test(
    'two registries, the second without a login: refused before any build, no tag in either',
    async () => {
      const repo = uniqueRepo('two-registries-denied');
      const first = `${env.registry}/${repo}`;
      const second = `${env.authRegistry}/${repo}`;
      const result = await h.main('two registries, no login for the second', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(`${first}\n${second}`, { platforms: PLATFORMS.join(',') }),
        event: pushEvent('refs/tags/v8.0.0', randomSha())
      });
      expect(result.code).not.toBe(0);
      const errors = annotations(result, 'error').join('\n');
      expect(errors).toContain(env.authRegistry);
      expect(errors).toContain(`Log in to ${env.authRegistry} before this step`);
      expect(builds(result.stdout)).toEqual([]);
      expect(tagPuts(result.stdout)).toEqual([]);
      expect(await registry.tags(repo)).toEqual([]);
      expect(await authRegistry.tags(repo)).toEqual([]);
      expect(result.summary).toContain('**Preflight** failed');
      expect(result.summary).toContain(`\`${first}:latest\`: not moved`);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'two registries with a login: one build, the index copied by digest and signed in both, every tag in both on one digest',
    async () => {
      const repo = uniqueRepo('two-registries');
      const first = `${env.registry}/${repo}`;
      const second = `${env.authRegistry}/${repo}`;
      const sha = randomSha();
      const keys = keyPair('two-registries');
      const result = await h.main('two registries', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(`${first}\n${second}`, {
          platforms: PLATFORMS.join(','),
          sign: 'key',
          'sign-key': keys.key,
          'sign-key-password': KEY_PASSWORD,
          'sign-tlog': 'false'
        }),
        event: pushEvent('refs/tags/v8.0.0', sha),
        env: { DOCKER_CONFIG: env.authDockerConfig, PATH: PATH_WITH_COSIGN }
      });
      expectSucceeded(result, 'the two-registry release');
      // One build, pushed to the first registry only (a retry of it under load is the same build):
      // the second registry gets a copy by digest, never a build of its own.
      const built = builds(result.stdout);
      expect(built.length).toBeGreaterThanOrEqual(1);
      expect(new Set(built.map((b) => b.replace(/--metadata-file \S+/, '')))).toEqual(
        new Set([built[0].replace(/--metadata-file \S+/, '')])
      );
      expect(built.every((b) => b.includes(`name=${first},`) && !b.includes(env.authRegistry))).toBe(true);
      const digest = result.outputs.digest;
      const tags = ['8.0.0', '8.0', '8', 'v8.0.0', 'latest', `sha-${sha.slice(0, 7)}`];
      expect(await releaseTags(registry, repo)).toEqual(Object.fromEntries(tags.map((t) => [t, digest])));
      for (const tag of tags) expect((await authRegistry.manifest(repo, tag))?.digest).toBe(digest);
      expect(result.outputs.tags.split('\n').sort()).toEqual(
        [...tags.map((t) => `${first}:${t}`), ...tags.map((t) => `${second}:${t}`)].sort()
      );
      // Staged in both before any tag moved: the copy by digest comes before the first tag PUT.
      const lines = result.stdout.split('\n');
      const copy = lines.findIndex((l) => l.includes('imagetools create') && l.includes(`${second}@sha256:`));
      const firstPut = lines.findIndex((l) => /^\[request\] PUT \S+:8\.0\.0 /.test(l));
      expect(await authRegistry.tags(repo)).not.toContain('buildcache');
      expect(copy).toBeGreaterThan(-1);
      expect(firstPut).toBeGreaterThan(copy);
      // Signed in both repositories, before the first tag moved.
      for (const image of [first, second]) {
        const verified = spawnSync(
          cosignPath,
          [
            'verify',
            '--key',
            keys.pub,
            '--insecure-ignore-tlog=true',
            '--allow-insecure-registry',
            `${image}@${digest}`
          ],
          { encoding: 'utf8', env: { ...process.env, DOCKER_CONFIG: env.authDockerConfig } }
        );
        expect({ image, code: verified.status, said: verified.status === 0 ? '' : verified.stderr }).toEqual({
          image,
          code: 0,
          said: ''
        });
      }
      const signed = lines.findIndex((l) => /^\[command\] \S*cosign sign /.test(l));
      expect(signed).toBeGreaterThan(copy);
      expect(firstPut).toBeGreaterThan(signed);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'sign: key with the wrong sign-key-password: refused before the build, naming the input; nothing moved',
    async () => {
      const keys = keyPair('wrong-password');
      const repo = uniqueRepo('wrong-password');
      const image = `${env.registry}/${repo}`;
      const result = await h.main('sign with the wrong password', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, {
          platforms: 'linux/amd64',
          sign: 'key',
          'sign-key': keys.key,
          'sign-key-password': `wrong-${randomBytes(6).toString('hex')}`,
          'sign-tlog': 'false'
        }),
        event: pushEvent('refs/tags/v6.0.1', randomSha()),
        env: { PATH: PATH_WITH_COSIGN }
      });
      expect(result.code).not.toBe(0);
      const errors = annotations(result, 'error').join('\n');
      expect(errors).toContain('input "sign-key-password"');
      expect(errors).toMatch(/decrypt/);
      expect(builds(result.stdout)).toEqual([]);
      expect(await registry.tags(repo)).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'two runs publishing main at once, three times over: both green every time, main names one of the two',
    async () => {
      const repo = uniqueRepo('two-runs');
      const image = `${env.registry}/${repo}`;
      for (let round = 1; round <= 3; round++) {
        const runs = await h.mainTogether(
          [1, 2].map((n): [string, StepOptions] => [
            `round ${round}, push ${n} to main`,
            {
              workspace: h.workspace('arch'),
              inputs: h.inputs(image, { platforms: 'linux/amd64', tags: 'type=ref,event=branch' }),
              event: pushEvent('refs/heads/main', randomSha())
            }
          ])
        );
        runs.forEach((r, i) => expectSucceeded(r, `round ${round}, run ${i + 1}`));
        const digests = runs.map((r) => r.outputs.digest);
        for (const d of digests) expect(d).toMatch(/^sha256:[0-9a-f]{64}$/);
        for (const r of runs) expect(r.outputs.tags).toBe(`${image}:main`);
        expect(digests).toContain((await registry.manifest(repo, 'main'))?.digest);
        // Whoever lost the race said so as a warning, naming the other run's index.
        for (const [i, r] of runs.entries()) {
          const warned = annotations(r, 'warning').filter((w) => w.includes('superseded by'));
          if (warned.length > 0) expect(warned.join('\n')).toContain(digests[1 - i]);
        }
      }
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a branch run and a tag run of one commit at once: both green, each with its own tags',
    async () => {
      const repo = uniqueRepo('branch-and-tag');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const short = sha.slice(0, 7);
      const [branch, tag] = await h.mainTogether([
        [
          'push to main',
          {
            workspace: h.workspace('arch'),
            inputs: h.inputs(image, { platforms: 'linux/amd64' }),
            event: pushEvent('refs/heads/main', sha)
          }
        ],
        [
          'push of v3.1.0',
          {
            workspace: h.workspace('arch'),
            inputs: h.inputs(image, { platforms: 'linux/amd64' }),
            event: pushEvent('refs/tags/v3.1.0', sha)
          }
        ]
      ]);
      expectSucceeded(branch, 'the branch run');
      expectSucceeded(tag, 'the tag run');
      const now = await releaseTags(registry, repo);
      expect(now.main).toBe(branch.outputs.digest);
      for (const t of ['3.1.0', '3.1', '3', 'latest']) expect(now[t]).toBe(tag.outputs.digest);
      // Both move sha-…: it names one of the two, and neither run failed over it.
      expect([branch.outputs.digest, tag.outputs.digest]).toContain(now[`sha-${short}`]);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'literal references, as metadata-action gives them: a backport leaves latest and the major tag on the newer release',
    async () => {
      const repo = uniqueRepo('literal-backport');
      const image = `${env.registry}/${repo}`;
      const literal = (v: string) => {
        const [major, minor] = v.split('.');
        return [`${image}:${v}`, `${image}:${major}.${minor}`, `${image}:${major}`, `${image}:latest`].join('\n');
      };
      const release = (v: string) =>
        h.main(`literal tags of v${v}`, {
          workspace: h.workspace('arch'),
          inputs: h.inputs(image, { platforms: 'linux/amd64', tags: literal(v) }),
          event: pushEvent(`refs/tags/v${v}`, randomSha())
        });
      const newer = await release('1.2.3');
      expectSucceeded(newer, 'v1.2.3');
      const older = await release('1.1.9');
      expectSucceeded(older, 'v1.1.9');
      const now = await releaseTags(registry, repo);
      expect(now).toEqual({
        '1.2.3': newer.outputs.digest,
        '1.2': newer.outputs.digest,
        '1': newer.outputs.digest,
        latest: newer.outputs.digest,
        '1.1.9': older.outputs.digest,
        '1.1': older.outputs.digest
      });
      expect(older.outputs.tags.split('\n')).toEqual([`${image}:1.1.9`, `${image}:1.1`]);
      expect(annotations(older, 'warning').join('\n')).toContain(
        'latest not moved: it points to 1.2.3, newer than 1.1.9'
      );
    },
    CASE_TIMEOUT_MS
  );

  test(
    'legs built without provenance, the merge at its default: refused in Find legs, before anything is staged',
    async () => {
      const repo = uniqueRepo('legs-no-provenance');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const run = String(randomInt(1_000_000_000, 9_000_000_000));
      const step = (extra: Record<string, string>): StepOptions => ({
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, extra),
        event: pushEvent('refs/heads/main', sha),
        env: { GITHUB_RUN_ID: run }
      });
      const legs = await h.mainTogether(
        PLATFORMS.map((p): [string, StepOptions] => [
          `leg ${p}`,
          step({ mode: 'platform', platforms: p, provenance: 'false' })
        ])
      );
      legs.forEach((leg, i) => expectSucceeded(leg, `the ${PLATFORMS[i]} leg`));
      const handOffs = (await registry.tags(repo)).sort();
      const merge = await h.main('merge', step({ mode: 'merge', platforms: PLATFORMS.join(',') }));
      expect(merge.code).not.toBe(0);
      const errors = annotations(merge, 'error').join('\n');
      expect(errors).toContain('carry no attestation manifest');
      expect(errors).toContain('provenance: false');
      expect(merge.summary).toContain('**Find legs** failed');
      expect(merge.stdout).not.toContain('--dry-run');
      expect(tagPuts(merge.stdout)).toEqual([]);
      expect((await registry.tags(repo)).sort()).toEqual(handOffs);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a SIGKILL between stage and commit (at the first tag PUT): the index is staged by digest, no tag moved',
    async () => {
      const repo = uniqueRepo('killed-before-commit');
      const running: { step?: ReturnType<typeof startStep> } = {};
      let killed = false;
      // At the first manifest PUT by a release tag (the commit's first; the cache export's `buildcache`
      // goes by), SIGKILL the action, then refuse the PUT.
      const proxy = await startFaultProxy({
        target: `http://${env.registry}`,
        port: PROXY_PORTS,
        failureRate: 0,
        faults: ['503'],
        decide: ({ method, path: url }) => {
          if (killed || method !== 'PUT' || !/\/manifests\/(?!sha256:|buildcache$)[^/]+$/.test(url)) return 'forwarded';
          killed = true;
          running.step?.child.kill('SIGKILL');
          return '503';
        }
      });
      h.cleanup(() => proxy.close());
      const image = `${proxy.url}/${repo}`;
      running.step = startStep({
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: PLATFORMS.join(',') }),
        event: pushEvent('refs/tags/v4.0.0', randomSha())
      });
      const ended = await running.step.done;
      expect(killed).toBe(true);
      expect(ended.code).not.toBe(0);
      expect(log(ended)).toMatch(/staged sha256:[0-9a-f]{64}/);
      expect(await releaseTags(registry, repo)).toEqual({});
      const staged = /staged (sha256:[0-9a-f]{64})/.exec(log(ended))![1];
      expect((await registry.manifest(repo, staged))?.digest).toBe(staged);
    },
    CASE_TIMEOUT_MS
  );

  test.each([
    ['a pre-release with flavor latest=true', 'refs/tags/v7.0.0-rc.1', { flavor: 'latest=true' }, false],
    ['platform-tags on a release', 'refs/tags/v7.1.0', { 'platform-tags': '-{{platform}}' }, true]
  ])(
    "the dry run's tags output equals the real run's: %s",
    async (_name, ref, extra, latest) => {
      const repo = uniqueRepo('dry-equals-real');
      const image = `${env.registry}/${repo}`;
      const sha = randomSha();
      const step = (dry: boolean): StepOptions => ({
        workspace: h.workspace('arch'),
        inputs: h.inputs(image, { platforms: PLATFORMS.join(','), ...extra, ...(dry ? { 'dry-run': 'true' } : {}) }),
        event: pushEvent(ref, sha)
      });
      const dry = await h.main('dry run', step(true));
      expectSucceeded(dry, 'the dry run');
      const real = await h.main('real run', step(false));
      expectSucceeded(real, 'the real run');
      expect(dry.outputs.tags.split('\n').sort()).toEqual(real.outputs.tags.split('\n').sort());
      expect(real.outputs.tags).not.toBe('');
      expect(Object.keys(await releaseTags(registry, repo)).sort()).toEqual(
        real.outputs.tags.split('\n').map(tagOf).sort()
      );
      expect(real.outputs.tags.split('\n').includes(`${image}:latest`)).toBe(latest);
    },
    CASE_TIMEOUT_MS
  );
});
