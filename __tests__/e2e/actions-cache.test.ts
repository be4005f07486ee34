/**
 * The stack's Actions cache stand-in speaks the v2 service to a real client: the @actions/cache
 * package (the one actions/cache uses) saves and restores through it, its blobs going to Azurite
 * over signed URLs. The branch rule, read-only tokens and 429s are the service's as a client sees
 * them. The gha cache of builds through it is gha-cache.test.ts's.
 */
import * as cache from '@actions/cache';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitForStack } from './support/stack.js';
import { MAIN_READ, MAIN_RW, PR_7, actionsCacheRepo } from './support/actions-cache.js';

const stack = await waitForStack();
if (!stack.ok) console.log(`skipping the Actions cache stand-in tests: ${stack.reason}`);
const describeStack = stack.ok ? describe : describe.skip;

describeStack('the Actions cache stand-in, through @actions/cache', () => {
  const env = stack.ok ? stack.env : (undefined as never);
  const saved = { ...process.env };
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-actions-cache-'));
    process.env.RUNNER_TEMP = path.join(dir, 'temp');
    mkdirSync(process.env.RUNNER_TEMP);
  });
  afterAll(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  function as(vars: Record<string, string>): void {
    Object.assign(process.env, vars);
  }

  test('a pull request restores main’s entry, writes its own ref only; read-only and rate-limited saves are refused', async () => {
    const repo = actionsCacheRepo(env);
    const payload = path.join(dir, 'payload');
    mkdirSync(payload);
    writeFileSync(path.join(payload, 'a.txt'), `main ${repo.id}\n`);

    as(repo.env(await repo.token(MAIN_RW)));
    expect(await cache.saveCache([payload], 'deps-main-1')).toBeGreaterThan(0);

    rmSync(payload, { recursive: true });
    as(repo.env(await repo.token(PR_7)));
    expect(await cache.restoreCache([payload], 'deps-pr-1', ['deps-'])).toBe('deps-main-1');
    expect(readFileSync(path.join(payload, 'a.txt'), 'utf8')).toBe(`main ${repo.id}\n`);
    writeFileSync(path.join(payload, 'a.txt'), `pr ${repo.id}\n`);
    expect(await cache.saveCache([payload], 'deps-pr-1')).toBeGreaterThan(0);

    // A read-only token (an untrusted trigger) and a token whose writes get 429 save nothing.
    as(repo.env(await repo.token(MAIN_READ)));
    await expect(cache.saveCache([payload], 'deps-main-2')).resolves.toBe(-1);
    as(repo.env(await repo.token(MAIN_RW, { write: { status: 429, retryAfter: 1 } })));
    await expect(cache.saveCache([payload], 'deps-main-3')).resolves.toBe(-1);

    // Main's token does not see the pull request's entry: main keeps reading its own.
    rmSync(payload, { recursive: true });
    as(repo.env(await repo.token(MAIN_RW)));
    expect(await cache.restoreCache([payload], 'deps-x', ['deps-'])).toBe('deps-main-1');

    const stats = await repo.stats();
    expect(stats.entries).toEqual({ 'refs/heads/main': 1, 'refs/pull/7/merge': 1 });
    expect(stats.refused).toBe(1);
    expect(stats.rateLimited).toBeGreaterThan(0);
  }, 120_000);
});
