/**
 * What this project knows about particular registries, in one place. The code reacts to what a
 * registry answers (a 401, a 403, a 405 or an UNSUPPORTED code, a refused auth scheme) rather than
 * to its name; what is kept here is what no answer says: where Docker Hub's API is and what
 * `docker login` calls it, and the per-host advice our messages and input descriptions give.
 * Pure: the registry client, the pipeline's messages and the input table all read it.
 */
import { registryHost } from './image.js';

/** Docker Hub, the registry of a name that names none (`alpine`, `acme/app`). */
export const DOCKER_HUB = {
  /** What registryHost gives for such a name, and the older alias users also write. */
  names: ['docker.io', 'index.docker.io'],
  /** Where its registry API answers: docker.io itself does not. */
  apiHost: 'registry-1.docker.io',
  /** Official images live here: `alpine` is `library/alpine` to the API. */
  officialNamespace: 'library',
  /** The keys `docker login` may have stored its credentials under, the one it writes first. */
  configKeys: ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io']
} as const;

/** GHCR: a workflow's GITHUB_TOKEN may push only when the workflow grants this permission. */
export const GHCR_PUSH_PERMISSION = 'packages: write';

/** How to log in before the step, wherever it runs: said by every message about missing credentials. */
export const LOGIN_ADVICE =
  'docker/login-action on GitHub; docker login or a DOCKER_CONFIG holding credentials elsewhere';

/**
 * Registries that answer a manifest DELETE with 405 or UNSUPPORTED: they delete through their own
 * APIs, so a merge's leg hand-off tags stay there.
 */
export const NO_MANIFEST_DELETE = ['GHCR', 'Docker Hub'];

/**
 * Registries that refuse BuildKit's OCI-artifact attestation manifests (an artifactType and a
 * `subject`): `attestation-format: reference` is for them.
 */
export const REJECT_OCI_ARTIFACTS = ["GitLab's registry", "Aliyun ACR's free tier"];

/** A registry host and a repository in it, as the registry API names them. */
export interface RegistryTarget {
  host: string;
  repository: string;
}

/** `host[:port]/path` (Docker Hub names too) → the registry host and repository the API uses. */
export function registryTarget(name: string): RegistryTarget {
  const host = registryHost(name);
  const repository = name.startsWith(`${host}/`) ? name.slice(host.length + 1) : name;
  if (!(DOCKER_HUB.names as readonly string[]).includes(host)) return { host, repository };
  return {
    host: DOCKER_HUB.apiHost,
    repository: repository.includes('/') ? repository : `${DOCKER_HUB.officialNamespace}/${repository}`
  };
}

/** The keys `docker login` may have stored a host's credentials under, the one it writes first. */
export function credentialKeys(host: string): string[] {
  return host === DOCKER_HUB.apiHost ? [...DOCKER_HUB.configKeys, host] : [host, `https://${host}`, `http://${host}`];
}
