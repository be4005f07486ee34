/** What the command line takes from the environment it runs in: a CI's image, an existing builder; and the dotenv it writes back. */
import { ciContext } from '../inputs/ci.js';
import type { InputName } from '../inputs/specs.js';

/** Inputs that choose a builder: given any of them, BUILDX_BUILDER is not used. */
const BUILDER_INPUTS: readonly InputName[] = ['builder', 'driver', 'endpoint', 'nodes'];

/**
 * The inputs the environment fills in when the flags leave them out: `images` from the CI's registry
 * image (GitLab's CI_REGISTRY_IMAGE), `builder` from BUILDX_BUILDER (the builder buildx itself would
 * use, set by whoever prepared the machine or job). Returns the inputs and a line for each, for the log.
 */
export function environmentInputs(
  flags: Map<string, string>,
  env: NodeJS.ProcessEnv
): { inputs: Map<string, string>; notes: string[] } {
  const inputs = new Map(flags);
  const notes: string[] = [];
  const image = ciContext(env)?.image;
  if (!flags.has('images') && image) {
    inputs.set('images', image);
    notes.push(`images: ${image} (from CI_REGISTRY_IMAGE)`);
  }
  const builder = env.BUILDX_BUILDER?.trim();
  if (builder && !BUILDER_INPUTS.some((name) => flags.has(name))) {
    inputs.set('builder', builder);
    notes.push(`builder: ${builder} (from BUILDX_BUILDER; it is used as it is and not removed)`);
  }
  return { inputs, notes };
}

/** The run id the CI gives (the pipeline's), which every leg and the merge of one pipeline share. */
export function ciRunId(env: NodeJS.ProcessEnv): string | undefined {
  return env.GITHUB_RUN_ID || ciContext(env)?.runId;
}

/** The outputs a dotenv file carries: the short ones; metadata, labels and the JSON documents stay in --output-file. */
export const DOTENV_OUTPUTS = ['digest', 'tags', 'version', 'platform-digests', 'builder', 'matrix', 'signature'];

/**
 * Outputs as a dotenv file, one `MULTIARCH_<NAME>=value` a line (`platform-digests` →
 * `MULTIARCH_PLATFORM_DIGESTS`), in the subset of the format GitLab's `artifacts:reports:dotenv`
 * accepts: no quotes, no blank lines, no line breaks in a value, so list outputs (`tags`,
 * `signature`) are joined with commas. A shell reads it with `set -a; . FILE; set +a`.
 */
export function dotenv(outputs: Map<string, string>): string {
  const lines: string[] = [];
  for (const name of DOTENV_OUTPUTS) {
    if (!outputs.has(name)) continue;
    const value = (outputs.get(name) ?? '')
      .split('\n')
      .filter((line) => line !== '')
      .join(',');
    lines.push(`MULTIARCH_${name.toUpperCase().replace(/-/g, '_')}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}
