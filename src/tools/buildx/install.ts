import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as cache from '@actions/cache';
import * as tc from '@actions/tool-cache';
import type { Runner } from '../../ports.js';
import type { Log } from '../../ports.js';
import { InputError } from '../../plan/errors.js';
import { errorText } from '../../text.js';
import { PermanentError, TransientError, withRetry } from '../retry.js';
import { parseBuildxVersion, type BuildxSource, type InstalledBuildx } from './find.js';
import { releaseTag } from '../../plan/versions.js';

export const DEFAULT_BUILDX_BASE = 'https://github.com/docker/buildx/releases/download';

const INPUT = 'buildx-version';
const TOOL = 'buildx';

/** OS and architecture as buildx names its release assets: linux/amd64, linux/arm-v7, windows/arm64, … */
export interface ReleasePlatform {
  os: string;
  arch: string;
}

/** The part of @actions/cache used here; the GitHub cache service cannot run off GitHub, so tests pass their own. */
export type ActionsCache = Pick<typeof cache, 'isFeatureAvailable' | 'restoreCache' | 'saveCache'>;

export interface InstallOptions {
  /** The buildx-version input as given: `v0.36.1` or `0.36.1`. */
  version: string;
  run: Runner;
  log: Log;
  /** Release host: `${base}/${tag}/${asset}`. Empty or absent means GitHub's buildx releases; a mirror can stand in. */
  base?: string;
  platform?: ReleasePlatform;
  cache?: ActionsCache;
  /**
   * Where downloads are staged. It must be the same path on every run, because the Actions cache
   * restores files to the paths they were saved from. Defaults to RUNNER_TEMP (or the OS temp dir).
   */
  workDir?: string;
  /** Attempts after the first for each download (on top of tool-cache's own attempts). */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** The runner's OS and architecture in buildx's release naming. */
export function hostPlatform(
  nodePlatform: string = process.platform,
  nodeArch: string = process.arch,
  armVersion: string | undefined = (process.config.variables as Record<string, unknown>).arm_version as
    string | undefined
): ReleasePlatform {
  const osName = nodePlatform === 'win32' ? 'windows' : nodePlatform;
  const archNames: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    riscv64: 'riscv64',
    s390x: 's390x',
    ppc64: 'ppc64le'
  };
  const arch = nodeArch === 'arm' ? `arm-v${armVersion ?? '7'}` : (archNames[nodeArch] ?? nodeArch);
  return { os: osName, arch };
}

/** The release asset for a tag and platform, e.g. `buildx-v0.36.1.linux-arm-v7`, `buildx-v0.36.1.windows-amd64.exe`. */
export function releaseAsset(tag: string, platform: ReleasePlatform): string {
  return `buildx-${tag}.${platform.os}-${platform.arch}${platform.os === 'windows' ? '.exe' : ''}`;
}

/**
 * Reads a sha256sum listing (`<hex> *name` in binary mode, `<hex>  name` in text mode) into
 * file name → lower-case hex digest. Lines that are not digests are skipped.
 */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([0-9a-fA-F]{64})\s+\*?(.+?)\s*$/.exec(line.trim());
    if (match) sums.set(path.posix.basename(match[2]), match[1].toLowerCase());
  }
  return sums;
}

/**
 * Installs a buildx release and confirms it runs. Looks in the tool cache, then the Actions cache,
 * then downloads from the release host; whatever is downloaded or restored is checked against the
 * release's checksums.txt first, and an unverifiable binary is never installed.
 */
export async function installBuildx(options: InstallOptions): Promise<InstalledBuildx> {
  const { version: versionInput, log } = options;
  const tag = releaseTag(versionInput);
  const platform = options.platform ?? hostPlatform();
  const base = (options.base || DEFAULT_BUILDX_BASE).replace(/\/+$/, '');
  const actionsCache = options.cache ?? cache;
  const binName = platform.os === 'windows' ? 'docker-buildx.exe' : 'docker-buildx';

  const cachedDir = tc.find(TOOL, tag, platform.arch);
  if (cachedDir) {
    log.info(`buildx ${tag} found in the tool cache at ${cachedDir}`);
    return confirm(path.join(cachedDir, binName), tag, 'tool-cache', options);
  }

  const asset = releaseAsset(tag, platform);
  const workDir = options.workDir ?? path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'buildx-install');
  const stageDir = path.join(workDir, `${tag}-${platform.os}-${platform.arch}`);
  const staged = path.join(stageDir, binName);
  await mkdir(workDir, { recursive: true });

  const sumsUrl = `${base}/${tag}/checksums.txt`;
  const sumsFile = path.join(workDir, `${tag}-checksums.txt`);
  await download(sumsUrl, sumsFile, options);
  const expected = parseChecksums(await readFile(sumsFile, 'utf8')).get(asset);
  await rm(sumsFile, { force: true });
  if (!expected) {
    // buildx's release pipeline leaves darwin binaries out of checksums.txt.
    throw new Error(
      `${sumsUrl} has no checksum for ${asset}, so it cannot be verified and is not installed. ` +
        `Pick a version whose release lists ${platform.os}-${platform.arch}, or leave ${INPUT} empty and install buildx before this step.`
    );
  }

  const key = `buildx-${tag}-${platform.os}-${platform.arch}-${expected}`;
  await rm(stageDir, { recursive: true, force: true });
  await mkdir(stageDir, { recursive: true });
  let source: BuildxSource = 'download';
  if (await restore(actionsCache, stageDir, staged, key, expected, log)) {
    source = 'actions-cache';
    log.info(`buildx ${tag} restored from the Actions cache (key ${key})`);
  } else {
    const url = `${base}/${tag}/${asset}`;
    log.info(`Downloading buildx ${tag} from ${url}`);
    await download(url, staged, options);
    const actual = await sha256File(staged);
    if (actual !== expected) {
      await rm(stageDir, { recursive: true, force: true });
      throw new Error(
        `${asset} from ${url} does not match ${sumsUrl}: expected sha256 ${expected}, got ${actual}. ` +
          'It was not installed; the download was corrupted or the release host serves a different file.'
      );
    }
    log.info(`${asset}: sha256 ${actual} matches checksums.txt`);
  }

  const toolDir = await tc.cacheFile(staged, binName, TOOL, tag, platform.arch);
  const installed = path.join(toolDir, binName);
  // Downloads arrive without the executable bit.
  await chmod(installed, 0o755);

  if (source === 'download' && actionsCache.isFeatureAvailable()) {
    try {
      await actionsCache.saveCache([stageDir], key);
    } catch (error) {
      log.warning(
        `Could not save buildx ${tag} to the Actions cache (${errorText(error)}); the next run downloads it again`
      );
    }
  }
  return confirm(installed, tag, source, options);
}

async function restore(
  actionsCache: ActionsCache,
  stageDir: string,
  staged: string,
  key: string,
  expected: string,
  log: Log
): Promise<boolean> {
  if (!actionsCache.isFeatureAvailable()) return false;
  try {
    if (!(await actionsCache.restoreCache([stageDir], key))) return false;
  } catch (error) {
    log.warning(`Could not restore buildx from the Actions cache (${errorText(error)}); downloading it instead`);
    return false;
  }
  const actual = await sha256File(staged).catch(() => 'missing');
  if (actual === expected) return true;
  log.warning(
    `buildx restored from the Actions cache (key ${key}) has sha256 ${actual}, not ${expected}; downloading it instead`
  );
  await rm(stageDir, { recursive: true, force: true });
  await mkdir(stageDir, { recursive: true });
  return false;
}

class NotFoundError extends PermanentError {
  constructor(readonly url: string) {
    super(`GET ${url} answered 404 Not Found`);
    this.name = 'NotFoundError';
  }
}

/** Downloads `url` to `dest`, retrying transient failures. A 404 means the release or asset does not exist. */
async function download(url: string, dest: string, options: InstallOptions): Promise<void> {
  try {
    await withRetry(
      async () => {
        await rm(dest, { force: true });
        try {
          await tc.downloadTool(url, dest);
        } catch (error) {
          throw downloadError(url, error);
        }
      },
      { retries: options.retries ?? 2, what: `Downloading ${url}`, log: options.log, sleep: options.sleep }
    );
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new InputError(INPUT, options.version, `an existing buildx release (${url} answered 404 Not Found)`);
    }
    throw new Error(`Could not download ${url}: ${errorText(error)}`, { cause: error });
  }
}

/** tool-cache's error as retry reads it: a 5xx, 429 or 408, or a dropped connection, is worth another try. */
function downloadError(url: string, error: unknown): Error {
  if (error instanceof tc.HTTPError) {
    const status = error.httpStatusCode ?? 0;
    if (status === 404) return new NotFoundError(url);
    const message = `GET ${url} answered HTTP ${status}`;
    return status >= 500 || status === 429 || status === 408
      ? new TransientError(message, undefined, { cause: error })
      : new PermanentError(message, { cause: error });
  }
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (/^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|ECONNABORTED|UND_ERR_\w+)$/.test(code))
    return new TransientError(`GET ${url}: ${code}`, undefined, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

async function confirm(
  binary: string,
  tag: string,
  source: BuildxSource,
  options: InstallOptions
): Promise<InstalledBuildx> {
  let stdout: string;
  try {
    ({ stdout } = await options.run(binary, ['version']));
  } catch (error) {
    throw new Error(`buildx ${tag} at ${binary} does not run: ${errorText(error)}`, { cause: error });
  }
  const version = parseBuildxVersion(stdout);
  if (version !== 'unknown' && `v${version}` !== tag) {
    options.log.warning(
      `${binary} reports buildx ${version}, not the requested ${tag}; the release host may serve another version under that name`
    );
  }
  return { command: binary, prefix: [], version, source };
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}
