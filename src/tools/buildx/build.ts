import { readFile } from 'node:fs/promises';
import { withRetry } from '../retry.js';
import { runBuildx, type Buildx } from './handle.js';
import { BuildProgress } from './progress.js';

/** Runs one build; a stalled or transiently failed push is tried again (BuildKit's cache makes the rerun cheap). */
export async function build(
  bx: Buildx,
  argv: string[],
  metadataFile: string,
  stallMs: number
): Promise<{ metadata: Record<string, unknown>; output: string }> {
  // The stall timer watches the build's progress: a step working silently is not a stall.
  const result = await withRetry(
    () => runBuildx(bx, argv, { stallMs: stallMs || undefined, watch: new BuildProgress().watch }),
    { retries: bx.retries, what: 'build and push', log: bx.log }
  );
  try {
    return {
      metadata: JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>,
      output: `${result.stdout}\n${result.stderr}`
    };
  } catch (error) {
    throw new Error(`buildx wrote no readable metadata file at ${metadataFile}: ${(error as Error).message}`);
  }
}
