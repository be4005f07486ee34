import type { Log, Runner } from '../../ports.js';
import type { BuildxBin } from './find.js';

/** A buildx to run commands with: the binary, the process seam, and the retry policy for its registry calls. */
export interface Buildx {
  bin: BuildxBin;
  run: Runner;
  log: Log;
  retries: number;
  /** Where relative build contexts and Dockerfiles are found: the workspace. */
  cwd?: string;
  /** stall-timeout: registry calls (imagetools) that print nothing this long are cancelled and retried. */
  stallMs?: number;
}

/** Runs `buildx <args>` through the process seam, in the workspace. */
export function runBuildx(bx: Buildx, args: string[], options: Parameters<Runner>[2] = {}) {
  return bx.run(bx.bin.command, [...bx.bin.prefix, ...args], { cwd: bx.cwd, ...options });
}
