/**
 * Everyday paths of monorepos, source tarballs and metadata-before-the-build, on the real stack,
 * through the bundle (dist/ and dist/cli) as users run it:
 * - a failing RUN in svc/api/Dockerfile is annotated on svc/api/Dockerfile, not on `Dockerfile`;
 * - `build-args: VERSION={{version}}` reaches the build on a tag push;
 * - `mode: metadata` sets the outputs with no buildx call and no push;
 * - the command line in a directory without `.git`: a literal tag publishes, type=sha is refused
 *   naming --revision, and with --revision it publishes sha-….
 */
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, parseCommandFile } from './support/runner.js';
import { runCli, stackFlags, BUILD_TIMEOUT_MS } from './support/cli.js';
import { readFileFromImage } from './support/image.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import { annotations, expectSucceeded, log, pushEvent, randomSha, uniqueRepo, useHarness } from './support/harness.js';

const CASE_TIMEOUT_MS = 300_000;

const stack = await waitForStack();
const describeStack = stack.ok ? describe : describe.skip;

describeStack('monorepo paths, templates in the build, metadata before it, no git', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const h = useHarness(env, 'paths');
  const registry = h.registry;
  /** The repository's tags less the registry cache's (buildcache, buildcache-<platform>). */
  const published = async (repo: string) =>
    (await registry.tags(repo)).filter((t) => !t.startsWith('buildcache')).sort();

  test(
    'a failing RUN in svc/api/Dockerfile (context: svc/api) is annotated on svc/api/Dockerfile, its line',
    async () => {
      const repo = uniqueRepo('mono-api');
      const result = await h.main('monorepo: failing service', {
        workspace: h.workspace('monorepo'),
        inputs: h.inputs(`${env.registry}/${repo}`, { context: 'svc/api', platforms: 'linux/amd64' })
      });
      expect(result.code).not.toBe(0);
      const errors = result.stdout.split('\n').filter((l) => l.startsWith('::error'));
      expect(errors.length).toBe(1);
      expect(errors[0]).toMatch(
        /^::error file=svc\/api\/Dockerfile,line=5::linux\/amd64: svc\/api\/Dockerfile:5: RUN /
      );
      expect(annotations(result, 'error')[0]).toContain('exit code 7');
      expect(await published(repo)).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );

  test(
    "a platform's own file (file: linux/arm64=svc/api/Dockerfile) is annotated on that file",
    async () => {
      const repo = uniqueRepo('mono-per-platform');
      const result = await h.main('monorepo: per-platform file', {
        workspace: h.workspace('monorepo'),
        inputs: h.inputs(`${env.registry}/${repo}`, {
          platforms: 'linux/amd64,linux/arm64',
          file: 'Dockerfile\nlinux/arm64=svc/api/Dockerfile'
        })
      });
      expect(result.code).not.toBe(0);
      const errors = result.stdout.split('\n').filter((l) => l.startsWith('::error'));
      expect(errors.length).toBe(1);
      expect(errors[0]).toMatch(
        /^::error file=svc\/api\/Dockerfile,line=5::linux\/arm64 .*svc\/api\/Dockerfile:5: RUN /
      );
      expect(await published(repo)).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );

  test(
    'build-args: VERSION={{version}} on a tag push reaches the build: the image holds 2.5.0',
    async () => {
      const repo = uniqueRepo('version-arg');
      const sha = randomSha();
      const result = await h.main('version build-arg', {
        workspace: h.workspace('monorepo'),
        inputs: h.inputs(`${env.registry}/${repo}`, {
          context: 'svc/web',
          platforms: 'linux/amd64',
          'build-args': `BASE=${env.baseImage}\nVERSION={{version}}`,
          labels: 'org.example.built-as=v{{version}}'
        }),
        event: pushEvent('refs/tags/v2.5.0', sha)
      });
      expectSucceeded(result, 'the build');
      expect(result.outputs.version).toBe('2.5.0');
      const digest = JSON.parse(result.outputs['platform-digests'])['linux/amd64'] as string;
      expect((await readFileFromImage(registry, repo, digest, 'version.txt'))?.trim()).toBe('2.5.0');
      expect(result.outputs.labels).toContain('org.example.built-as=v2.5.0');
      expect((await registry.tags(repo)).sort()).toEqual(expect.arrayContaining(['2.5.0', 'latest']));
    },
    CASE_TIMEOUT_MS
  );

  test(
    'mode: metadata sets tags, labels, annotations, version and json with no buildx call and no push',
    async () => {
      const repo = uniqueRepo('metadata');
      const sha = randomSha();
      // A docker on PATH that records every call: the step must not make one.
      const bin = mkdtempSync(path.join(os.tmpdir(), 'e2e-nodocker-'));
      h.cleanup(() => rmSync(bin, { recursive: true, force: true }));
      const calls = path.join(bin, 'calls');
      writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\necho "$@" >> ${calls}\nexit 1\n`);
      chmodSync(path.join(bin, 'docker'), 0o755);
      const image = `${env.registry}/${repo}`;
      const result = await h.main('metadata', {
        workspace: h.workspace('monorepo'),
        inputs: { images: image, mode: 'metadata', labels: 'org.example.v={{version}}' },
        event: pushEvent('refs/tags/v3.1.4', sha),
        env: { PATH: `${bin}:${process.env.PATH}` }
      });
      expectSucceeded(result, 'the metadata step');
      expect(existsSync(calls) ? readFileSync(calls, 'utf8') : '').toBe('');
      expect(log(result)).not.toContain('[command]');
      const tags = [
        `${image}:3.1.4`,
        `${image}:3.1`,
        `${image}:3`,
        `${image}:v3.1.4`,
        `${image}:sha-${sha.slice(0, 7)}`,
        `${image}:latest`
      ];
      expect(result.outputs.tags.split('\n')).toEqual(tags);
      expect(result.outputs.version).toBe('3.1.4');
      expect(result.outputs.labels.split('\n')).toEqual(
        expect.arrayContaining(['org.opencontainers.image.version=3.1.4', 'org.example.v=3.1.4'])
      );
      expect(result.outputs.annotations).toContain('index:org.opencontainers.image.version=3.1.4');
      const json = JSON.parse(result.outputs.json) as {
        tags: string[];
        version: string;
        labels: Record<string, string>;
      };
      expect([json.tags, json.version, json.labels['org.example.v']]).toEqual([tags, '3.1.4', '3.1.4']);
      // metadata-action's variables for later steps, as its replacement before the build.
      const exported = parseCommandFile(result.files.GITHUB_ENV);
      expect([exported.DOCKER_METADATA_OUTPUT_VERSION, exported.DOCKER_METADATA_OUTPUT_TAGS]).toEqual([
        '3.1.4',
        tags.join('\n')
      ]);
      expect(await registry.tags(repo)).toEqual([]);
    },
    CASE_TIMEOUT_MS
  );

  describe('the command line in a directory without .git (a source tarball)', () => {
    function tarball(): string {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-tarball-'));
      cpSync(path.join(ROOT, '__tests__/fixtures/projects/arch'), dir, { recursive: true });
      h.cleanup(() => rmSync(dir, { recursive: true, force: true }));
      expect(existsSync(path.join(dir, '.git'))).toBe(false);
      return dir;
    }
    const flags = (image: string, tags: string) => [
      ...stackFlags(env),
      '--images',
      image,
      '--platforms',
      'linux/amd64',
      '--tags',
      tags
    ];

    test(
      'a literal tag publishes',
      async () => {
        const repo = uniqueRepo('tarball-literal');
        const image = `${env.registry}/${repo}`;
        const run = await runCli(flags(image, `${image}:1.0.0`), tarball());
        expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.any(String) });
        expect(await published(repo)).toEqual(['1.0.0']);
      },
      BUILD_TIMEOUT_MS
    );

    test(
      'type=sha without --revision is refused before anything runs, naming --revision; with it, sha-… is published',
      async () => {
        const repo = uniqueRepo('tarball-sha');
        const image = `${env.registry}/${repo}`;
        const dir = tarball();
        const refused = await runCli(flags(image, 'type=sha'), dir);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain('--revision');
        expect(refused.stderr).toContain('type=sha');
        expect(`${refused.stdout}${refused.stderr}`).not.toMatch(/buildx build/);
        expect(await registry.tags(repo)).toEqual([]);

        const sha = randomSha();
        const outputs = path.join(dir, 'outputs.json');
        const given = await runCli(
          [
            ...flags(image, 'type=sha\ntype=semver,pattern={{version}}'),
            '--revision',
            sha,
            '--ref',
            'refs/tags/v4.2.0',
            '--output-file',
            outputs
          ],
          dir
        );
        expect({ code: given.code, stderr: given.stderr.slice(-2000) }).toEqual({
          code: 0,
          stderr: expect.any(String)
        });
        expect(await published(repo)).toEqual(['4.2.0', 'latest', `sha-${sha.slice(0, 7)}`]);
        const labels = (JSON.parse(readFileSync(outputs, 'utf8')) as { labels: string }).labels.split('\n');
        expect(labels).toContain(`org.opencontainers.image.revision=${sha}`);
      },
      BUILD_TIMEOUT_MS
    );

    test(
      "under a CI, its variables give what git would (GitLab's tag and commit): type=sha and the version rules publish",
      async () => {
        const repo = uniqueRepo('tarball-gitlab');
        const image = `${env.registry}/${repo}`;
        const sha = randomSha();
        const run = await runCli(flags(image, 'type=sha\ntype=semver,pattern={{version}}'), tarball(), {
          GITLAB_CI: 'true',
          CI_COMMIT_TAG: 'v5.0.1',
          CI_COMMIT_SHA: sha,
          CI_PIPELINE_ID: '4242',
          CI_PROJECT_PATH: 'group/app'
        });
        expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.any(String) });
        expect(run.stdout).toContain(`refs/tags/v5.0.1 at ${sha.slice(0, 12)} (no git checkout, GitLab CI variables)`);
        expect(await published(repo)).toEqual(['5.0.1', 'latest', `sha-${sha.slice(0, 7)}`]);
      },
      BUILD_TIMEOUT_MS
    );
  });
});
