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

export interface CacheProblem {
  direction: 'read' | 'write';
  /** The cache ref, when the step names it. */
  ref: string;
  error: string;
}

/**
 * Cache steps that failed in a build that went on (BuildKit ignores cache import errors, and
 * export errors with ignore-error=true): read from buildx's plain progress, where a step's
 * `#N importing cache manifest from REF` / `#N exporting cache to …` is followed by `#N ERROR: …`.
 */
export function cacheProblems(output: string): CacheProblem[] {
  const steps = new Map<string, { direction: 'read' | 'write'; ref: string }>();
  const problems: CacheProblem[] = [];
  for (const line of output.split('\n')) {
    const m = /^#(\d+) (.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, text] = m;
    const imported = /^importing cache manifest from (\S+)/.exec(text);
    if (imported) steps.set(id, { direction: 'read', ref: imported[1] });
    else if (/^exporting cache to /.test(text)) steps.set(id, { direction: 'write', ref: '' });
    else if (text.startsWith('ERROR: ') && steps.has(id))
      problems.push({ ...steps.get(id)!, error: text.slice('ERROR: '.length) });
  }
  return problems;
}
