import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as cache from '@actions/cache';
import * as tc from '@actions/tool-cache';
import type { Runner } from '../../ports.js';
import type { Log } from '../../ports.js';
import { InputError, type InputName } from '../../plan/errors.js';
import { errorText } from '../../text.js';
import { PermanentError, TransientError, withRetry } from '../retry.js';
import { parseBuildxVersion, type InstalledBuildx } from './find.js';
import { releaseTag } from '../../plan/release-tag.js';

export const DEFAULT_BUILDX_BASE = 'https://github.com/docker/buildx/releases/download';
/**
 * The release list docker/setup-buildx-action reads to resolve `version: latest` (name → GitHub
 * release, `latest` among the names). A mirror serves its own copy at `<buildx-mirror>/buildx-releases.json`.
 */
export const BUILDX_RELEASES_LIST =
  'https://raw.githubusercontent.com/docker/actions-toolkit/main/.github/buildx-releases.json';

const INPUT = 'buildx-version';
const TOOL = 'buildx';

/** OS and architecture as buildx names its release assets: linux/amd64, linux/arm-v7, windows/arm64, … */
export interface ReleasePlatform {
  os: string;
  arch: string;
}

/** The part of @actions/cache used here; the GitHub cache service cannot run off GitHub, so tests pass their own. */
export type ActionsCache = Pick<typeof cache, 'isFeatureAvailable' | 'restoreCache' | 'saveCache'>;

/** What installing a pinned release (buildx, cosign) takes. */
export interface ReleaseInstallOptions {
  /** The version input as given: `v0.36.1` or `0.36.1`. */
  version: string;
  run: Runner;
  log: Log;
  /** Release host: `${base}/${tag}/${asset}`; empty or absent means the tool's GitHub releases; a mirror can stand in. */
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
export async function installBuildx(options: ReleaseInstallOptions): Promise<InstalledBuildx> {
  const tag = options.version.trim() === 'latest' ? await resolveLatest(options) : releaseTag(options.version);
  const platform = options.platform ?? hostPlatform();
  const { binary, source } = await installRelease(
    {
      tool: TOOL,
      tag,
      input: INPUT,
      version: options.version,
      base: options.base || DEFAULT_BUILDX_BASE,
      asset: releaseAsset(tag, platform),
      binName: platform.os === 'windows' ? 'docker-buildx.exe' : 'docker-buildx',
      checksums: 'checksums.txt',
      // buildx's release pipeline leaves darwin binaries out of checksums.txt.
      unlisted: `Pick a version whose release lists ${platform.os}-${platform.arch}, or leave ${INPUT} empty and install buildx before this step.`
    },
    { ...options, platform }
  );
  return confirm(binary, tag, source, options);
}

/**
 * `latest`, as setup-buildx resolves it: the `latest` entry of the release list (the newest release).
 * The release it names is then installed like any pinned one, checksums verified.
 */
async function resolveLatest(options: ReleaseInstallOptions): Promise<string> {
  const base = (options.base || DEFAULT_BUILDX_BASE).replace(/\/+$/, '');
  const url = base === DEFAULT_BUILDX_BASE ? BUILDX_RELEASES_LIST : `${base}/buildx-releases.json`;
  const workDir = options.workDir ?? path.join(process.env.RUNNER_TEMP || os.tmpdir(), `${TOOL}-install`);
  await mkdir(workDir, { recursive: true });
  const file = path.join(workDir, 'buildx-releases.json');
  await download(url, file, { tool: TOOL, input: INPUT, version: 'latest' }, { ...options, platform: hostPlatform() });
  const text = await readFile(file, 'utf8');
  await rm(file, { force: true });
  let name: unknown;
  try {
    name = (JSON.parse(text) as { latest?: { tag_name?: unknown } }).latest?.tag_name;
  } catch {
    name = undefined;
  }
  if (typeof name !== 'string' || !/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(name))
    throw new Error(`${url} names no latest buildx release (expected {"latest": {"tag_name": "v…"}})`);
  options.log.info(`buildx-version latest: ${name}, the newest release in ${url}`);
  return name;
}

// ---------------------------------------------------------------------------------------------
// The generic installer: any single-binary release with a sha256sum listing (buildx, cosign).

/** One release of one tool: where its binary and checksum listing are, and what to call them. */
export interface ReleaseSpec {
  /** The tool-cache name, also what messages call the tool. */
  tool: string;
  /** The release tag, `v1.2.3`. */
  tag: string;
  /** The input the version came from and its value as given: a release that does not exist names them. */
  input: InputName;
  version: string;
  /** Release host: `${base}/${tag}/${asset}`. */
  base: string;
  asset: string;
  /** The installed file's name. */
  binName: string;
  /** The release's sha256sum listing. */
  checksums: string;
  /** What to do when the listing has no line for the asset. */
  unlisted: string;
}

export type ReleaseSource = 'tool-cache' | 'actions-cache' | 'download';

export interface ReleaseOptions {
  log: Log;
  platform: ReleasePlatform;
  cache?: ActionsCache;
  /** Where downloads are staged: the same path on every run, as the Actions cache restores to saved paths. Default: RUNNER_TEMP/<tool>-install. */
  workDir?: string;
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Installs a release's binary into the tool cache: found there, else restored from the Actions
 * cache, else downloaded; anything restored or downloaded must match the release's checksums
 * first. Returns the installed binary, executable, for the caller to confirm.
 */
export async function installRelease(
  spec: ReleaseSpec,
  options: ReleaseOptions
): Promise<{ binary: string; source: ReleaseSource }> {
  const { log, platform } = options;
  const { tool, tag, asset, binName } = spec;
  const base = spec.base.replace(/\/+$/, '');
  const actionsCache = options.cache ?? cache;

  const cachedDir = tc.find(tool, tag, platform.arch);
  if (cachedDir) {
    log.info(`${tool} ${tag} found in the tool cache at ${cachedDir}`);
    return { binary: path.join(cachedDir, binName), source: 'tool-cache' };
  }

  const workDir = options.workDir ?? path.join(process.env.RUNNER_TEMP || os.tmpdir(), `${tool}-install`);
  const stageDir = path.join(workDir, `${tag}-${platform.os}-${platform.arch}`);
  const staged = path.join(stageDir, binName);
  await mkdir(workDir, { recursive: true });

  const sumsUrl = `${base}/${tag}/${spec.checksums}`;
  const sumsFile = path.join(workDir, `${tag}-${spec.checksums}`);
  await download(sumsUrl, sumsFile, spec, options);
  const expected = parseChecksums(await readFile(sumsFile, 'utf8')).get(asset);
  await rm(sumsFile, { force: true });
  if (!expected) {
    throw new Error(
      `${sumsUrl} has no checksum for ${asset}, so it cannot be verified and is not installed. ${spec.unlisted}`
    );
  }

  const key = `${tool}-${tag}-${platform.os}-${platform.arch}-${expected}`;
  await rm(stageDir, { recursive: true, force: true });
  await mkdir(stageDir, { recursive: true });
  let source: ReleaseSource = 'download';
  if (await restore(tool, actionsCache, stageDir, staged, key, expected, log)) {
    source = 'actions-cache';
    log.info(`${tool} ${tag} restored from the Actions cache (key ${key})`);
  } else {
    const url = `${base}/${tag}/${asset}`;
    log.info(`Downloading ${tool} ${tag} from ${url}`);
    await download(url, staged, spec, options);
    const actual = await sha256File(staged);
    if (actual !== expected) {
      await rm(stageDir, { recursive: true, force: true });
      throw new Error(
        `${asset} from ${url} does not match ${sumsUrl}: expected sha256 ${expected}, got ${actual}. ` +
          'It was not installed; the download was corrupted or the release host serves a different file.'
      );
    }
    log.info(`${asset}: sha256 ${actual} matches ${spec.checksums}`);
  }

  const toolDir = await tc.cacheFile(staged, binName, tool, tag, platform.arch);
  const installed = path.join(toolDir, binName);
  // Downloads arrive without the executable bit.
  await chmod(installed, 0o755);

  if (source === 'download' && actionsCache.isFeatureAvailable()) {
    try {
      await actionsCache.saveCache([stageDir], key);
    } catch (error) {
      log.warning(
        `Could not save ${tool} ${tag} to the Actions cache (${errorText(error)}); the next run downloads it again`
      );
    }
  }
  return { binary: installed, source };
}

async function restore(
  tool: string,
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
    log.warning(`Could not restore ${tool} from the Actions cache (${errorText(error)}); downloading it instead`);
    return false;
  }
  const actual = await sha256File(staged).catch(() => 'missing');
  if (actual === expected) return true;
  log.warning(
    `${tool} restored from the Actions cache (key ${key}) has sha256 ${actual}, not ${expected}; downloading it instead`
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
async function download(
  url: string,
  dest: string,
  spec: Pick<ReleaseSpec, 'tool' | 'input' | 'version'>,
  options: ReleaseOptions
): Promise<void> {
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
      throw new InputError(
        spec.input,
        spec.version,
        `an existing ${spec.tool} release (${url} answered 404 Not Found)`
      );
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
  source: ReleaseSource,
  options: ReleaseInstallOptions
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
