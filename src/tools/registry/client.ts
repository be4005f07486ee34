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
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PermanentError, TransientError } from '../retry.js';

export interface RegistryTarget {
  host: string;
  repository: string;
}

/** `host[:port]/path` (Docker Hub names too) → the registry host and repository the API uses. */
export function parseName(name: string): RegistryTarget {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let host = hasHost ? first : 'docker.io';
  let repository = hasHost ? name.slice(slash + 1) : name;
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

/** A refusal trying again cannot fix (auth, a bad manifest, an unsupported scheme): fall back to imagetools. */
export class RegistryRefused extends PermanentError {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryRefused';
  }
}

export interface RegistryOptions {
  env: NodeJS.ProcessEnv;
  /** Per request: the stall-timeout. Default 60 s. */
  timeoutMs?: number;
}

const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
];

/** The manifest `ref` (`name@sha256:…`) points at, its exact bytes checked against the digest. */
export async function getManifest(
  ref: string,
  options: RegistryOptions
): Promise<{ raw: string; digest: string; mediaType: string }> {
  const { name, digest } = splitRef(ref);
  if (!digest) throw new RegistryRefused(`${ref} is not a digest reference`);
  const target = parseName(name);
  const res = await request(
    target,
    'GET',
    `manifests/${digest}`,
    { headers: { Accept: INDEX_TYPES.join(', ') } },
    options
  );
  const raw = await body(res, `GET ${ref}`, (r) => r.arrayBuffer().then((b) => Buffer.from(b).toString('utf8')));
  const actual = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  // Bytes that do not hash to the digest asked for are a read cut short: another GET may get them all.
  if (actual !== digest)
    throw new TransientError(`GET ${ref}: the body read (${raw.length} bytes) hashes to ${actual}, not to its digest`);
  const mediaType = (JSON.parse(raw) as { mediaType?: string }).mediaType ?? res.headers.get('content-type') ?? '';
  if (!INDEX_TYPES.includes(mediaType)) throw new RegistryRefused(`${ref} has media type "${mediaType}"`);
  return { raw, digest, mediaType };
}

/** PUTs `raw` (a manifest's exact bytes, whose digest is `digest`) under `ref`'s tag. */
export async function putTag(
  ref: string,
  raw: string,
  mediaType: string,
  digest: string,
  options: RegistryOptions
): Promise<void> {
  const { name, tag } = splitRef(ref);
  if (!tag) throw new RegistryRefused(`${ref} is not a tag reference`);
  const res = await request(
    parseName(name),
    'PUT',
    `manifests/${encodeURIComponent(tag)}`,
    { headers: { 'Content-Type': mediaType }, body: raw },
    options
  );
  await res.body?.cancel();
  const stored = res.headers.get('docker-content-digest');
  if (stored && stored !== digest) throw new RegistryRefused(`PUT ${ref} stored ${stored}, not ${digest}`);
}

/** Loopback registries speak plain HTTP, as Docker and buildx allow without configuration. */
function scheme(host: string): 'http' | 'https' {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\./.test(name) ? 'http' : 'https';
}

/**
 * One registry API request with the credentials `docker login` left: one attempt, plus one resend
 * with credentials when the registry answers 401. Returns a 2xx response; a dropped connection, a
 * timeout, a 5xx or a 429 is a TransientError (with Retry-After), any other answer a RegistryRefused.
 */
async function request(
  target: RegistryTarget,
  method: string,
  suffix: string,
  init: { headers: Record<string, string>; body?: string },
  options: RegistryOptions
): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const url = `${scheme(target.host)}://${target.host}/v2/${target.repository}/${suffix}`;
  let res = await send(url, { method, headers: init.headers, body: init.body }, timeoutMs);
  if (res.status === 401) {
    await res.body?.cancel();
    const auth = await authorization(res.headers.get('www-authenticate') ?? '', target, options.env, timeoutMs);
    res = await send(url, { method, headers: { ...init.headers, Authorization: auth }, body: init.body }, timeoutMs);
  }
  if (res.ok) return res;
  throw await refusal(res, `${method} ${url}`);
}

/** The error for a non-2xx answer: transient for a 5xx or a 429 (with the wait it asked for), else a refusal. */
async function refusal(res: Response, what: string): Promise<Error> {
  const text = (await res.text().catch(() => '')).trim().slice(0, 300);
  const message = `${what} answered ${res.status} ${res.statusText}${text ? `: ${text}` : ''}`;
  if (res.status === 429 || res.status >= 500)
    return new TransientError(message, retryAfterMs(res.headers.get('retry-after')));
  return new RegistryRefused(message);
}

/** Retry-After: delay-seconds or an HTTP date. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
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
      { cause: error }
    );
  if (/CERT|TLS|SSL|self.signed|EPROTO/i.test(why)) return new RegistryRefused(`${what}: ${why}`);
  return new TransientError(`${what}: connection dropped (${why})`, undefined, { cause: error });
}

interface Credentials {
  username: string;
  password: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

function configKeys(host: string): string[] {
  return host === 'registry-1.docker.io'
    ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', host]
    : [host, `https://${host}`, `http://${host}`];
}

/** The credentials `docker login` left for `host`: config.json `auths`, or a credential helper. */
async function credentialsFor(host: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const dir = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
  let config: DockerConfig;
  try {
    config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as DockerConfig;
  } catch {
    return undefined;
  }
  for (const key of configKeys(host)) {
    const helper = config.credHelpers?.[key];
    if (helper) return helperGet(helper, key, env);
    const entry = config.auths?.[key];
    if (entry?.identitytoken) return { username: '<token>', password: entry.identitytoken };
    if (entry?.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry?.username && entry.password) return { username: entry.username, password: entry.password };
  }
  return config.credsStore ? helperGet(config.credsStore, configKeys(host)[0], env) : undefined;
}

function helperGet(helper: string, key: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  return new Promise((resolve) => {
    const child = spawn(`docker-credential-${helper}`, ['get'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => {
      if (code !== 0) return resolve(undefined);
      try {
        const parsed = JSON.parse(out) as { Username?: string; Secret?: string };
        resolve(parsed.Secret ? { username: parsed.Username ?? '', password: parsed.Secret } : undefined);
      } catch {
        resolve(undefined);
      }
    });
    child.stdin.end(key);
  });
}

function challengeParams(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  return { scheme: header.slice(0, space < 0 ? undefined : space).toLowerCase(), params };
}

async function authorization(
  challenge: string,
  target: RegistryTarget,
  env: NodeJS.ProcessEnv,
  timeoutMs: number
): Promise<string> {
  const credentials = await credentialsFor(target.host, env);
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
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', `repository:${target.repository}:pull,push`);
  const what = `GET ${url.origin}${url.pathname}`;
  const res = await send(url.toString(), { method: 'GET', headers: basic ? { Authorization: basic } : {} }, timeoutMs);
  if (!res.ok) throw await refusal(res, `the token service: ${what}`);
  const text = await body(res, what, (r) => r.text());
  let parsed: { token?: string; access_token?: string };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new RegistryRefused(`the token service ${url.origin}${url.pathname} answered something other than JSON`);
  }
  const token = parsed.token ?? parsed.access_token;
  if (!token) throw new RegistryRefused(`the token service ${url.origin}${url.pathname} gave no token`);
  return `Bearer ${token}`;
}
