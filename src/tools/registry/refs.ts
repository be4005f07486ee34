/** Image references as the registry API needs them: the host, the repository, the tag or digest. */
import { registryHost } from '../../plan/image.js';
import { parseReference } from '../../plan/reference.js';

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

/** `name:tag` → name and tag; `name@sha256:…` → name and digest (the one reference parser, plan/reference.ts). */
export function splitRef(ref: string): { name: string; tag?: string; digest?: string } {
  return parseReference(ref);
}

/** `host/repo:tag` and `host/repo@sha256:…` name the same repository. */
export function sameRepository(tagRef: string, digestRef: string): boolean {
  return splitRef(tagRef).name === splitRef(digestRef).name;
}
