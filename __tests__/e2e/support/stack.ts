/** The real build stack (scripts/stack.sh): where its parts are, and whether it is up. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const STACK_DIR = process.env.STACK_DIR ?? '/var/tmp/multiarch-stack';

/** The fields of $STACK_DIR/env.json the end-to-end tests use. */
export interface StackEnv {
  registry: string;
  authRegistry: string;
  authUser: string;
  authPasswordFile: string;
  /** A DOCKER_CONFIG directory holding working credentials for authRegistry (and the buildx plugin). */
  authDockerConfig: string;
  buildkitHost: string;
  buildctl: string;
  /** The standalone buildx binary the stack built, and its version (`v0.36.1`). */
  buildx: string;
  buildxVersion: string;
  baseImage: string;
  authBaseImage: string;
  /** nektos/act and gitlab-ci-local (scripts/stack/runners.sh); absent in an env.json written before they were added. */
  act?: string;
  gitlabCiLocal?: string;
  /** The Actions cache (v2) stand-in and its tokens (scripts/stack/actions-cache.mjs). */
  actionsCache: {
    /** ACTIONS_RESULTS_URL. */
    resultsUrl: string;
    /** Read-write on refs/heads/main. */
    token: string;
    /** Read on refs/heads/main. */
    readOnlyToken: string;
    /** Write refs/pull/7/merge, read refs/heads/main. */
    prToken: string;
    /** POST {repositoryId, scopes: [{scope, permission}], faults?} → {token}: a repository of the test's own. */
    mintUrl: string;
    /** GET ?repository=ID → calls per method, refusals, committed entries per scope. */
    statsUrl: string;
  };
}

export type Stack = { ok: true; env: StackEnv } | { ok: false; reason: string };

/**
 * Reads $STACK_DIR/status and env.json. Anything but `ok` is a reason to skip on a developer's
 * machine; in CI waitForStack turns it into a failure.
 */
export function readStack(dir = STACK_DIR): Stack {
  const statusFile = path.join(dir, 'status');
  if (!existsSync(statusFile)) return { ok: false, reason: `${statusFile} is missing: run bash scripts/stack.sh up` };
  const status = readFileSync(statusFile, 'utf8').trim();
  if (status !== 'ok') return { ok: false, reason: `the build stack is not up (${status})` };
  const envFile = path.join(dir, 'env.json');
  if (!existsSync(envFile))
    return { ok: false, reason: `the stack says ok but ${envFile} is missing: run bash scripts/stack.sh up` };
  return { ok: true, env: JSON.parse(readFileSync(envFile, 'utf8')) as StackEnv };
}

/**
 * In CI (CI=true) an end-to-end suite that skips is a failure: a green run with no end-to-end test
 * proves nothing. Every suite reads the stack through waitForStack, so this is the one gate.
 */
export function requireStackInCi(stack: Stack, env: NodeJS.ProcessEnv = process.env): Stack {
  if (!stack.ok && env.CI === 'true')
    throw new Error(`CI=true and the build stack is unavailable, so no end-to-end test can run: ${stack.reason}`);
  return stack;
}

/**
 * readStack, but while `stack.sh up` is running (status `starting`: it writes that even when it
 * only checks an already running stack) waits for it to finish rather than skip a suite that
 * would have run a moment later.
 */
export async function waitForStack(timeoutMs = 300_000, dir = STACK_DIR): Promise<Stack> {
  const deadline = Date.now() + timeoutMs;
  let stack = readStack(dir);
  if (!stack.ok && /\(starting\)$/.test(stack.reason))
    console.log(`the build stack is starting (scripts/stack.sh up is running): waiting up to ${timeoutMs / 1000} s`);
  while (!stack.ok && /\(starting\)$/.test(stack.reason) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stack = readStack(dir);
  }
  return requireStackInCi(stack);
}
