/** Image references as the registry API needs them: the host, the repository, the tag or digest. */
import { registryHost } from '../../plan/image.js';

export interface RegistryTarget {
  host: string;
  repository: string;
}

/** `host[:port]/path` (Docker Hub names too) → the registry host and repository the API uses. */
export function parseName(name: string): RegistryTarget {
  let host = registryHost(name);
  let repository = name.startsWith(`${host}/`) ? name.slice(host.length + 1) : name;
  if (host === 'docker.io' || host === 'index.docker.io') {
    host = 'registry-1.docker.io';
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  return { host, repository };
}

/** `name:tag` → name and tag; `name@sha256:…` → name and digest. */
export function splitRef(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), digest: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon < 0 || ref.lastIndexOf('/') > colon) return { name: ref };
  return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

/** `host/repo:tag` and `host/repo@sha256:…` name the same repository. */
export function sameRepository(tagRef: string, digestRef: string): boolean {
  return splitRef(tagRef).name === splitRef(digestRef).name;
}
