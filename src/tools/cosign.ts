/**
 * cosign: found on the machine or installed at a pinned version checked against the release's
 * checksums, then run to sign the published index and to verify the signature it made.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as cache from '@actions/cache';
import * as tc from '@actions/tool-cache';
import type { Log, RunResult, Runner } from '../ports.js';
import { InputError } from '../plan/errors.js';
import {
  signEnv,
  signatureTag,
  signingSteps,
  verifyCommand,
  type KeylessIdentity,
  type SignMode
} from '../plan/sign.js';
import { withRetry } from './retry.js';
import { hostPlatform, parseChecksums, type ActionsCache, type ReleasePlatform } from './buildx/install.js';

/** The version installed when none is on the PATH: the one the project is tested with. */
export const DEFAULT_COSIGN_VERSION = 'v2.6.1';
export const DEFAULT_COSIGN_BASE = 'https://github.com/sigstore/cosign/releases/download';
const TOOL = 'cosign';
const CHECKSUMS = 'cosign_checksums.txt';

export type CosignSource = 'path' | 'tool-cache' | 'actions-cache' | 'download';

export interface Cosign {
  command: string;
  /** Semver without the "v", or "unknown" for a build with no version stamp. */
  version: string;
  source: CosignSource;
}

/** The version in `cosign version` output (`GitVersion:    v2.6.1`), without its "v". */
export function parseCosignVersion(output: string): string {
  const match = /^GitVersion:\s+v?(\d+\.\d+\.\d+[-+0-9A-Za-z.]*)\s*$/m.exec(output);
  return match ? match[1] : 'unknown';
}

/** The release asset for a platform: `cosign-linux-amd64`, `cosign-linux-arm` (v7), `cosign-windows-amd64.exe`. */
export function cosignAsset(platform: ReleasePlatform): string {
  // cosign publishes one 32-bit arm build, for v7, named by the bare architecture.
  const arch = platform.arch.startsWith('arm-') ? 'arm' : platform.arch;
  return `cosign-${platform.os}-${arch}${platform.os === 'windows' ? '.exe' : ''}`;
}

/** A cosign on the PATH (or at `command`), if one answers `cosign version`. */
export async function findCosign(
  run: Runner,
  command = 'cosign',
  env?: NodeJS.ProcessEnv
): Promise<Cosign | undefined> {
  try {
    const result = await run(command, ['version'], { env, quiet: true, allowFailure: true });
    if (result.code !== 0) return undefined;
    return { command, version: parseCosignVersion(`${result.stdout}\n${result.stderr}`), source: 'path' };
  } catch {
    return undefined;
  }
}

export interface CosignInstallOptions {
  /** A release version like v2.6.1; names the input in errors. */
  version: string;
  /** The input the version came from, for error messages. */
  input?: string;
  run: Runner;
  log: Log;
  /** Release host: `${base}/${tag}/${asset}`; a mirror can stand in for GitHub. */
  base?: string;
  platform?: ReleasePlatform;
  cache?: ActionsCache;
  /** Where downloads are staged: the same path on every run, as the Actions cache restores to saved paths. */
  workDir?: string;
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** The cosign already on the PATH; else the pinned release, installed and verified. */
export async function setupCosign(options: CosignInstallOptions & { env?: NodeJS.ProcessEnv }): Promise<Cosign> {
  const found = await findCosign(options.run, 'cosign', options.env);
  if (found) {
    options.log.info(`Using cosign ${found.version} from the PATH`);
    return found;
  }
  return installCosign(options);
}

/**
 * Installs a cosign release: the tool cache, then the Actions cache, then the release host.
 * Anything downloaded or restored must match the release's cosign_checksums.txt first; a binary
 * that cannot be verified is never installed.
 */
export async function installCosign(options: CosignInstallOptions): Promise<Cosign> {
  const { log } = options;
  const input = options.input ?? 'cosign-version';
  const match = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(options.version.trim());
  if (!match) throw new InputError(input, options.version, 'a cosign release version like v2.6.1');
  const tag = `v${match[1]}`;
  const platform = options.platform ?? hostPlatform();
  const base = (options.base || DEFAULT_COSIGN_BASE).replace(/\/+$/, '');
  const actionsCache = options.cache ?? cache;
  const binName = platform.os === 'windows' ? 'cosign.exe' : 'cosign';

  const cachedDir = tc.find(TOOL, tag, platform.arch);
  if (cachedDir) {
    log.info(`cosign ${tag} found in the tool cache at ${cachedDir}`);
    return confirm(path.join(cachedDir, binName), tag, 'tool-cache', options);
  }

  const asset = cosignAsset(platform);
  const workDir = options.workDir ?? path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'cosign-install');
  const stageDir = path.join(workDir, `${tag}-${platform.os}-${platform.arch}`);
  const staged = path.join(stageDir, binName);
  await mkdir(workDir, { recursive: true });

  const sumsUrl = `${base}/${tag}/${CHECKSUMS}`;
  const sumsFile = path.join(workDir, `${tag}-${CHECKSUMS}`);
  await download(sumsUrl, sumsFile, input, options);
  const expected = parseChecksums(await readFile(sumsFile, 'utf8')).get(asset);
  await rm(sumsFile, { force: true });
  if (!expected) {
    throw new Error(
      `${sumsUrl} has no checksum for ${asset}, so it cannot be verified and is not installed. ` +
        `Install cosign on the PATH before this step, or pick a version whose release has ${asset}.`
    );
  }

  const key = `cosign-${tag}-${platform.os}-${platform.arch}-${expected}`;
  await rm(stageDir, { recursive: true, force: true });
  await mkdir(stageDir, { recursive: true });
  let source: CosignSource = 'download';
  if (await restore(actionsCache, stageDir, staged, key, expected, log)) {
    source = 'actions-cache';
    log.info(`cosign ${tag} restored from the Actions cache (key ${key})`);
  } else {
    const url = `${base}/${tag}/${asset}`;
    log.info(`Downloading cosign ${tag} from ${url}`);
    await download(url, staged, input, options);
    const actual = await sha256File(staged);
    if (actual !== expected) {
      await rm(stageDir, { recursive: true, force: true });
      throw new Error(
        `${asset} from ${url} does not match ${sumsUrl}: expected sha256 ${expected}, got ${actual}. It was not installed.`
      );
    }
    log.info(`${asset}: sha256 ${actual} matches ${CHECKSUMS}`);
  }

  const toolDir = await tc.cacheFile(staged, binName, TOOL, tag, platform.arch);
  const installed = path.join(toolDir, binName);
  await chmod(installed, 0o755);
  if (source === 'download' && actionsCache.isFeatureAvailable()) {
    try {
      await actionsCache.saveCache([stageDir], key);
    } catch (error) {
      log.warning(
        `Could not save cosign ${tag} to the Actions cache (${errorText(error)}); the next run downloads it again`
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
    log.warning(`Could not restore cosign from the Actions cache (${errorText(error)}); downloading it instead`);
    return false;
  }
  const actual = await sha256File(staged).catch(() => 'missing');
  if (actual === expected) return true;
  log.warning(`cosign restored from the Actions cache has sha256 ${actual}, not ${expected}; downloading it instead`);
  await rm(stageDir, { recursive: true, force: true });
  await mkdir(stageDir, { recursive: true });
  return false;
}

class NotFound extends Error {
  constructor() {
    // No word the retry classifier reads as transient: a 404 is final.
    super('HTTP 404');
  }
}

async function download(url: string, dest: string, input: string, options: CosignInstallOptions): Promise<void> {
  try {
    await withRetry(
      async () => {
        await rm(dest, { force: true });
        try {
          await tc.downloadTool(url, dest);
        } catch (error) {
          if (error instanceof tc.HTTPError && error.httpStatusCode === 404) throw new NotFound();
          if (error instanceof tc.HTTPError) throw new Error(`GET ${url} answered HTTP ${error.httpStatusCode}`);
          throw error;
        }
      },
      { retries: options.retries ?? 2, what: `Downloading ${url}`, log: options.log, sleep: options.sleep }
    );
  } catch (error) {
    if (error instanceof NotFound)
      throw new InputError(input, options.version, `an existing cosign release (${url} answered 404 Not Found)`);
    throw new Error(`Could not download ${url}: ${errorText(error)}`, { cause: error });
  }
}

async function confirm(
  binary: string,
  tag: string,
  source: CosignSource,
  options: CosignInstallOptions
): Promise<Cosign> {
  let result: RunResult;
  try {
    result = await options.run(binary, ['version'], { quiet: true });
  } catch (error) {
    throw new Error(`cosign ${tag} at ${binary} does not run: ${errorText(error)}`, { cause: error });
  }
  const version = parseCosignVersion(`${result.stdout}\n${result.stderr}`);
  if (version !== 'unknown' && `v${version}` !== tag)
    options.log.warning(`${binary} reports cosign ${version}, not the requested ${tag}`);
  return { command: binary, version, source };
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

// ---------------------------------------------------------------------------------------------
// Key material

export interface SigningKey {
  /** What `--key` is given: a file path, or a KMS URI. */
  ref: string;
  /** Removes a key file written for this run; nothing for a key the user's path or URI names. */
  dispose(): Promise<void>;
}

const KMS = /^(awskms|gcpkms|azurekms|hashivault|k8s|pkcs11):\/\//;

/**
 * The `sign-key` input: the private key's PEM (from a secret), a path to it, or a KMS URI.
 * PEM text goes to a file only its owner can read, in a directory of its own under `tempDir`,
 * and is removed by dispose(). Errors never repeat key material.
 */
export async function prepareKey(signKey: string, tempDir: string, log: Log, input = 'sign-key'): Promise<SigningKey> {
  const value = signKey.trim();
  if (value.includes('-----BEGIN') || value.includes('PRIVATE KEY') || value.includes('\n')) {
    for (const line of value.split(/\r?\n/)) log.setSecret(line.trim());
    log.setSecret(value);
    if (!/^-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n[\s\S]+\r?\n-----END [A-Z ]*PRIVATE KEY-----$/.test(value)) {
      throw new InputError(
        input,
        '(key material, not shown)',
        'a PEM private key from `cosign generate-key-pair` (-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----), a path to one, or a KMS URI'
      );
    }
    await mkdir(tempDir, { recursive: true });
    const dir = await mkdtemp(path.join(tempDir, 'key-'));
    await chmod(dir, 0o700);
    const file = path.join(dir, 'cosign.key');
    await writeFile(file, `${value}\n`, { mode: 0o600 });
    return { ref: file, dispose: () => rm(dir, { recursive: true, force: true }) };
  }
  if (KMS.test(value)) return { ref: value, dispose: async () => undefined };
  const file = path.resolve(value);
  const info = await stat(file).catch(() => undefined);
  if (!value || !info?.isFile()) {
    throw new InputError(input, value, 'a PEM private key, the path of a key file that exists, or a KMS URI');
  }
  return { ref: file, dispose: async () => undefined };
}

// ---------------------------------------------------------------------------------------------
// Signing and verifying

export interface SignOptions {
  cosign: Cosign;
  run: Runner;
  log: Log;
  mode: SignMode;
  /** The image repository (a tag in it is ignored) and the index digest. */
  image: string;
  digest: string;
  tlog: boolean;
  /** Key mode: the `sign-key` input (PEM text, path or KMS URI) and its password, if any. */
  signKey?: string;
  password?: string;
  /** Keyless: who signs, for the verification that follows. */
  identity?: KeylessIdentity;
  /** Where a PEM key is written for the moment it is needed (the run's temp dir). */
  tempDir: string;
  /** The digests of the index's children, to say where each signature went. */
  children?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface SignResult {
  /** The tags cosign stored the signatures under: the index's first, then its children's. */
  signatures: string[];
  /** The `cosign verify` command users can paste. */
  verifyCommand: string;
  /** What `cosign verify` printed (JSON, one line per signature). */
  verified: string;
}

/**
 * Signs the index and every manifest in it, by digest; then verifies the signature just made
 * (with the public key derived from the private one, in key mode). The key file written for a
 * PEM input is removed before this returns, whatever happens.
 */
export async function signAndVerify(options: SignOptions): Promise<SignResult> {
  const { cosign, run, log, mode, image, digest, tlog } = options;
  const baseEnv = options.env ?? process.env;
  if (options.password) log.setSecret(options.password);
  const env = { ...baseEnv, ...signEnv(mode, options.password) };
  if (mode === 'key' && !options.signKey)
    throw new InputError('sign-key', '', 'the private key (PEM text, a path or a KMS URI) when sign is key');

  // One directory, only ours to read, for the key file and the public key derived from it.
  await mkdir(options.tempDir, { recursive: true });
  const work = await mkdtemp(path.join(options.tempDir, 'cosign-'));
  try {
    await chmod(work, 0o700);
    const keyFile = mode === 'key' ? (await prepareKey(options.signKey ?? '', work, log)).ref : undefined;
    const publicKeyFile = keyFile ? path.join(work, 'cosign.pub') : undefined;
    const steps = signingSteps({ mode, image, digest, tlog, keyFile, publicKeyFile, identity: options.identity });
    let verified: RunResult | undefined;
    for (const step of steps) {
      const result = await run(cosign.command, step.args, {
        env: step.password ? env : baseEnv,
        quiet: step.what !== 'sign'
      });
      if (step.what === 'verify') verified = result;
    }
    log.info(`cosign verify: the signature of ${digest} checks out`);
    return {
      signatures: [digest, ...(options.children ?? [])].map((d) => signatureTag({ image, digest: d })),
      verifyCommand: verifyCommand({
        mode,
        image,
        digest,
        tlog,
        identity: options.identity,
        publicKey: mode === 'key' ? 'cosign.pub' : undefined
      }),
      verified: verified?.stdout ?? ''
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
