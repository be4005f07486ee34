/**
 * Releases through the bundled action (dist/index.js, run the runner's way) against the real
 * stack: git tag pushes in an order a project really has (a patch of an older line after a newer
 * release, then a newer one, then a pre-release), where floating tags (latest, major,
 * major.minor) must only ever move forward; a branch push with names in mixed case; and a dry run
 * that must touch nothing. What landed is read back over HTTP, independently of buildx.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { StepOptions } from './support/runner.js';
import { Registry, platformId } from './support/registry.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import {
  annotations,
  expectSucceeded,
  log,
  randomSha,
  repoOf,
  startConnectionTrap,
  tagDigests,
  uniqueRepo,
  useHarness,
  type TimedStep
} from './support/harness.js';

const CASE_TIMEOUT_MS = 600_000;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const REPOSITORY = {
  name: 'app',
  full_name: 'octo/app',
  html_url: 'https://github.com/octo/app',
  description: 'An app',
  default_branch: 'main',
  license: { key: 'apache-2.0', spdx_id: 'Apache-2.0' }
};

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the release end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

/** The push of git tag `tag` at `sha`, as GitHub sends it: GITHUB_REF, GITHUB_SHA and the payload agree. */
function tagPush(tag: string, sha: string, timestamp: string): StepOptions['event'] {
  const ref = `refs/tags/${tag}`;
  return {
    name: 'push',
    ref,
    sha,
    payload: {
      ref,
      before: '0'.repeat(40),
      after: sha,
      created: true,
      base_ref: 'refs/heads/main',
      head_commit: { id: sha, message: `Release ${tag}`, timestamp },
      repository: REPOSITORY
    }
  };
}

function branchPush(branch: string, sha: string, timestamp: string): StepOptions['event'] {
  const ref = `refs/heads/${branch}`;
  return {
    name: 'push',
    ref,
    sha,
    payload: {
      ref,
      before: '0'.repeat(40),
      after: sha,
      created: false,
      head_commit: { id: sha, message: 'Work', timestamp },
      repository: REPOSITORY
    }
  };
}

/** Splits a printed command line into words the way a POSIX shell would (quotes and backslashes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word += line.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? line.length : end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++)
        word += line[j] === '\\' && /["\\$`]/.test(line[j + 1] ?? '') ? line[++j] : line[j];
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

describeStack('releases, branches and dry runs against the real stack', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const h = useHarness(env, 'release');
  const registry = h.registry;

  test(
    'v1.2.3, then v1.1.9, v1.3.0 and v2.0.0-rc.1: floating tags only move forward, and the outputs and summary say what moved and what was held',
    async () => {
      const repo = uniqueRepo('release');
      const image = `${env.registry}/${repo}`;
      const ws = h.workspace('arch');
      const shas: Record<string, string> = {};
      const digests: Record<string, string> = {};

      /** One release: its own commit and source, built for both platforms and published. */
      const release = async (version: string, day: number): Promise<TimedStep> => {
        shas[version] = randomSha();
        writeFileSync(path.join(ws, 'app.txt'), `release ${version} ${randomBytes(4).toString('hex')}\n`);
        const result = await h.main(`release v${version}`, {
          workspace: ws,
          inputs: h.inputs(image),
          event: tagPush(`v${version}`, shas[version], `2024-04-${String(day).padStart(2, '0')}T10:00:00Z`)
        });
        expectSucceeded(result, `the v${version} release`);
        expect(result.outputs.version).toBe(version);
        expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(Object.values(digests)).not.toContain(result.outputs.digest);
        digests[version] = result.outputs.digest;
        // Every index carries the version it was built for: what the next release compares against.
        const index = await registry.manifest(repo, result.outputs.digest);
        expect(index?.body.annotations?.['org.opencontainers.image.version']).toBe(version);
        expect(
          Registry.images(index?.body.manifests)
            .map((e) => platformId(e.platform!))
            .sort()
        ).toEqual(PLATFORMS);
        return result;
      };
      const sha = (version: string) => `sha-${shas[version].slice(0, 7)}`;
      const moved = (result: TimedStep) => result.outputs.tags.split('\n').filter(Boolean).sort();
      const refs = (...tags: string[]) => tags.map((t) => `${image}:${t}`).sort();
      const notMoved = (result: TimedStep) =>
        annotations(result, 'warning')
          .filter((w) => / not moved: /.test(w))
          .sort();

      // 1. The first release takes every tag.
      const first = await release('1.2.3', 1);
      // The git tag as written (v1.2.3) beside the version tags, as metadata-action's defaults publish it.
      expect(moved(first)).toEqual(refs('1.2.3', '1.2', '1', 'v1.2.3', 'latest', sha('1.2.3')));
      expect(notMoved(first)).toEqual([]);
      expect(await tagDigests(registry, repo)).toEqual({
        '1.2.3': digests['1.2.3'],
        '1.2': digests['1.2.3'],
        '1': digests['1.2.3'],
        'v1.2.3': digests['1.2.3'],
        latest: digests['1.2.3'],
        [sha('1.2.3')]: digests['1.2.3'],
        buildcache: expect.any(String)
      });

      // 2. A patch of the older 1.1 line: 1.1.9 and 1.1 are new; 1 and latest stay on 1.2.3.
      const patch = await release('1.1.9', 2);
      expect(moved(patch)).toEqual(refs('1.1.9', '1.1', 'v1.1.9', sha('1.1.9')));
      expect(notMoved(patch)).toEqual([
        '1 not moved: it points to 1.2.3, newer than 1.1.9',
        'latest not moved: it points to 1.2.3, newer than 1.1.9'
      ]);
      expect(patch.summary).toContain('- `1` not moved (stays on 1.2.3, newer than 1.1.9)');
      expect(patch.summary).toContain('- `latest` not moved (stays on 1.2.3, newer than 1.1.9)');
      // The summary's tag list is what moved: the held tags are not listed as pushed.
      expect(patch.summary).not.toContain(`- \`${image}:latest\``);
      expect(patch.summary).not.toContain(`- \`${image}:1\``);
      expect(await tagDigests(registry, repo)).toEqual({
        '1.2.3': digests['1.2.3'],
        '1.2': digests['1.2.3'],
        '1': digests['1.2.3'],
        'v1.2.3': digests['1.2.3'],
        latest: digests['1.2.3'],
        [sha('1.2.3')]: digests['1.2.3'],
        '1.1.9': digests['1.1.9'],
        '1.1': digests['1.1.9'],
        'v1.1.9': digests['1.1.9'],
        [sha('1.1.9')]: digests['1.1.9'],
        buildcache: expect.any(String)
      });

      // 3. A newer release moves 1 and latest forward again, and makes 1.3; 1.2 and 1.1 stay.
      const newer = await release('1.3.0', 3);
      expect(moved(newer)).toEqual(refs('1.3.0', '1.3', '1', 'v1.3.0', 'latest', sha('1.3.0')));
      expect(notMoved(newer)).toEqual([]);
      expect(newer.summary).not.toContain('not moved');
      const afterNewer = await tagDigests(registry, repo);
      expect(afterNewer).toMatchObject({
        '1': digests['1.3.0'],
        latest: digests['1.3.0'],
        '1.3': digests['1.3.0'],
        '1.3.0': digests['1.3.0'],
        '1.2': digests['1.2.3'],
        '1.1': digests['1.1.9']
      });

      // 4. A pre-release gets its full version and sha only: no 2, no 2.0, latest untouched.
      const rc = await release('2.0.0-rc.1', 4);
      expect(moved(rc)).toEqual(refs('2.0.0-rc.1', 'v2.0.0-rc.1', sha('2.0.0-rc.1')));
      expect(log(rc)).not.toMatch(/latest not moved/);
      const final = await tagDigests(registry, repo);
      expect(final).toEqual({
        ...afterNewer,
        '2.0.0-rc.1': digests['2.0.0-rc.1'],
        'v2.0.0-rc.1': digests['2.0.0-rc.1'],
        [sha('2.0.0-rc.1')]: digests['2.0.0-rc.1'],
        buildcache: expect.any(String)
      });
      expect(final).not.toHaveProperty('2');
      expect(final).not.toHaveProperty('2.0');
      expect(final.latest).toBe(digests['1.3.0']);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'a push to branch feature/Login-Page with the image name in upper case: tag feature-Login-Page on the lower-cased name',
    async () => {
      const rand = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
      const given = `${env.registry}/E2E/Upper-${rand}`;
      const image = given.toLowerCase();
      const repo = repoOf(image);
      const commit = randomSha();
      const result = await h.main('branch feature/Login-Page', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(given),
        event: branchPush('feature/Login-Page', commit, '2024-05-01T09:30:00Z')
      });
      expectSucceeded(result, 'the branch build');

      const tags = ['feature-Login-Page', `sha-${commit.slice(0, 7)}`];
      expect(result.outputs.version).toBe('feature-Login-Page');
      expect(result.outputs.tags.split('\n').sort()).toEqual(tags.map((t) => `${image}:${t}`).sort());
      expect(result.outputs.labels.split('\n')).toContain('org.opencontainers.image.version=feature-Login-Page');
      // A branch off the default one writes its own cache ref, so it never evicts main's.
      expect(await tagDigests(registry, repo)).toEqual({
        'feature-Login-Page': result.outputs.digest,
        [`sha-${commit.slice(0, 7)}`]: result.outputs.digest,
        'buildcache-feature-Login-Page': expect.any(String)
      });
      // Nothing went anywhere under the name as given (a registry refuses it anyway).
      expect(log(result)).not.toContain('E2E/Upper');
    },
    CASE_TIMEOUT_MS
  );

  test(
    'dry-run on the v1.2.3 tag push: outputs as the rules give, the build and imagetools commands printed, and nothing run, read, created or pushed',
    async () => {
      const trap = await startConnectionTrap();
      h.cleanup(() => trap.close());
      // The first image (the one the action would read floating tags and the cache from) is a port
      // that counts connections; the second is a real repository that must stay empty.
      const trapped = `${trap.host}/e2e/dry-${randomBytes(3).toString('hex')}`;
      const repo = uniqueRepo('dry');
      const image = `${env.registry}/${repo}`;
      const commit = randomSha();
      const buildxConfig = mkdtempSync(path.join(os.tmpdir(), 'e2e-buildx-config-'));
      h.cleanup(() => rmSync(buildxConfig, { recursive: true, force: true }));

      const result = await h.main('dry run', {
        workspace: h.workspace('arch'),
        inputs: h.inputs(`${trapped}\n${image}`, { 'dry-run': 'true' }),
        event: tagPush('v1.2.3', commit, '2024-02-01T10:00:00Z'),
        env: { BUILDX_CONFIG: buildxConfig }
      });
      expectSucceeded(result, 'the dry run');

      const tags = ['1.2.3', '1.2', '1', 'v1.2.3', 'latest', `sha-${commit.slice(0, 7)}`];
      expect(result.outputs.version).toBe('1.2.3');
      expect(result.outputs.tags.split('\n').sort()).toEqual(
        [trapped, image].flatMap((i) => tags.map((t) => `${i}:${t}`)).sort()
      );
      expect(result.outputs.labels.split('\n')).toEqual([
        'org.opencontainers.image.created=2024-02-01T10:00:00.000Z',
        'org.opencontainers.image.description=An app',
        'org.opencontainers.image.licenses=Apache-2.0',
        `org.opencontainers.image.revision=${commit}`,
        'org.opencontainers.image.source=https://github.com/octo/app',
        'org.opencontainers.image.title=app',
        'org.opencontainers.image.url=https://github.com/octo/app',
        'org.opencontainers.image.version=1.2.3'
      ]);
      expect(result.outputs.digest).toBe('');

      // Nothing ran: no process was started at all.
      expect(result.stdout).not.toContain('[command]');
      const lines = result.stdout.split('\n');
      const builder = result.outputs.builder;
      expect(builder).toMatch(/^multiarch-/);

      // The plan: the builder it would create, the build, and the tagging, as commands.
      const create = lines.filter((l) => l.startsWith('docker buildx create '));
      expect(create).toEqual([`docker buildx create --name ${builder} --driver remote ${env.buildkitHost}`]);
      const builds = lines.filter((l) => l.startsWith('docker buildx build '));
      expect(builds.length).toBe(1);
      const build = shellWords(builds[0]);
      const after = (flag: string) => build.flatMap((w, i) => (w === flag ? [build[i + 1]] : []));
      expect(after('--builder')).toEqual([builder]);
      expect(after('--platform')).toEqual([PLATFORMS.join(',')]);
      expect(after('--output')).toEqual([
        `type=image,name=${trapped},push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true`
      ]);
      expect(after('--cache-from')).toEqual([`type=registry,ref=${trapped}:buildcache`]);
      expect(after('--build-arg')).toEqual([`BASE=${env.baseImage}`]);
      // Each label is one word of the command, as it would reach buildx when pasted into a shell.
      expect(after('--label').sort()).toEqual(result.outputs.labels.split('\n').sort());
      expect(after('--annotation')).toContain('index:org.opencontainers.image.version=1.2.3');
      expect(build.at(-1)).toBe('.');

      // Staged first: the second image gets one imagetools copy of the pushed index, by digest.
      // Then every tag in both is a PUT of the index's bytes.
      const copies = lines.filter((l) => l.startsWith('docker buildx imagetools create '));
      expect(copies.length).toBe(1);
      const words = shellWords(copies[0]);
      expect(words.flatMap((w, i) => (w === '--tag' ? [words[i + 1]] : []))).toEqual([
        `${image}@<digest of the build>`
      ]);
      expect(words.at(-1)).toBe(`${trapped}@<digest of the build>`);
      const puts = lines.filter((l) => l.startsWith('[request] PUT '));
      expect(puts.map((l) => l.split(' ')[2]).sort()).toEqual(
        [...tags.map((t) => `${trapped}:${t}`), ...tags.map((t) => `${image}:${t}`)].sort()
      );
      expect(lines.findIndex((l) => l.startsWith('[request] PUT '))).toBeGreaterThan(lines.indexOf(copies[0]));

      // Nothing was read or written: no connection to the first image's registry, nothing in the second.
      expect(trap.connections()).toBe(0);
      expect(await registry.tags(repo)).toEqual([]);
      // No builder: buildx never ran, so its config directory is as it was given (empty).
      expect(readdirSync(buildxConfig)).toEqual([]);
      const inspect = spawnSync('docker', ['buildx', 'inspect', builder], { encoding: 'utf8' });
      expect(inspect.status).not.toBe(0);
      expect(existsSync(path.join(os.homedir(), '.docker/buildx/instances', builder))).toBe(false);
    },
    CASE_TIMEOUT_MS
  );
});
