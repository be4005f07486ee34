/** The bundled command line (dist/cli/index.js), run as a user runs it. */
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './runner.js';

export const CLI = path.join(ROOT, 'dist/cli/index.js');
// jest reads testTimeout only from the top-level config, not from a project's: give each build its own.
export const BUILD_TIMEOUT_MS = 300000;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** The flags that point the command line at the stack's BuildKit and base image. */
export function stackFlags(env: { buildkitHost: string; baseImage: string }): string[] {
  return ['--driver', 'remote', '--endpoint', env.buildkitHost, '--build-args', `BASE=${env.baseImage}`];
}

/**
 * A user's environment: no GitHub variables, and none of another CI's (the command line reads
 * GitLab's, Buildkite's, Woodpecker's, Drone's, Jenkins' and BUILDX_BUILDER), so the context comes
 * from git even when the tests themselves run under such a CI.
 */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const ci = /^(GITHUB_|RUNNER_|INPUT_|STATE_|ACTIONS_|CI_|GITLAB_CI$|BUILDKITE|DRONE|JENKINS_|BUILDX_BUILDER$)/;
  return {
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([name, value]) => !ci.test(name) && !(name === 'CI' && value === 'woodpecker')
      )
    ),
    ...extra
  };
}

/** Runs the bundle in `cwd`; killed 10 s before a build's test would time out. */
export function runCli(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const env = userEnv(extraEnv);
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS - 10000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, seconds: (Date.now() - start) / 1000 });
    });
  });
}

/** git in `dir` as a user with a name and a main branch; each call returns its trimmed output. */
export function gitIn(dir: string): (...args: string[]) => string {
  return (...args) =>
    execFileSync(
      'git',
      ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', '-c', 'init.defaultBranch=main', ...args],
      { cwd: dir, stdio: 'pipe' }
    )
      .toString()
      .trim();
}
