/**
 * The bundled command line (dist/cli/index.js) against the real stack: a build from a local git
 * checkout of tag v1.2.3, two platforms through the remote driver, pushed to the local registry.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT } from './support/runner.js';
import { BUILD_TIMEOUT_MS, CLI, gitIn, runCli, userEnv, stackFlags } from './support/cli.js';
import { Registry, platformId } from './support/registry.js';
import { waitForStack, type StackEnv } from './support/stack.js';
import { processesMatching, waitFor } from './support/step-control.js';

/** A git repository holding one fixture project (its Dockerfile replaced if given), checked out at tag v1.2.3. */
function gitCheckout(project: string, dockerfile?: string): { dir: string; sha: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-cli-'));
  cpSync(path.join(ROOT, '__tests__/fixtures/projects', project), dir, { recursive: true });
  if (dockerfile !== undefined) writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  const git = gitIn(dir);
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'fixture');
  git('tag', 'v1.2.3');
  git('checkout', '-q', 'v1.2.3');
  return { dir, sha: git('rev-parse', 'HEAD') };
}

function builders(): string {
  return execFileSync('docker', ['buildx', 'ls'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the command line's end-to-end tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

describeStack('the bundled command line against the real stack', () => {
  // describe.skip still runs this body: read the stack only when it is up.
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const registry = new Registry(env.registry);
  const checkouts: string[] = [];

  beforeAll(() => expect(existsSync(CLI)).toBe(true));
  afterAll(() => {
    for (const dir of checkouts) rmSync(dir, { recursive: true, force: true });
  });

  test(
    'builds both platforms from a git tag, pushes one index under every tag, prints it, and removes its builder',
    async () => {
      const { dir, sha } = gitCheckout('arch');
      checkouts.push(dir);
      const repo = `e2e-cli/${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
      const outputFile = path.join(dir, 'outputs.json');

      const run = await runCli(
        [
          '--images',
          `${env.registry}/${repo}`,
          '--platforms',
          'linux/amd64,linux/arm64',
          ...stackFlags(env),
          '--output-file',
          outputFile
        ],
        dir
      );
      console.log(`command line run: exit ${run.code} in ${run.seconds.toFixed(1)} s`);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });

      // Every phase is headed and closed with its time; build lines carry the seconds since it began.
      expect(run.stdout).toMatch(/^▶ Build linux\/amd64, linux\/arm64$/m);
      expect(run.stdout).toMatch(/^✔ Build linux\/amd64, linux\/arm64 \(\d+\.\d s\)$/m);
      expect(run.stdout).toMatch(/^\[ +\d+\.\ds\] #\d+ \[linux\/arm64 /m);

      const outputs = JSON.parse(readFileSync(outputFile, 'utf8')) as Record<string, string>;
      expect(outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

      const tags = ['1.2.3', '1.2', '1', 'v1.2.3', 'latest', `sha-${sha.slice(0, 7)}`];
      for (const tag of tags) {
        const index = await registry.manifest(repo, tag);
        expect({ tag, digest: index?.digest }).toEqual({ tag, digest: outputs.digest });
        expect(index?.body.mediaType).toBe('application/vnd.oci.image.index.v1+json');
        const platforms = Registry.images(index?.body.manifests).map((m) => platformId(m.platform!));
        expect(platforms.sort()).toEqual(['linux/amd64', 'linux/arm64']);
      }

      // The table a person reads last names the index digest and each platform's.
      const table = run.stdout.slice(run.stdout.lastIndexOf('\nResult\n'));
      expect(table).toContain(`  index        ${outputs.digest}`);
      const perPlatform = JSON.parse(outputs['platform-digests']) as Record<string, string>;
      for (const [platform, digest] of Object.entries(perPlatform)) expect(table).toContain(`  ${platform}  ${digest}`);
      for (const tag of tags) expect(table).toContain(`${env.registry}/${repo}:${tag}`);

      expect(outputs.builder).toMatch(/^multiarch-/);
      expect(run.stdout).toContain(`removed builder ${outputs.builder}`);
      expect(builders()).not.toContain(outputs.builder);
    },
    BUILD_TIMEOUT_MS
  );

  test(
    'a failing build: exit 1, the reason on stderr, no tag pushed, and the builder still removed',
    async () => {
      const { dir } = gitCheckout('broken');
      checkouts.push(dir);
      const repo = `e2e-cli/broken-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

      const run = await runCli(
        ['--images', `${env.registry}/${repo}`, '--platforms', 'linux/amd64', ...stackFlags(env), '--retries', '0'],
        dir
      );
      console.log(`failing command line run: exit ${run.code} in ${run.seconds.toFixed(1)} s`);
      expect(run.code).toBe(1);
      // The first line names the platform, the Dockerfile line, the step and its exit code; the
      // command's own error follows.
      expect(run.stderr.split('\n')[0]).toBe(
        'multiarch-publish: linux/amd64: Dockerfile:4: RUN echo "about to fail on purpose" && exit 42 failed: exit code 42'
      );
      expect(run.stderr).toMatch(/^.*buildx.* build failed with exit code 1:$/m);
      expect(run.stdout).toMatch(/^✖ Build linux\/amd64 failed after \d+\.\d s$/m);
      expect(await registry.tags(repo)).toEqual([]);

      const builder = /removed builder (\S+)/.exec(run.stdout)?.[1];
      expect(builder).toMatch(/^multiarch-/);
      expect(builders()).not.toContain(builder);
    },
    BUILD_TIMEOUT_MS
  );
});

describeStack('the bundled command line killed outright', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const registry = new Registry(env.registry);
  const SLEEP_S = 25;

  test(
    'SIGKILL during a build: --clean-up stops the build it left running, so nothing is pushed, and removes the builder',
    async () => {
      const { dir } = gitCheckout(
        'arch',
        `ARG BASE\nFROM \${BASE}\nRUN echo slow-step-started && sleep ${SLEEP_S} && echo slow-step-done\n`
      );
      const stateFile = path.join(dir, 'state.json');
      const repo = `e2e-cli/killed-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
      try {
        const child = spawn(
          process.execPath,
          [
            CLI,
            ...['--images', `${env.registry}/${repo}`, '--platforms', 'linux/amd64'],
            ...stackFlags(env),
            ...['--no-cache', '--cache', 'false', '--state-file', stateFile]
          ],
          { cwd: dir, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] }
        );
        let stdout = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stdout += c.toString()));
        const exited = new Promise((resolve) => child.on('close', resolve));
        await waitFor('the slow RUN step to start', () => /slow-step-started/.test(stdout), 120_000);
        const startedAt = Date.now();
        child.kill('SIGKILL');
        await exited;

        const builder = /--builder (multiarch-\S+)/.exec(stdout)?.[1] ?? '';
        expect(builder).toMatch(/^multiarch-/);
        const builds = (): string[] =>
          processesMatching(builder)
            .filter((p) => / build /.test(p.cmdline))
            .map((p) => `${p.pid} ${p.cmdline.slice(0, 100)}`);
        // What the clean-up is for: the build outlives the command line that started it.
        expect(builds()).not.toEqual([]);

        const cleanUp = await runCli(['--clean-up', '--state-file', stateFile], dir);
        expect({ code: cleanUp.code, stderr: cleanUp.stderr }).toEqual({ code: 0, stderr: '' });
        expect(cleanUp.stdout).toMatch(/stopped process group \d+ \(\S+\)/);
        expect(cleanUp.stdout).toContain(`removed builder ${builder}`);
        expect(builds()).toEqual([]);
        expect(builders()).not.toContain(builder);

        // Past the moment the RUN step would have finished and pushed: still no tag.
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, startedAt + (SLEEP_S + 10) * 1000 - Date.now()))
        );
        expect(await registry.tags(repo)).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    BUILD_TIMEOUT_MS
  );
});

describeStack('the bundled command line outside Actions, with --buildx-version', () => {
  const env = stack.ok ? stack.env : ({} as StackEnv);
  const registry = new Registry(env.registry);
  let mirror: { origin: string; requests: string[]; close(): Promise<void> };
  const dirs: string[] = [];

  beforeAll(async () => {
    // A release host holding the stack's own buildx as a release, checksums.txt beside it.
    const binary = readFileSync(env.buildx);
    const tag = env.buildxVersion;
    const asset = `buildx-${tag}.linux-amd64`;
    const sums = `${createHash('sha256').update(binary).digest('hex')} *${asset}\n`;
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const body = req.url === `/${tag}/checksums.txt` ? sums : req.url === `/${tag}/${asset}` ? binary : undefined;
      res.writeHead(body === undefined ? 404 : 200);
      res.end(body ?? 'Not Found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mirror = {
      origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      requests,
      close: () => new Promise<void>((resolve) => server.close(() => resolve()))
    };
  });
  afterAll(async () => {
    await mirror?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test(
    'installs buildx into its own tool cache (no RUNNER_TOOL_CACHE), builds, and prints no workflow command; --verbose shows them as debug lines',
    async () => {
      const { dir } = gitCheckout('arch');
      const cache = mkdtempSync(path.join(os.tmpdir(), 'e2e-cli-xdg-'));
      dirs.push(dir, cache);
      const repo = `e2e-cli/buildx-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
      const args = [
        ...['--images', `${env.registry}/${repo}`, '--platforms', 'linux/amd64'],
        ...stackFlags(env),
        ...['--buildx-version', env.buildxVersion, '--buildx-mirror', mirror.origin, '--tags', 'type=raw,value=first']
      ];

      const first = await runCli(args, dir, { XDG_CACHE_HOME: cache });
      expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
      expect(first.stdout.split('\n').filter((line) => line.includes('::'))).toEqual([]);
      const installed = path.join(
        cache,
        'multiarch-publish/tool-cache/buildx',
        env.buildxVersion.replace(/^v/, ''),
        'amd64/docker-buildx'
      );
      expect(existsSync(installed)).toBe(true);
      expect(first.stdout).toContain(`[command] ${installed} version`);
      expect(mirror.requests).toEqual([
        `GET /${env.buildxVersion}/checksums.txt`,
        `GET /${env.buildxVersion}/buildx-${env.buildxVersion}.linux-amd64`
      ]);
      expect(await registry.tags(repo)).toEqual(['buildcache', 'first']);

      // The second run finds it in the tool cache; what the libraries say is a debug line now.
      const second = await runCli([...args.slice(0, -2), '--tags', 'type=raw,value=second', '--verbose'], dir, {
        XDG_CACHE_HOME: cache
      });
      expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
      expect(second.stdout.split('\n').filter((line) => line.includes('::'))).toEqual([]);
      expect(second.stdout).toMatch(/^\[ +\d+\.\ds\] debug: checking cache: /m);
      expect(second.stdout).toContain(`buildx ${env.buildxVersion} found in the tool cache`);
      expect(mirror.requests).toHaveLength(2);
    },
    BUILD_TIMEOUT_MS
  );
});

describe('the bundled command line', () => {
  test('is runnable as a program: a node shebang and the executable bit', () => {
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
  });

  test('--mode platform without --run-id: exit 2, asking for --run-id, before anything runs', async () => {
    const run = await runCli(['--mode', 'platform', '--images', '127.0.0.1:5000/x/app'], ROOT);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
    expect(run.stderr).toBe(
      'multiarch-publish: --mode platform needs --run-id ID: the merge (--mode merge --run-id ID) finds the legs ' +
        'by it; give every leg and the merge the same one\n'
    );
  }, 60000);

  test('--help lists every exit status, 130 (interrupted) included', async () => {
    const run = await runCli(['--help'], ROOT);
    expect(run.code).toBe(0);
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(
      'Exit status: 0 done, 1 the build or push failed (the reason on stderr), 2 bad flags or input values, 130 interrupted'
    );
  }, 60000);

  test('a bad flag: exit 2 before anything runs', async () => {
    const run = await runCli(['--platform', 'linux/arm64'], ROOT);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown flag --platform (did you mean --platforms?)');
    expect(run.stdout).toBe('');
  }, 60000);
});
