/**
 * Image references, one parser for every spelling: `name`, `name:tag`, `name@sha256:…`, a registry
 * port included (`127.0.0.1:5000/app:1.0`). Nothing else cuts a reference by hand.
 */
export interface Reference {
  /** The repository's full name: `host[:port]/path`. */
  name: string;
  tag?: string;
  digest?: string;
}

export function parseReference(ref: string): Reference {
  const at = ref.indexOf('@');
  const named = at >= 0 ? ref.slice(0, at) : ref;
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const colon = named.lastIndexOf(':');
  // A colon before the last slash is a registry port, not a tag.
  const tagged = colon >= 0 && named.lastIndexOf('/') < colon;
  return {
    name: tagged ? named.slice(0, colon) : named,
    ...(tagged ? { tag: named.slice(colon + 1) } : {}),
    ...(digest ? { digest } : {})
  };
}

/** The repository of a reference: its name without tag or digest. */
export function repositoryOf(ref: string): string {
  return parseReference(ref).name;
}

/** The tag of a reference ('' when it has none). */
export function tagOf(ref: string): string {
  return parseReference(ref).tag ?? '';
}

export function withTag(name: string, tag: string): string {
  return `${repositoryOf(name)}:${tag}`;
}

export function withDigest(name: string, digest: string): string {
  return `${repositoryOf(name)}@${digest}`;
}
