/**
 * cosign: found on the machine or installed at a pinned version checked against the release's
 * checksums, then run to sign the published index and to verify the signature it made.
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Log, Runner } from '../ports.js';
import { InputError, type InputName } from '../plan/errors.js';
import { isPemPrivateKey, type CosignStep } from '../plan/sign.js';
import { parseCosignVersion, type Cosign, type CosignInstallOptions } from './cosign-release.js';

export {
  cosignAsset,
  DEFAULT_COSIGN_BASE,
  DEFAULT_COSIGN_VERSION,
  parseCosignVersion,
  type Cosign,
  type CosignInstallOptions,
  type CosignSource
} from './cosign-release.js';

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

/** The cosign already on the PATH; else the pinned release, installed and verified. */
export async function setupCosign(options: CosignInstallOptions & { env?: NodeJS.ProcessEnv }): Promise<Cosign> {
  const found = await findCosign(options.run, 'cosign', options.env);
  if (found) {
    options.log.info(`Using cosign ${found.version} from the PATH`);
    return found;
  }
  const { installCosign } = await import('./cosign-install.js');
  return installCosign(options);
}

// ---------------------------------------------------------------------------------------------
// Key material

export interface SigningKey {
  /** The key file cosign is given. */
  ref: string;
  /** Removes the key file and its directory. */
  dispose(): Promise<void>;
}

/**
 * Writes a PEM private key (the `sign-key` input's text) to `file`, readable by its owner only, in
 * a directory only its owner can enter; dispose() removes the directory. The key is masked first,
 * whole and line by line, and no error repeats it.
 */
export async function prepareKey(
  pem: string,
  file: string,
  log: Log,
  input: InputName = 'sign-key'
): Promise<SigningKey> {
  const value = pem.trim();
  for (const line of value.split(/\r?\n/)) if (line.trim().length >= 3) log.setSecret(line.trim());
  log.setSecret(value);
  if (!isPemPrivateKey(value)) {
    throw new InputError(
      input,
      '(key material, not shown)',
      'a PEM private key from `cosign generate-key-pair` (-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----), a path to one, or a KMS URI'
    );
  }
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return { ref: file, dispose: () => rm(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------
// Signing and verifying

export interface SignOptions {
  cosign: Cosign;
  run: Runner;
  log: Log;
  /** The plan's cosign commands, in order, with the index digest filled in. */
  commands: CosignStep[];
  /** The run's private directory for the key file and the derived public key: made 0700, removed after. */
  workDir: string;
  /** A PEM sign-key and where it is written while cosign runs. */
  key?: { pem: string; file: string };
  /** The key's password: given to cosign in COSIGN_PASSWORD, only for the commands that need it. */
  password?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs the signing sequence (key check, recursive sign, verify of the signature just made) and
 * returns what `cosign verify` printed. The key file and the whole work directory are removed
 * before this returns, whatever happens.
 */
export async function signAndVerify(options: SignOptions): Promise<{ verified: string }> {
  const { cosign, run, log, commands } = options;
  const baseEnv = options.env ?? process.env;
  // Without sign-key-password, a COSIGN_PASSWORD already in the environment is cosign's own way
  // (the command line's, where a flag would show in the process list); else empty, so cosign never prompts.
  const password = options.password || baseEnv.COSIGN_PASSWORD || '';
  if (password) log.setSecret(password);
  const withPassword = { ...baseEnv, COSIGN_PASSWORD: password };
  try {
    await mkdir(options.workDir, { recursive: true, mode: 0o700 });
    await chmod(options.workDir, 0o700);
    if (options.key) await prepareKey(options.key.pem, options.key.file, log);
    let verified = '';
    for (const step of commands) {
      const result = await run(cosign.command, step.args, {
        env: step.password ? withPassword : baseEnv,
        quiet: step.what !== 'sign'
      });
      if (step.what === 'verify') verified = result.stdout;
    }
    return { verified };
  } finally {
    await rm(options.workDir, { recursive: true, force: true });
  }
}
