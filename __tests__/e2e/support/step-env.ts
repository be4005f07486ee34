/** The runner's side of one step, shared by runStep and startStep: its command files and environment. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  /** Every file the runner would keep from this step, for secret scans. */
  files: Record<string, string>;
}

export interface StepOptions {
  inputs: Record<string, string>;
  /** GitHub context: event name, ref, sha, payload; defaults describe a push to main. */
  event?: { name?: string; ref?: string; sha?: string; payload?: unknown };
  env?: Record<string, string>;
  workspace: string;
  /** STATE_* values saved by the main step, for the post step. */
  state?: Record<string, string>;
  timeoutMs?: number;
}

export type CommandFiles = Record<
  'GITHUB_OUTPUT' | 'GITHUB_STATE' | 'GITHUB_ENV' | 'GITHUB_PATH' | 'GITHUB_STEP_SUMMARY',
  string
>;

/**
 * A fresh directory with the runner's empty command files and event payload, and the environment
 * the runner gives `node dist/index.js`: each input as INPUT_<NAME>, the context variables, and
 * STATE_<name> for what a main step saved. The directory is made under `parent` (the bench keeps
 * its own under its work directory, which it removes).
 */
export function stepEnv(
  options: StepOptions,
  parent = os.tmpdir()
): { files: CommandFiles; env: Record<string, string> } {
  const dir = mkdtempSync(path.join(parent, 'e2e-runner-'));
  const files: CommandFiles = {
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_STATE: path.join(dir, 'state'),
    GITHUB_ENV: path.join(dir, 'env'),
    GITHUB_PATH: path.join(dir, 'path'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary')
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const event = options.event ?? {};
  const payload = event.payload ?? {
    repository: { default_branch: 'main', html_url: 'https://github.com/acme/app', full_name: 'acme/app', name: 'app' }
  };
  const eventPath = path.join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(payload));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    ...(process.env.DOCKER_CONFIG ? { DOCKER_CONFIG: process.env.DOCKER_CONFIG } : {}),
    ...files,
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: path.join(dir, 'temp'),
    RUNNER_TOOL_CACHE: path.join(dir, 'toolcache'),
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_EVENT_NAME: event.name ?? 'push',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REF: event.ref ?? 'refs/heads/main',
    GITHUB_SHA: event.sha ?? '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: String(Date.now()),
    GITHUB_RUN_ATTEMPT: '1',
    ...(options.env ?? {})
  };
  for (const [name, value] of Object.entries(options.inputs))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;
  mkdirSync(env.RUNNER_TEMP, { recursive: true });
  return { files, env };
}

/** What the runner keeps of a step once it has ended: its output, its command files read back. */
export function stepResult(files: CommandFiles, code: number, stdout: string, stderr: string): StepResult {
  const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  return {
    code,
    stdout,
    stderr,
    outputs: parseCommandFile(read(files.GITHUB_OUTPUT)),
    state: parseCommandFile(read(files.GITHUB_STATE)),
    summary: read(files.GITHUB_STEP_SUMMARY),
    files: Object.fromEntries(Object.entries(files).map(([k, f]) => [k, read(f)]))
  };
}

/** Parses the runner's `name<<DELIMITER\nvalue\nDELIMITER` command-file format. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (m) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]);
      out[m[1]] = value.join('\n');
    } else if (lines[i].includes('=')) {
      const eq = lines[i].indexOf('=');
      out[lines[i].slice(0, eq)] = lines[i].slice(eq + 1);
    }
  }
  return out;
}
