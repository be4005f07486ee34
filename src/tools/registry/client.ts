/**
 * Reads the index the build pushed and points tags at it with one request each: a GET of its exact
 * bytes by digest, then a PUT of those bytes under every tag. `buildx imagetools create` does the
 * same with ~30 requests (it walks every child manifest and blob first) and gives up on the first
 * dropped connection, and `imagetools inspect` fails on a dropped HEAD; under registry faults the
 * publishing step, not the build, is what failed. Each call makes one attempt and says by the type
 * of its error whether another may help (TransientError, with the server's Retry-After) or not;
 * the caller's withRetry is the one retry policy. Anything this cannot do (an unsupported auth
 * scheme, a registry reachable only through BuildKit's configuration, another repository) is a
 * RegistryRefused, and the caller falls back to imagetools.
 */
import type { Runner } from '../../ports.js';
import { PermanentError, TransientError } from '../retry.js';
import { registryTarget, type RegistryTarget } from '../../plan/hosts.js';
import { isLoopbackHost } from '../../plan/image.js';
import { digestOf, isManifestMediaType, MANIFEST_MEDIA_TYPES } from '../../plan/oci.js';
import { parseReference } from '../../plan/reference.js';
import { credentialsFor } from './credentials.js';

/** A refusal trying again cannot fix (auth, a bad manifest, an unsupported scheme): fall back to imagetools. */
export class RegistryRefused extends PermanentError {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryRefused';
  }
}

/** The registry answered 404: the manifest or tag is not there (a refusal like any other to callers that do not ask). */
export class NotFound extends RegistryRefused {
  constructor(message: string) {
    super(message);
    this.name = 'NotFound';
  }
}

export interface RegistryOptions {
  /** Where credentials are found (DOCKER_CONFIG, HOME, PATH for helpers); process.env is never read. */
  env: NodeJS.ProcessEnv;
  /** Runs docker credential helpers: the one process seam. */
  run: Runner;
  /** Per request: the stall-timeout. Default 60 s. */
  timeoutMs?: number;
}

/**
 * The one retry policy for one registry request, given the `retries` a step is allowed. BuildKit
 * tries each of its own registry requests up to three times inside every attempt of a build step;
 * a request of ours is a step of one request, so it gets the same budget in one policy (three
 * tries for every attempt of a step), with a shorter back-off to match.
 */
export function requestRetry(retries: number): { retries: number; baseDelayMs: number; maxDelayMs: number } {
  return { retries: (retries + 1) * 3 - 1, baseDelayMs: 250, maxDelayMs: 4000 };
}

/** The manifest `ref` (`name@sha256:…`) points at, its exact bytes checked against the digest. */
export async function getManifest(
  ref: string,
  options: RegistryOptions
): Promise<{ raw: string; digest: string; mediaType: string }> {
  const { name, digest } = parseReference(ref);
  if (!digest) throw new RegistryRefused(`${ref} is not a digest reference`);
  const res = await request(
    registryTarget(name),
    'GET',
    `manifests/${digest}`,
    { headers: { Accept: MANIFEST_MEDIA_TYPES.join(', ') } },
    options
  );
  const bytes = await body(res, `GET ${ref}`, async (r) => Buffer.from(await r.arrayBuffer()));
  const actual = digestOf(bytes);
  // Bytes that do not hash to the digest asked for are a read cut short: another GET may get them all.
  if (actual !== digest)
    throw new TransientError(
      `GET ${ref}: the body read (${bytes.length} bytes) hashes to ${actual}, not to its digest`
    );
  const raw = bytes.toString('utf8');
  let mediaType: string;
  try {
    mediaType = (JSON.parse(raw) as { mediaType?: string }).mediaType ?? res.headers.get('content-type') ?? '';
  } catch {
    throw new RegistryRefused(`${ref} is not a JSON manifest`);
  }
  if (!isManifestMediaType(mediaType)) throw new RegistryRefused(`${ref} has media type "${mediaType}"`);
  return { raw, digest, mediaType };
}

/**
 * The manifest `ref` (`name@sha256:…`) points at, parsed, its bytes checked against the digest;
 * 'absent' when the registry answers 404 (a manifest deleted, or never pushed).
 */
export async function readManifest(
  ref: string,
  options: RegistryOptions
): Promise<{ json: unknown; raw: string; digest: string } | 'absent'> {
  try {
    const got = await getManifest(ref, options);
    return { json: JSON.parse(got.raw) as unknown, raw: got.raw, digest: got.digest };
  } catch (error) {
    if (error instanceof NotFound) return 'absent';
    throw error;
  }
}

/** The digest a tag points at (one HEAD, Docker-Content-Digest), or undefined when the tag is not there. */
export async function resolveTag(ref: string, options: RegistryOptions): Promise<string | undefined> {
  const { name, tag } = parseReference(ref);
  if (!tag) throw new RegistryRefused(`${ref} is not a tag reference`);
  try {
    const res = await request(
      registryTarget(name),
      'HEAD',
      `manifests/${encodeURIComponent(tag)}`,
      { headers: { Accept: MANIFEST_MEDIA_TYPES.join(', ') } },
      options
    );
    await res.body?.cancel();
    const digest = res.headers.get('docker-content-digest');
    if (!digest) throw new RegistryRefused(`HEAD ${ref} gave no Docker-Content-Digest`);
    return digest;
  } catch (error) {
    if (error instanceof NotFound) return undefined;
    throw error;
  }
}

/**
 * PUTs `raw` (a manifest's exact bytes, whose digest is `digest`) under `ref`: its tag, or by its
 * digest (`name@sha256:…`, which names nothing: content staged for a later tag).
 */
export async function putTag(
  ref: string,
  raw: string,
  mediaType: string,
  digest: string,
  options: RegistryOptions
): Promise<void> {
  const { name, tag, digest: byDigest } = parseReference(ref);
  if (byDigest && byDigest !== digest) throw new RegistryRefused(`${ref} does not name the digest ${digest}`);
  const reference = tag ?? byDigest;
  if (!reference) throw new RegistryRefused(`${ref} names neither a tag nor a digest`);
  const res = await request(
    registryTarget(name),
    'PUT',
    `manifests/${tag ? encodeURIComponent(tag) : reference}`,
    { headers: { 'Content-Type': mediaType }, body: raw },
    options
  );
  await res.body?.cancel();
  const stored = res.headers.get('docker-content-digest');
  if (stored && stored !== digest) throw new RegistryRefused(`PUT ${ref} stored ${stored}, not ${digest}`);
}

/**
 * Whether the credentials may push to `repository`: an upload session opened (the registry's
 * answer to exactly that question, a token for push scope included) and cancelled at once. Throws
 * the registry's refusal (401, 403) as a RegistryRefused, an unreachable registry as transient.
 */
export async function checkPush(repository: string, options: RegistryOptions): Promise<void> {
  const target = registryTarget(repository);
  const res = await request(target, 'POST', 'blobs/uploads/', { headers: { 'Content-Length': '0' } }, options);
  await res.body?.cancel();
  const location = res.headers.get('location');
  if (!location) return;
  const url = new URL(location, apiUrl(target, ''));
  // Cancelling is housekeeping: a registry that keeps the empty session a while is no failure.
  await exchange(target, url.toString(), 'DELETE', { headers: {} }, options)
    .then((r) => r.body?.cancel())
    .catch(() => undefined);
}

/**
 * Deletes the manifest `ref` (`name@sha256:…`) names. 'unsupported' when the registry does not
 * allow deletes (405, or its UNSUPPORTED error code): the caller leaves the manifest in place.
 */
export async function deleteManifest(ref: string, options: RegistryOptions): Promise<'deleted' | 'unsupported'> {
  const { name, digest } = parseReference(ref);
  if (!digest) throw new RegistryRefused(`${ref} is not a digest reference`);
  const target = registryTarget(name);
  const url = apiUrl(target, `manifests/${digest}`);
  const res = await exchange(target, url, 'DELETE', { headers: {} }, options);
  if (res.ok) {
    await res.body?.cancel();
    return 'deleted';
  }
  if (res.status === 405) {
    await res.body?.cancel();
    return 'unsupported';
  }
  const text = await res.text().catch(() => '');
  if (res.status < 500 && res.status !== 429 && /"code"\s*:\s*"UNSUPPORTED"/.test(text)) return 'unsupported';
  throw answerError(res, `DELETE ${url}`, text);
}

/** Loopback registries speak plain HTTP, as Docker and buildx allow without configuration. */
function scheme(host: string): 'http' | 'https' {
  return isLoopbackHost(host) ? 'http' : 'https';
}

function apiUrl(target: RegistryTarget, suffix: string): string {
  return `${scheme(target.host)}://${target.host}/v2/${target.repository}/${suffix}`;
}

interface ApiRequest {
  headers: Record<string, string>;
  body?: string;
}

/**
 * One registry API request with the credentials `docker login` left. Returns a 2xx response; a
 * dropped connection, a timeout, a 5xx or a 429 is a TransientError (with Retry-After), any other
 * answer a RegistryRefused.
 */
async function request(
  target: RegistryTarget,
  method: string,
  suffix: string,
  init: ApiRequest,
  options: RegistryOptions
): Promise<Response> {
  const url = apiUrl(target, suffix);
  const res = await exchange(target, url, method, init, options);
  if (res.ok) return res;
  throw answerError(res, `${method} ${url}`, await res.text().catch(() => ''));
}

/**
 * Sends the request and returns whatever the registry answers. A 401 is met by sending it once
 * more with credentials, as the challenge asks: that is authentication, not a retry.
 */
async function exchange(
  target: RegistryTarget,
  url: string,
  method: string,
  init: ApiRequest,
  options: RegistryOptions
): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const res = await send(url, { method, headers: init.headers, body: init.body }, timeoutMs);
  if (res.status !== 401) return res;
  await res.body?.cancel();
  const auth = await authorization(res.headers.get('www-authenticate') ?? '', target, options, timeoutMs);
  return send(url, { method, headers: { ...init.headers, Authorization: auth }, body: init.body }, timeoutMs);
}

/** The error for a non-2xx answer: transient for a 5xx or a 429 (with the wait it asked for), else a refusal. */
function answerError(res: Response, what: string, text: string): Error {
  const said = text.trim().slice(0, 300);
  const message = `${what} answered ${res.status} ${res.statusText}${said ? `: ${said}` : ''}`;
  if (res.status === 429 || res.status >= 500)
    return new TransientError(message, retryAfterMs(res.headers.get('retry-after')));
  if (res.status === 404) return new NotFound(message);
  return new RegistryRefused(message);
}

/** Retry-After: delay-seconds or an HTTP date. */
function retryAfterMs(header: string | null): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Sends one request. A dropped connection or a timeout is transient; a TLS failure is not. */
async function send(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw failedTransfer(error, `${init.method} ${url}`, timeoutMs);
  }
}

/** Reads a response body; the connection can still drop or time out here, after the headers. */
async function body<T>(res: Response, what: string, read: (res: Response) => Promise<T>): Promise<T> {
  try {
    return await read(res);
  } catch (error) {
    throw failedTransfer(error, what);
  }
}

function failedTransfer(error: unknown, what: string, timeoutMs?: number): Error {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (error as Error).message;
  if ((error as Error).name === 'TimeoutError')
    return new TransientError(
      `${what}: request timed out${timeoutMs ? ` after ${timeoutMs / 1000} s` : ''}`,
      undefined,
      {
        cause: error
      }
    );
  if (/CERT|TLS|SSL|self.signed|EPROTO/i.test(why)) return new RegistryRefused(`${what}: ${why}`);
  const said = why === 'ECONNREFUSED' ? 'connection refused' : 'connection dropped';
  return new TransientError(`${what}: ${said} (${why})`, undefined, { cause: error });
}

function challengeParams(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  return { scheme: header.slice(0, space < 0 ? undefined : space).toLowerCase(), params };
}

/** The Authorization header a 401's challenge asks for: Basic from the credentials, or a Bearer token for them. */
async function authorization(
  challenge: string,
  target: RegistryTarget,
  options: RegistryOptions,
  timeoutMs: number
): Promise<string> {
  const credentials = await credentialsFor(target.host, options);
  const basic = credentials
    ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
    : undefined;
  const { scheme: kind, params } = challengeParams(challenge);
  if (kind === 'basic') {
    if (!basic) throw new RegistryRefused(`${target.host} asks for credentials and none are configured for it`);
    return basic;
  }
  if (kind !== 'bearer' || !params.realm)
    throw new RegistryRefused(
      `${target.host} asks for an unsupported authentication (${challenge.split(' ')[0] || 'none'})`
    );
  let url: URL;
  try {
    url = new URL(params.realm);
  } catch {
    throw new RegistryRefused(`${target.host} names a token service that is not a URL (realm "${params.realm}")`);
  }
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', `repository:${target.repository}:pull,push`);
  const what = `GET ${url.origin}${url.pathname}`;
  const res = await send(url.toString(), { method: 'GET', headers: basic ? { Authorization: basic } : {} }, timeoutMs);
  const text = await body(res, what, (r) => r.text());
  if (!res.ok) throw answerError(res, `the token service (${what})`, text);
  let parsed: { token?: string; access_token?: string };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new RegistryRefused(`the token service (${what}) answered something other than JSON`);
  }
  const token = parsed.token ?? parsed.access_token;
  if (!token) throw new RegistryRefused(`the token service (${what}) gave no token`);
  return `Bearer ${token}`;
}
