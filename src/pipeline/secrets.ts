import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Inputs } from '../plan/inputs.js';
import type { Log, Masker } from '../ports.js';
import { InputError } from '../plan/errors.js';

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

/**
 * Every variable `secret-envs` names must be set in the step's environment: one that is not is a
 * typo or a missing `env:`, refused before anything runs. Set but empty (secrets are not given to
 * pull requests from forks) builds on, with a warning.
 */
export function checkSecretEnvs(inputs: Inputs, env: NodeJS.ProcessEnv, log: Log): void {
  for (const { id, env: name } of inputs.secretEnvs) {
    const value = env[name];
    if (value === undefined)
      throw new InputError(
        'secret-envs',
        `${id}=${name}`,
        `a variable set in the step's environment: ${name} is not set (give it with env: on the step, or export it)`
      );
    if (value === '')
      log.warning(
        `secret-envs: ${name} is set but empty (as on a pull request from a fork, which gets no secrets): the secret ${id} is empty`
      );
  }
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
