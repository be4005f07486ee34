#!/usr/bin/env node
// The command line's entry: the action's pipeline outside GitHub (see run.ts). No logic here.
import { runCli } from './run.js';

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
