#!/usr/bin/env node
/**
 * A stand-in for GitHub's Actions cache service, v2: the Twirp JSON API that BuildKit's `type=gha`
 * cache (through go-actions-cache) and the @actions/cache package call, with signed upload and
 * download URLs that point at a real blob server (Azurite, the Azure Storage emulator).
 *
 *   POST /twirp/github.actions.results.api.v1.CacheService/CreateCacheEntry          {key, version}
 *   POST /twirp/github.actions.results.api.v1.CacheService/FinalizeCacheEntryUpload  {key, size_bytes, version}
 *   POST /twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL  {key, restore_keys, version}
 *
 * Every call carries `Authorization: Bearer <runtime token>`, a JWT (HS256 here) whose `ac` claim
 * is a JSON string of cache scopes, `[{"Scope":"refs/heads/main","Permission":3}]` (1 read,
 * 2 write), as the runner's token carries them. A write goes to the token's first writable scope;
 * a read searches the token's scopes in order (the run's own ref, then the base branch), exact key
 * first, then each restore key as a prefix, newest entry first. Entries are immutable: creating
 * one that exists is `already_exists`.
 *
 * Entries live per `repository_id` claim, so runs with tokens of different repositories never see
 * each other's entries. A token may carry a `standin` claim asking for faults, so that a test can
 * have them without disturbing anyone else's run:
 *   {"write": {"status": 429, "retryAfter": 3600}}  every write answered 429 with that Retry-After
 *   {"write": {"status": 403}}                       every write refused
 *
 * Beside the API, on loopback only:
 *   POST /_standin/token  {repositoryId?, scopes: [{scope, permission}], faults?, ttlSeconds?} → {token}
 *   GET  /_standin/stats?repository=ID → calls per method, writes refused, committed entries per scope
 *   GET  /_standin/health → {ok: true, blob: <Azurite answers>}
 *
 * Usage: node actions-cache.mjs --listen 127.0.0.1:10090 --state DIR --blob http://127.0.0.1:10000
 *        node actions-cache.mjs --mint --state DIR --scopes '[...]' [--repository ID]   (prints a token)
 */
/* global fetch, URLSearchParams -- Node 20 has both */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Azurite's well-known development account; its key is public (documented by Microsoft). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const CONTAINER = 'actions-cache';
const SAS_VERSION = '2020-12-06';
const SERVICE = '/twirp/github.actions.results.api.v1.CacheService/';
const PERMISSION_READ = 1;
const PERMISSION_WRITE = 2;

// ---------------------------------------------------------------------------------------------
// Tokens

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** A runtime token: HS256 over the claims, `ac` a JSON string as the runner's token has it. */
export function mintToken(secret, { repositoryId = '1', scopes, faults, ttlSeconds = 30 * 24 * 3600 }) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'multiarch-stack-actions-cache',
    nbf: now - 60,
    iat: now - 60,
    exp: now + ttlSeconds,
    repository_id: String(repositoryId),
    ac: JSON.stringify(scopes.map((s) => ({ Scope: s.scope, Permission: s.permission }))),
    ...(faults ? { standin: faults } : {})
  };
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** The token's claims when its signature and dates hold; otherwise the reason it does not. */
export function verifyToken(secret, token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) return { error: 'not a JWT' };
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { error: 'bad signature' };
  let claims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return { error: 'unreadable claims' };
  }
  const now = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp < now) return { error: 'token expired' };
  if (typeof claims.nbf === 'number' && claims.nbf > now + 60) return { error: 'token not valid yet' };
  let scopes;
  try {
    scopes = JSON.parse(claims.ac ?? '');
  } catch {
    return { error: 'no readable ac claim' };
  }
  if (!Array.isArray(scopes)) return { error: 'no readable ac claim' };
  return { claims, scopes: scopes.map((s) => ({ scope: String(s.Scope), permission: Number(s.Permission) })) };
}

// ---------------------------------------------------------------------------------------------
// Azure service SAS (signed version 2020-12-06), signed with the account key

/** `sp=…&sig=…` for one blob, as Azure Storage (and Azurite) check it. */
export function blobSas({ account, key, container, blob, permissions, expiresOn, startsOn }) {
  const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const st = startsOn ? iso(startsOn) : '';
  const se = iso(expiresOn);
  const resource = `/blob/${account}/${container}/${blob}`;
  const stringToSign = [
    permissions,
    st,
    se,
    resource,
    '',
    '',
    'https,http',
    SAS_VERSION,
    'b',
    '',
    '',
    '',
    '',
    '',
    '',
    ''
  ].join('\n');
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(stringToSign, 'utf8').digest('base64');
  const q = new URLSearchParams({
    sv: SAS_VERSION,
    ...(st ? { st } : {}),
    se,
    sr: 'b',
    sp: permissions,
    spr: 'https,http',
    sig
  });
  return q.toString();
}

// ---------------------------------------------------------------------------------------------
// The service

function twirpError(res, status, code, msg, headers = {}) {
  const body = JSON.stringify({ code, msg });
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function json(res, value) {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export function createService({ stateDir, blobBase, publicBlobBase = blobBase }) {
  mkdirSync(stateDir, { recursive: true });
  const secretFile = path.join(stateDir, 'token-secret');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const secret = readFileSync(secretFile, 'utf8').trim();
  const entriesFile = path.join(stateDir, 'entries.json');
  /** @type {Array<{repo: string, scope: string, key: string, version: string, blob: string, size: number, committed: boolean, created: number}>} */
  const entries = existsSync(entriesFile) ? JSON.parse(readFileSync(entriesFile, 'utf8')) : [];
  const stats = new Map();
  let containerReady = false;

  const save = () => {
    writeFileSync(`${entriesFile}.tmp`, JSON.stringify(entries));
    renameSync(`${entriesFile}.tmp`, entriesFile);
  };
  const count = (repo, what) => {
    const s = stats.get(repo) ?? {};
    s[what] = (s[what] ?? 0) + 1;
    stats.set(repo, s);
  };
  const sasUrl = (base, blob, permissions, seconds) =>
    `${base}/${DEV_ACCOUNT}/${CONTAINER}/${blob}?${blobSas({
      account: DEV_ACCOUNT,
      key: DEV_KEY,
      container: CONTAINER,
      blob,
      permissions,
      startsOn: new Date(Date.now() - 5 * 60_000),
      expiresOn: new Date(Date.now() + seconds * 1000)
    })}`;

  /** The container every entry's blob lives in, made on the first write. */
  async function ensureContainer() {
    if (containerReady) return;
    const res = await fetch(`${blobBase}/${DEV_ACCOUNT}/${CONTAINER}?restype=container&${containerSas()}`, {
      method: 'PUT',
      headers: { 'x-ms-version': SAS_VERSION }
    });
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`creating the blob container: ${res.status} ${await res.text()}`);
    containerReady = true;
  }
  /** An account SAS (a service SAS cannot create a container): account, sp, ss, srt, st, se, sip, spr, sv, ses. */
  function containerSas() {
    const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const se = iso(new Date(Date.now() + 600_000));
    const sts = [DEV_ACCOUNT, 'rwdlac', 'b', 'sco', '', se, '', 'https,http', SAS_VERSION, '', ''].join('\n');
    const sig = createHmac('sha256', Buffer.from(DEV_KEY, 'base64')).update(sts, 'utf8').digest('base64');
    return new URLSearchParams({
      sv: SAS_VERSION,
      ss: 'b',
      srt: 'sco',
      sp: 'rwdlac',
      se,
      spr: 'https,http',
      sig
    }).toString();
  }

  async function blobSize(blob) {
    const res = await fetch(sasUrl(blobBase, blob, 'r', 60), {
      method: 'HEAD',
      headers: { 'x-ms-version': SAS_VERSION }
    });
    return res.ok ? Number(res.headers.get('content-length')) : undefined;
  }

  function find(repo, scopes, key, restoreKeys, version) {
    const readable = scopes.filter((s) => s.permission & PERMISSION_READ);
    const committed = entries.filter((e) => e.repo === repo && e.committed && e.version === version);
    for (const { scope } of readable) {
      const exact = committed.filter((e) => e.scope === scope && e.key === key);
      if (exact.length > 0) return exact[exact.length - 1];
      for (const prefix of restoreKeys) {
        const matches = committed.filter((e) => e.scope === scope && e.key.startsWith(prefix));
        if (matches.length > 0) return matches.reduce((a, b) => (b.created >= a.created ? b : a));
      }
    }
    return undefined;
  }

  async function call(method, auth, body, res) {
    const repo = String(auth.claims.repository_id ?? '1');
    count(repo, method);
    const faults = auth.claims.standin ?? {};
    const writing = method === 'CreateCacheEntry' || method === 'FinalizeCacheEntryUpload';
    const fault = writing ? faults.write : faults.read;
    if (fault?.status === 429) {
      count(repo, 'rateLimited');
      return twirpError(res, 429, 'resource_exhausted', 'too many requests', {
        'Retry-After': String(fault.retryAfter ?? 60)
      });
    }
    if (fault?.status === 403) {
      count(repo, 'refused');
      return twirpError(res, 403, 'permission_denied', 'writes to the cache are refused for this run');
    }
    const key = String(body.key ?? '');
    const version = String(body.version ?? '');
    if (!key || !version) return twirpError(res, 400, 'invalid_argument', 'key and version are required');
    if (method === 'GetCacheEntryDownloadURL') {
      const restoreKeys = Array.isArray(body.restore_keys ?? body.restoreKeys)
        ? (body.restore_keys ?? body.restoreKeys)
        : [];
      const hit = find(repo, auth.scopes, key, restoreKeys.map(String), version);
      if (!hit) return json(res, { ok: false, signed_download_url: '', matched_key: '' });
      count(repo, 'hits');
      return json(res, {
        ok: true,
        signed_download_url: sasUrl(publicBlobBase, hit.blob, 'r', 3600),
        matched_key: hit.key
      });
    }
    const writable = auth.scopes.find((s) => s.permission & PERMISSION_WRITE);
    if (!writable) {
      count(repo, 'refused');
      return twirpError(res, 403, 'permission_denied', 'the token has no writable cache scope (read-only)');
    }
    if (method === 'CreateCacheEntry') {
      if (entries.some((e) => e.repo === repo && e.scope === writable.scope && e.key === key && e.version === version))
        return twirpError(res, 409, 'already_exists', `cache entry ${key} already exists`);
      await ensureContainer();
      const blob = `${repo}/${randomUUID()}`;
      entries.push({ repo, scope: writable.scope, key, version, blob, size: 0, committed: false, created: Date.now() });
      save();
      return json(res, { ok: true, signed_upload_url: sasUrl(publicBlobBase, blob, 'cw', 6 * 3600) });
    }
    // FinalizeCacheEntryUpload: the blob must be there, of the size the client says.
    const entry = entries.find(
      (e) => e.repo === repo && e.scope === writable.scope && e.key === key && e.version === version && !e.committed
    );
    if (!entry) return twirpError(res, 404, 'not_found', `no upload of ${key} was started`);
    const size = await blobSize(entry.blob);
    const want = Number(body.size_bytes ?? body.sizeBytes ?? 0);
    if (size === undefined) return twirpError(res, 400, 'invalid_argument', `nothing was uploaded for ${key}`);
    if (size !== want) return twirpError(res, 400, 'invalid_argument', `uploaded ${size} bytes, not ${want}`);
    entry.committed = true;
    entry.size = size;
    entry.created = Date.now();
    save();
    count(repo, 'committed');
    return json(res, { ok: true, entry_id: String(entries.indexOf(entry) + 1) });
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      if (req.method === 'GET' && url.pathname === '/_standin/health') {
        const blob = await fetch(`${blobBase}/${DEV_ACCOUNT}?comp=list`).then(
          (r) => r.status,
          () => 0
        );
        return json(res, { ok: blob !== 0, blob });
      }
      if (req.method === 'GET' && url.pathname === '/_standin/stats') {
        const repo = url.searchParams.get('repository') ?? '1';
        // Committed entries per scope: which ref a run wrote to, and that it wrote nowhere else.
        const entriesByScope = {};
        for (const e of entries.filter((e) => e.repo === repo && e.committed))
          entriesByScope[e.scope] = (entriesByScope[e.scope] ?? 0) + 1;
        return json(res, {
          ...(stats.get(repo) ?? {}),
          ...(entries.some((e) => e.repo === repo) ? { entries: entriesByScope } : {})
        });
      }
      if (req.method === 'POST' && url.pathname === '/_standin/token') {
        const body = JSON.parse((await readBody(req)) || '{}');
        return json(res, { token: mintToken(secret, body) });
      }
      if (req.method !== 'POST' || !url.pathname.startsWith(SERVICE))
        return twirpError(res, 404, 'bad_route', `no handler for ${req.method} ${url.pathname}`);
      const method = url.pathname.slice(SERVICE.length);
      if (!['CreateCacheEntry', 'FinalizeCacheEntryUpload', 'GetCacheEntryDownloadURL'].includes(method))
        return twirpError(res, 404, 'bad_route', `no method ${method}`);
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer) return twirpError(res, 401, 'unauthenticated', 'no bearer token');
      const auth = verifyToken(secret, bearer);
      if (auth.error) return twirpError(res, 401, 'unauthenticated', auth.error);
      let body;
      try {
        body = JSON.parse((await readBody(req)) || '{}');
      } catch {
        return twirpError(res, 400, 'malformed', 'the body is not JSON');
      }
      await call(method, auth, body, res);
    } catch (error) {
      if (!res.headersSent) twirpError(res, 500, 'internal', String(error?.message ?? error));
      else res.destroy();
    }
  });
  return { server, secret };
}

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const stateDir = arg('state');
  if (!stateDir) {
    console.error('--state DIR is required');
    process.exit(2);
  }
  if (process.argv.includes('--mint')) {
    // One token on stdout, for env.json; the secret never leaves the state directory.
    mkdirSync(stateDir, { recursive: true });
    const secretFile = path.join(stateDir, 'token-secret');
    if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const scopes = JSON.parse(arg('scopes') ?? '[]');
    console.log(mintToken(readFileSync(secretFile, 'utf8').trim(), { repositoryId: arg('repository') ?? '1', scopes }));
  } else {
    const [host, port] = (arg('listen') ?? '127.0.0.1:10090').split(':');
    const { server } = createService({ stateDir, blobBase: arg('blob') ?? 'http://127.0.0.1:10000' });
    server.listen(Number(port), host, () => console.log(`actions cache stand-in on http://${host}:${port}/`));
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
  }
}
