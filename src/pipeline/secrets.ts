import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Inputs } from '../plan/inputs.js';
import type { Log, Masker } from '../ports.js';

export interface SecretSources {
  /** The step's environment, where `secret-envs` name their variables. */
  env: NodeJS.ProcessEnv;
  /** Where relative `secret-files` paths are found: the workspace buildx runs in. */
  cwd: string;
}

/**
 * Hides every secret value from everything the process prints, before anything is printed:
 * the `secrets` values, the variables `secret-envs` name and the contents of `secret-files`
 * (a RUN step can print any of them). Our own log goes through the Masker; the runner's mask
 * covers the rest.
 */
export async function maskSecrets(inputs: Inputs, sources: SecretSources, masker: Masker, log: Log): Promise<void> {
  for (const { value } of inputs.secrets) hide(value, masker, log);
  for (const { env } of inputs.secretEnvs) hide(sources.env[env] ?? '', masker, log);
  for (const file of inputs.secretFiles)
    hide(await readFile(path.resolve(sources.cwd, file.path), 'utf8'), masker, log);
  // The signing key's PEM and its password: a path or a KMS URI names the key and stays readable.
  if (inputs.signing.keyPem) hide(inputs.signing.keyPem, masker, log);
  if (inputs.signing.password) hide(inputs.signing.password, masker, log);
}

/** Writes each `secrets` value to a private file in `dir` (0600) and returns id → path, for `--secret id=…,src=…`. */
export async function writeSecrets(inputs: Inputs, dir: string): Promise<Record<string, string>> {
  const paths: Record<string, string> = {};
  for (const { id, value } of inputs.secrets) {
    const file = path.join(dir, `secret-${id}`);
    await writeFile(file, value, { mode: 0o600 });
    paths[id] = file;
  }
  return paths;
}

/**
 * The runner masks line by line, so a multi-line secret (a key) is registered a line at a time,
 * as is the whole value; lines shorter than 3 characters are left alone (masking `}` or a blank
 * would shred the log and hide nothing).
 */
function hide(value: string, masker: Masker, log: Log): void {
  masker.add(value);
  const parts = new Set([value, ...value.split(/\r?\n/)].map((part) => part.trim()));
  for (const part of parts) if (part.length >= 3) log.setSecret(part);
}
