/**
 * For the reliability suite: a main step that can be killed part way (runStep only returns once the
 * step has ended), the processes a killed step left running, and a release host that has nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { DIST } from './runner.js';
import {
  parseCommandFile,
  stepEnv,
  stepResult,
  type CommandFiles,
  type StepOptions,
  type StepResult
} from './step-env.js';

export interface RunningStep {
  child: ChildProcess;
  /** The runner's command files, readable while the step runs. */
  files: CommandFiles;
  /** What the step has printed so far. */
  stdout(): string;
  /** The STATE_* values the step has saved so far, as the runner would hand them to post. */
  state(): Record<string, string>;
  /** Resolves when the process has exited (killed or not). */
  done: Promise<StepResult>;
}

/** runStep's environment and files, but the process is handed back while it runs. */
export function startStep(options: StepOptions): RunningStep {
  const { files, env } = stepEnv(options);
  const child = spawn(process.execPath, [DIST], { cwd: options.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<StepResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(stepResult(files, code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : -1), out, err));
    });
  });
  const state = (): Record<string, string> =>
    existsSync(files.GITHUB_STATE) ? parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8')) : {};
  return { child, files, stdout: () => out, state, done };
}

/** Polls `check` every `everyMs` until it gives a truthy value, or throws after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | '' | 0 | null,
  timeoutMs: number,
  everyMs = 200
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Live processes (pid and command line) whose command line contains `needle`; this process's own excluded. */
export function processesMatching(needle: string): Array<{ pid: number; cmdline: string }> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue; // gone meanwhile
    }
    if (cmdline.includes(needle)) found.push({ pid: Number(entry), cmdline });
  }
  return found;
}

/** A release host that has nothing: every request is answered 404 and recorded. */
export async function startNotFoundServer(): Promise<{ origin: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('Not Found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}
