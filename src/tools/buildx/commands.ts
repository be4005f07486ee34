import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Runner } from '../../ports.js';
import type { Log } from '../../ports.js';
import { withRetry } from '../retry.js';
import type { BuildxBin } from './find.js';
import { BuildProgress } from './progress.js';

export interface BuilderInfo {
  name: string;
  driver: string;
  platforms: string[];
  buildkitVersion: string;
}

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

function call(bx: Buildx, args: string[], options: Parameters<Runner>[2] = {}) {
  return bx.run(bx.bin.command, [...bx.bin.prefix, ...args], { cwd: bx.cwd, ...options });
}

/** Creates (already done by the caller's argv) and bootstraps a builder, returning what it offers. */
export async function createBuilder(bx: Buildx, createArgv: string[], name: string): Promise<void> {
  await withRetry(() => call(bx, createArgv, { quiet: true }), {
    retries: bx.retries,
    what: `creating builder ${name}`,
    log: bx.log
  });
}

export async function bootstrapBuilder(bx: Buildx, name: string): Promise<BuilderInfo> {
  const out = await withRetry(() => call(bx, ['inspect', '--bootstrap', '--builder', name], { quiet: true }), {
    retries: bx.retries,
    what: `starting builder ${name}`,
    log: bx.log
  });
  return parseInspect(out.stdout, name);
}

/** Reads `buildx inspect` text: the driver, the platforms the nodes offer, the BuildKit version. */
export function parseInspect(text: string, name: string): BuilderInfo {
  const field = (label: string): string[] =>
    text
      .split('\n')
      .filter((line) => line.trimStart().startsWith(`${label}:`))
      .map((line) => line.slice(line.indexOf(':') + 1).trim());
  const platforms = field('Platforms')
    .flatMap((line) => line.split(','))
    .map((p) => p.replace(/\*$/, '').trim())
    .filter(Boolean);
  return {
    name,
    driver: field('Driver')[0] ?? 'unknown',
    platforms: [...new Set(platforms)],
    buildkitVersion: field('BuildKit version')[0] ?? field('Buildkit')[0] ?? 'unknown'
  };
}

export async function removeBuilder(bx: Buildx, name: string): Promise<'removed' | 'absent'> {
  const result = await call(bx, ['rm', '--force', name], { allowFailure: true, quiet: true });
  if (result.code === 0) return 'removed';
  if (/not found|no builder|does not exist/i.test(result.stderr)) return 'absent';
  throw new Error(`removing builder ${name} failed: ${result.stderr.trim()}`);
}

/** Runs one build; a stalled or transiently failed push is tried again (BuildKit's cache makes the rerun cheap). */
export async function build(
  bx: Buildx,
  argv: string[],
  metadataFile: string,
  stallMs: number
): Promise<{ metadata: Record<string, unknown>; output: string }> {
  // The stall timer watches the build's progress: a step working silently is not a stall.
  const result = await withRetry(
    () => call(bx, argv, { stallMs: stallMs || undefined, watch: new BuildProgress().watch }),
    {
      retries: bx.retries,
      what: 'build and push',
      log: bx.log
    }
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

export interface Manifest {
  mediaType?: string;
  manifests?: Array<{
    digest: string;
    mediaType?: string;
    platform?: { os: string; architecture: string; variant?: string };
    annotations?: Record<string, string>;
  }>;
  annotations?: Record<string, string>;
}

/** `--builder NAME` when a builder is in use; imagetools also works without one. */
function builderFlag(builder: string): string[] {
  return builder ? ['--builder', builder] : [];
}

/** The manifest or index a reference points at, with its digest, or undefined when it does not exist. */
export async function inspectRaw(
  bx: Buildx,
  builder: string,
  ref: string
): Promise<{ manifest: Manifest; digest: string; raw: string } | undefined> {
  try {
    const out = await withRetry(
      () =>
        call(bx, ['imagetools', 'inspect', ...builderFlag(builder), '--raw', ref], {
          quiet: true,
          stallMs: bx.stallMs || undefined
        }),
      {
        retries: bx.retries,
        what: `reading ${ref}`,
        log: bx.log
      }
    );
    // --raw prints the registry's bytes unchanged, so their hash is the manifest's digest.
    return {
      manifest: JSON.parse(out.stdout) as Manifest,
      digest: `sha256:${createHash('sha256').update(out.stdout).digest('hex')}`,
      raw: out.stdout
    };
  } catch (error) {
    if (/not found|manifest unknown|404/i.test(String((error as Error).message))) return undefined;
    throw error;
  }
}

/**
 * The version label of the image a tag points to: the index annotation when there is one (one
 * request), else the `org.opencontainers.image.version` label of its image config.
 */
export async function publishedVersion(bx: Buildx, builder: string, ref: string): Promise<string | undefined> {
  const found = await inspectRaw(bx, builder, ref);
  if (!found) return undefined;
  const annotated = found.manifest.annotations?.['org.opencontainers.image.version'];
  if (annotated) return annotated;
  const out = await withRetry(
    () =>
      call(bx, ['imagetools', 'inspect', ...builderFlag(builder), '--format', '{{json .Image}}', ref], {
        quiet: true,
        stallMs: bx.stallMs || undefined
      }),
    {
      retries: bx.retries,
      what: `reading the labels of ${ref}`,
      log: bx.log
    }
  );
  type Config = { config?: { Labels?: Record<string, string> } };
  const parsed = JSON.parse(out.stdout) as Config | Record<string, Config>;
  const configs: Config[] = 'config' in parsed ? [parsed as Config] : Object.values(parsed as Record<string, Config>);
  return configs.map((c) => c.config?.Labels?.['org.opencontainers.image.version']).find((v) => !!v);
}

/** Platform → manifest digest of an index, attestation manifests left out. */
export function platformDigests(index: Manifest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of index.manifests ?? []) {
    if (!m.platform || m.platform.os === 'unknown') continue;
    if (m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
    const id = [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/');
    out[id] = m.digest;
  }
  return out;
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
  const argv = ['imagetools', 'create', ...builderFlag(builder)];
  for (const annotation of annotations) argv.push('--annotation', annotation);
  for (const ref of refs) argv.push('--tag', ref);
  argv.push(...sources);
  await withRetry(() => call(bx, argv, { quiet: true, stallMs: bx.stallMs || undefined }), {
    retries: bx.retries,
    what: 'tagging the index',
    log: bx.log
  });
}
