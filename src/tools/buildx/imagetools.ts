import { digestOf, IMAGE_VERSION, type Manifest } from '../../plan/oci.js';
import { imagetoolsCreateArgv, inspectConfigArgv, inspectRawArgv } from '../../plan/steps.js';
import { withRetry } from '../retry.js';
import type { RunResult } from '../../ports.js';
import { runBuildx, type Buildx } from './handle.js';

/** One imagetools call: its output kept out of the log, retried by the run's policy. */
function imagetools(bx: Buildx, argv: string[], what: string): Promise<RunResult> {
  return withRetry(() => runBuildx(bx, argv, { quiet: true, stallMs: bx.stallMs || undefined }), {
    retries: bx.retries,
    what,
    log: bx.log
  });
}

/** The manifest or index a reference points at, with its digest, or undefined when it does not exist. */
export async function inspectRaw(
  bx: Buildx,
  builder: string,
  ref: string
): Promise<{ manifest: Manifest; digest: string; raw: string } | undefined> {
  try {
    const out = await imagetools(bx, inspectRawArgv(builder, ref), `reading ${ref}`);
    // --raw prints the registry's bytes unchanged, so their hash is the manifest's digest.
    return {
      manifest: JSON.parse(out.stdout) as Manifest,
      digest: digestOf(out.stdout),
      raw: out.stdout
    };
  } catch (error) {
    if (/not found|manifest unknown|404/i.test(String((error as Error).message))) return undefined;
    throw error;
  }
}

/** The `org.opencontainers.image.version` label of the image config(s) a tag points to. */
export async function labelledVersion(bx: Buildx, builder: string, ref: string): Promise<string | undefined> {
  const out = await imagetools(bx, inspectConfigArgv(builder, ref), `reading the labels of ${ref}`);
  type Config = { config?: { Labels?: Record<string, string> } };
  const parsed = JSON.parse(out.stdout) as Config | Record<string, Config>;
  const configs: Config[] = 'config' in parsed ? [parsed as Config] : Object.values(parsed as Record<string, Config>);
  return configs.map((c) => c.config?.Labels?.[IMAGE_VERSION]).find((v) => !!v);
}

/**
 * Points every tag at the index made of `sources` (digest references): the last step, after every
 * image is in the registry. One source is copied as it is; several are merged into one index.
 */
export async function tagIndex(
  bx: Buildx,
  builder: string,
  refs: string[],
  sources: string[],
  annotations: string[] = []
): Promise<void> {
  await imagetools(bx, imagetoolsCreateArgv(builder, refs, sources, annotations), 'tagging the index');
}

/** The platform of a single image manifest (it names none itself): its config's os/architecture/variant. */
export async function imagePlatform(bx: Buildx, builder: string, ref: string): Promise<string> {
  const out = await imagetools(bx, inspectConfigArgv(builder, ref), `reading the platform of ${ref}`);
  const config = JSON.parse(out.stdout) as { os?: string; architecture?: string; variant?: string };
  return [config.os, config.architecture, config.variant].filter(Boolean).join('/') || 'unknown';
}
