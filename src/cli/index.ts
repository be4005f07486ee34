#!/usr/bin/env node
// The command line's entry: the action's pipeline outside GitHub (see run.ts). No logic here.
import os from 'node:os';
import { commandLineDirs } from './io.js';
import { runCli } from './run.js';

// The tool cache and temporary directory the runner gives the action, here the command line's own.
Object.assign(process.env, commandLineDirs(process.env, os.homedir()));

const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // The first signal cleans up; a second one ends the process at once.
  process.once(signal, () => interrupt.abort());
}
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  env: process.env,
  cwd: process.cwd(),
  signal: interrupt.signal
});
// An interrupted run may leave its build process going; do not wait for it.
if (interrupt.signal.aborted) process.exit(code);
process.exitCode = code;
