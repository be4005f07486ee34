/**
 * The credentials `docker login` left for a registry: `auths` in the docker config.json, or a
 * credential helper (`docker-credential-<name> get`). Everything comes from the environment and
 * runner passed in: the config's place from its DOCKER_CONFIG or HOME, and helpers through the one
 * process seam, the key on stdin, so no secret is in argv or in the `[command]` line logged.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { credentialKeys } from '../../plan/hosts.js';
import type { Runner } from '../../ports.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface CredentialSource {
  /** DOCKER_CONFIG, HOME and PATH (where helpers are found) are read here, never from process.env. */
  env: NodeJS.ProcessEnv;
  run: Runner;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The credentials for `host`, or undefined when none are configured (or the config cannot be read). */
export async function credentialsFor(host: string, source: CredentialSource): Promise<Credentials | undefined> {
  const dir = source.env.DOCKER_CONFIG || (source.env.HOME ? path.join(source.env.HOME, '.docker') : undefined);
  if (!dir) return undefined;
  let config: DockerConfig;
  try {
    config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as DockerConfig;
  } catch {
    return undefined;
  }
  for (const key of credentialKeys(host)) {
    const helper = config.credHelpers?.[key];
    if (helper) return helperGet(helper, key, source);
    const entry = config.auths?.[key];
    if (entry?.identitytoken) return { username: '<token>', password: entry.identitytoken };
    if (entry?.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry?.username && entry.password) return { username: entry.username, password: entry.password };
  }
  return config.credsStore ? helperGet(config.credsStore, credentialKeys(host)[0], source) : undefined;
}

/**
 * Asks a credential helper, as the docker CLI does: `get`, the server key on stdin, JSON on stdout.
 * A helper that is missing, fails or knows nothing for the key leaves the request without
 * credentials; the registry's refusal then says what is wrong.
 */
async function helperGet(helper: string, key: string, source: CredentialSource): Promise<Credentials | undefined> {
  let stdout: string;
  try {
    const result = await source.run(`docker-credential-${helper}`, ['get'], {
      env: source.env,
      input: key,
      quiet: true,
      allowFailure: true
    });
    if (result.code !== 0) return undefined;
    stdout = result.stdout;
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(stdout) as { Username?: string; Secret?: string };
    return parsed.Secret ? { username: parsed.Username ?? '', password: parsed.Secret } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the docker config names credentials for `host` at all (an `auths` entry, a helper for
 * it, or a store), without asking a helper: false only when there are certainly none.
 */
export function credentialsConfigured(host: string, env: NodeJS.ProcessEnv): boolean {
  const dir = env.DOCKER_CONFIG || (env.HOME ? path.join(env.HOME, '.docker') : undefined);
  if (!dir) return false;
  let config: DockerConfig;
  try {
    config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as DockerConfig;
  } catch {
    return false;
  }
  if (config.credsStore) return true;
  return credentialKeys(host).some((key) => config.credHelpers?.[key] || config.auths?.[key]);
}
