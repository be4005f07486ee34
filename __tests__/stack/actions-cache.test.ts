/**
 * The Actions cache stand-in's own rules, in process: its SAS signatures are the ones Azure's own
 * SDK computes, its tokens are checked, and the answers that need no blob server (a miss, a
 * read-only token refused, a 429 with Retry-After on demand, a bad token) are the service's. The
 * whole round trip through Azurite is the end-to-end suite's (__tests__/e2e/actions-cache.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  BlobSASPermissions,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters
} from '@azure/storage-blob';
import {
  DEV_ACCOUNT,
  DEV_KEY,
  blobSas,
  createService,
  mintToken,
  verifyToken
} from '../../scripts/stack/actions-cache.mjs';

const SERVICE = '/twirp/github.actions.results.api.v1.CacheService/';

describe('blobSas', () => {
  test.each([
    { name: 'upload (create, write)', permissions: 'cw' },
    { name: 'download (read)', permissions: 'r' }
  ])('$name: the signature Azure’s SDK computes for the same blob', ({ permissions }) => {
    const startsOn = new Date('2026-12-03T10:00:00Z');
    const expiresOn = new Date('2026-12-03T16:00:00Z');
    const ours = new URLSearchParams(
      blobSas({ account: DEV_ACCOUNT, key: DEV_KEY, container: 'c', blob: '1/abc', permissions, startsOn, expiresOn })
    );
    const sdk = new URLSearchParams(
      generateBlobSASQueryParameters(
        {
          containerName: 'c',
          blobName: '1/abc',
          permissions: BlobSASPermissions.parse(permissions),
          startsOn,
          expiresOn,
          protocol: SASProtocol.HttpsAndHttp,
          version: '2020-12-06'
        },
        new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY)
      ).toString()
    );
    expect(ours.get('sig')).toBe(sdk.get('sig'));
    expect(ours.get('sp')).toBe(sdk.get('sp'));
  });
});

describe('tokens', () => {
  const scopes = [
    { scope: 'refs/pull/7/merge', permission: 3 },
    { scope: 'refs/heads/main', permission: 1 }
  ];

  test('a minted token carries the ac claim as the runner’s does, and verifies', () => {
    const token = mintToken('s3cret', { scopes });
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    expect(JSON.parse(claims.ac)).toEqual([
      { Scope: 'refs/pull/7/merge', Permission: 3 },
      { Scope: 'refs/heads/main', Permission: 1 }
    ]);
    expect(verifyToken('s3cret', token)).toMatchObject({ scopes });
  });

  test.each([
    { name: 'another secret', token: () => mintToken('other', { scopes }), error: 'bad signature' },
    { name: 'expired', token: () => mintToken('s3cret', { scopes, ttlSeconds: -120 }), error: 'token expired' },
    { name: 'not a JWT', token: () => 'abc', error: 'not a JWT' }
  ])('refused: $name', ({ token, error }) => {
    expect(verifyToken('s3cret', token())).toEqual({ error });
  });
});

describe('the service, without a blob server', () => {
  let dir: string;
  let base: string;
  let secret: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'actions-cache-'));
    // No blob server behind it: every case here must be answered before one is needed.
    const service = createService({ stateDir: dir, blobBase: 'http://127.0.0.1:9' });
    secret = service.secret;
    await new Promise<void>((resolve) => service.server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(service.server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => service.server.close(() => resolve()));
  });
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: string, token: string | undefined, body: unknown) {
    const res = await fetch(`${base}${SERVICE}${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body)
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  }

  const ENTRY = { key: 'index-buildcache-1-abc#', version: 'v1' };

  test.each([
    {
      name: 'a miss: ok false',
      method: 'GetCacheEntryDownloadURL',
      token: () => mintToken(secret, { repositoryId: 'u1', scopes: [{ scope: 'refs/heads/main', permission: 3 }] }),
      expected: { status: 200, retryAfter: null, body: { ok: false, signed_download_url: '', matched_key: '' } }
    },
    {
      name: 'a read-only token may not create an entry',
      method: 'CreateCacheEntry',
      token: () => mintToken(secret, { repositoryId: 'u1', scopes: [{ scope: 'refs/heads/main', permission: 1 }] }),
      expected: {
        status: 403,
        retryAfter: null,
        body: { code: 'permission_denied', msg: 'the token has no writable cache scope (read-only)' }
      }
    },
    {
      name: 'a token asking for 429 on writes gets it, with its Retry-After',
      method: 'CreateCacheEntry',
      token: () =>
        mintToken(secret, {
          repositoryId: 'u1',
          scopes: [{ scope: 'refs/heads/main', permission: 3 }],
          faults: { write: { status: 429, retryAfter: 3600 } }
        }),
      expected: { status: 429, retryAfter: '3600', body: { code: 'resource_exhausted', msg: 'too many requests' } }
    },
    {
      name: 'the same token still reads',
      method: 'GetCacheEntryDownloadURL',
      token: () =>
        mintToken(secret, {
          repositoryId: 'u1',
          scopes: [{ scope: 'refs/heads/main', permission: 3 }],
          faults: { write: { status: 429, retryAfter: 3600 } }
        }),
      expected: { status: 200, retryAfter: null, body: { ok: false, signed_download_url: '', matched_key: '' } }
    },
    {
      name: 'no token',
      method: 'GetCacheEntryDownloadURL',
      token: () => undefined,
      expected: { status: 401, retryAfter: null, body: { code: 'unauthenticated', msg: 'no bearer token' } }
    },
    {
      name: 'a token signed by someone else',
      method: 'GetCacheEntryDownloadURL',
      token: () => mintToken('not the secret', { scopes: [{ scope: 'refs/heads/main', permission: 3 }] }),
      expected: { status: 401, retryAfter: null, body: { code: 'unauthenticated', msg: 'bad signature' } }
    }
  ])('$name', async ({ method, token, expected }) => {
    expect(await call(method, token(), { ...ENTRY, restore_keys: [ENTRY.key] })).toEqual(expected);
  });

  test('the stats count each repository’s calls and refusals apart', async () => {
    const token = mintToken(secret, { repositoryId: 'u2', scopes: [{ scope: 'refs/heads/main', permission: 1 }] });
    await call('GetCacheEntryDownloadURL', token, ENTRY);
    await call('CreateCacheEntry', token, ENTRY);
    const stats = await (await fetch(`${base}/_standin/stats?repository=u2`)).json();
    expect(stats).toEqual({ GetCacheEntryDownloadURL: 1, CreateCacheEntry: 1, refused: 1 });
  });
});
