/**
 * What the release and matrix suites share on top of runner.ts: fresh repositories and
 * workspaces, the inputs every case gives, main steps run (alone or several at once) with their
 * post steps owed until the case ends, timings, and reading a step's log, annotations and groups.
 *
 * Call useHarness inside a describe: it registers the hooks that run the owed post steps (so the
 * builders each case's steps created are removed) and print the timings.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { DIST, ROOT, runStep, type StepOptions, type StepResult } from './runner.js';
import { Registry } from './registry.js';
import type { StackEnv } from './stack.js';

export const FIXTURES = path.join(ROOT, '__tests__/fixtures');

/** A main step's result with when it started and ended (ms since the epoch), to show overlap. */
export interface TimedStep extends StepResult {
  what: string;
  startedAt: number;
  endedAt: number;
}

/** A fresh repository name: reruns and other suites never share registry state. */
export function uniqueRepo(name: string): string {
  return `e2e/${name}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** A random commit id, so sha-… and leg-… tags differ between cases. */
export function randomSha(): string {
  return randomBytes(20).toString('hex');
}

/** Everything the step printed, for searching. */
export function log(result: StepResult): string {
  return `${result.stdout}\n${result.stderr}`;
}

export function tail(result: StepResult, n = 40): string {
  return log(result).trim().split('\n').slice(-n).join('\n');
}

/** Fails with the end of the step's log, which is what a person needs to see why. */
export function expectSucceeded(result: StepResult, what: string): void {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}; last lines:\n${tail(result)}`);
}

/** The `::error::` or `::warning::` annotations the step wrote, decoded as the runner shows them. */
export function annotations(result: StepResult, kind: 'error' | 'warning'): string[] {
  return result.stdout
    .split('\n')
    .filter((l) => l.startsWith(`::${kind}`))
    .map((l) =>
      l
        .slice(l.indexOf('::', 2) + 2)
        .replace(/%0D/g, '\r')
        .replace(/%0A/g, '\n')
        .replace(/%3A/g, ':')
        .replace(/%2C/g, ',')
        .replace(/%25/g, '%')
    );
}

/** A push of `ref` at `sha`, as GitHub sends it: acme/app, with a head commit dated 2024-03-01. */
export function pushEvent(ref: string, sha: string): StepOptions['event'] {
  return {
    name: 'push',
    ref,
    sha,
    payload: {
      ref,
      after: sha,
      head_commit: { id: sha, message: 'Change', timestamp: '2024-03-01T12:00:00Z' },
      repository: {
        name: 'app',
        full_name: 'acme/app',
        html_url: 'https://github.com/acme/app',
        default_branch: 'main'
      }
    }
  };
}

/** The `::error::` annotations, decoded as the runner shows them. */
export function errorAnnotations(result: StepResult): string[] {
  return annotations(result, 'error');
}

/** With E2E_LOG_DIR set, every step's log is kept there for reading after the run. */
export function keepLog(what: string, result: StepResult): void {
  const dir = process.env.E2E_LOG_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${Date.now()}-${what.replace(/[^a-z0-9]+/gi, '-')}.log`),
    `exit ${result.code}\n${log(result)}`
  );
}

/** The lines printed inside `::group::<name>` … `::endgroup::` (undefined when there is no such group). */
export function groupLines(result: StepResult, name: string): string[] | undefined {
  const lines = result.stdout.split('\n');
  const start = lines.indexOf(`::group::${name}`);
  if (start < 0) return undefined;
  const end = lines.indexOf('::endgroup::', start);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Tag → digest for every tag of the repository, read over HTTP. */
export async function tagDigests(registry: Registry, repo: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const tag of (await registry.tags(repo)).sort()) {
    const fetched = await registry.manifest(repo, tag);
    out[tag] = fetched?.digest ?? '(vanished)';
  }
  return out;
}

/** The repository path of a full image reference (`127.0.0.1:5000/e2e/app` → `e2e/app`). */
export function repoOf(image: string): string {
  return image.slice(image.indexOf('/') + 1);
}

/**
 * A TCP port that only counts the connections made to it: an image named 127.0.0.1:<port>/… that
 * nothing must read (a dry run) proves it by this count staying 0, whatever protocol would have been tried.
 */
export async function startConnectionTrap(): Promise<{ host: string; connections(): number; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      })
  };
}

export interface Harness {
  registry: Registry;
  /** A temporary copy of a fixture project, as a checkout in GITHUB_WORKSPACE would be. */
  workspace(project: string): string;
  /** The inputs every case shares: the remote driver on the stack's BuildKit, host QEMU, the local base image. */
  inputs(images: string, extra?: Record<string, string>): Record<string, string>;
  /** Runs one main step, timed; its post step runs when the case ends. */
  main(what: string, options: StepOptions): Promise<TimedStep>;
  /** Starts every main step at once (separate `node dist/index.js` processes) and waits for all. */
  mainTogether(steps: Array<[string, StepOptions]>): Promise<TimedStep[]>;
  /** Wipes the daemon's local cache as an ephemeral runner starts without one (shared daemon: accepted). */
  prune(): void;
  /** Runs at the end of the suite, last registered first. */
  cleanup(fn: () => unknown): void;
}

export function useHarness(env: StackEnv, suite: string): Harness {
  const registry = new Registry(env.registry);
  const cleanups: Array<() => unknown> = [];
  const owedPosts = new Map<TimedStep, () => Promise<unknown>>();
  const timings: Array<[string, number]> = [];

  beforeAll(() => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run bundle first`);
  });

  afterEach(async () => {
    const posts = [...owedPosts.values()];
    owedPosts.clear();
    await Promise.all(posts.map((p) => p()));
  }, 300_000);

  afterAll(async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        console.log(`clean-up failed: ${(error as Error).message}`);
      }
    }
    console.log(
      `${suite}: action runs (s):\n${timings.map(([what, s]) => `  ${s.toFixed(1).padStart(5)}  ${what}`).join('\n')}`
    );
  }, 300_000);

  function keepLog(what: string, result: StepResult): void {
    const dir = process.env.E2E_LOG_DIR;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, `${Date.now()}-${suite}-${what.replace(/[^a-z0-9]+/gi, '-')}.log`),
      `exit ${result.code}\n${log(result)}\n--- summary\n${result.summary}`
    );
  }

  async function post(what: string, options: StepOptions, mainResult: StepResult): Promise<void> {
    const start = Date.now();
    const result = await runStep({ ...options, state: mainResult.state });
    timings.push([`${what} (post, exit ${result.code})`, (Date.now() - start) / 1000]);
    keepLog(`${what} post`, result);
    if (result.code !== 0) console.log(`post of ${what} exited ${result.code}:\n${tail(result, 10)}`);
  }

  async function main(what: string, options: StepOptions): Promise<TimedStep> {
    const startedAt = Date.now();
    const result = await runStep(options);
    const endedAt = Date.now();
    const timed: TimedStep = { ...result, what, startedAt, endedAt };
    timings.push([`${what} (main, exit ${result.code})`, (endedAt - startedAt) / 1000]);
    keepLog(what, result);
    owedPosts.set(timed, () => post(what, options, result));
    return timed;
  }

  return {
    registry,
    workspace(project) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `e2e-ws-${project}-`));
      cpSync(path.join(FIXTURES, 'projects', project), dir, { recursive: true });
      // A copy of its own: a concurrent run elsewhere on the shared BuildKit cannot warm this one's cache.
      if (existsSync(path.join(dir, 'stable.txt')))
        appendFileSync(path.join(dir, 'stable.txt'), `${path.basename(dir)}\n`);
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    inputs(images, extra = {}) {
      return {
        images,
        driver: 'remote',
        endpoint: env.buildkitHost,
        qemu: 'host',
        'build-args': `BASE=${env.baseImage}`,
        ...extra
      };
    },
    main,
    mainTogether: (steps) => Promise.all(steps.map(([what, options]) => main(what, options))),
    prune() {
      const r = spawnSync(env.buildctl, ['--addr', env.buildkitHost, 'prune', '--all'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`buildctl prune failed: ${r.stderr}`);
    },
    cleanup(fn) {
      cleanups.push(fn);
    }
  };
}
