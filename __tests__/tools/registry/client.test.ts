import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Masker } from '../../../src/ports.js';
import { createRunner } from '../../../src/tools/exec.js';
import {
  checkPush,
  deleteManifest,
  getManifest,
  NotFound,
  putTag,
  readManifest,
  resolveTag,
  RegistryRefused,
  requestRetry,
  type RegistryOptions
} from '../../../src/tools/registry/client.js';
import { PermanentError, RetriesExhausted, TransientError, withRetry } from '../../../src/tools/retry.js';
import { recordingLog } from '../../support/log.js';
import { startRegistry, type Answer, type LoopbackRegistry } from '../../support/registry-server.js';

// A registry on loopback (../../support/registry-server.ts) whose answers each test scripts.
const server500: Answer = (_q, res) => res.writeHead(500).end();
let registry: LoopbackRegistry;
let tmp: string;
let bin: string;

beforeAll(async () => {
  registry = await startRegistry();
  registry.answer = server500;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'registry-client-'));
  bin = path.join(tmp, 'bin');
  mkdirSync(bin);
  // A credential helper as the docker CLI runs one: `get`, the server key on stdin, JSON on stdout.
  // It answers with the key it read, so the test sees the key arrived on stdin.
  helper(
    'test',
    '#!/bin/sh\n[ "$1" = get ] || exit 2\nkey=$(cat)\nprintf \'{"ServerURL":"%s","Username":"read %s","Secret":"helper-s3cret"}\' "$key" "$key"\n'
  );
  helper('empty', '#!/bin/sh\necho "credentials not found in native keychain"\nexit 1\n');
  helper('garbled', '#!/bin/sh\necho "not json"\n');
});

afterAll(async () => {
  await registry.close();
  rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => {
  registry.reset();
  registry.answer = server500;
});

function helper(name: string, script: string): void {
  const file = path.join(bin, `docker-credential-${name}`);
  writeFileSync(file, script);
  chmodSync(file, 0o755);
}

let configs = 0;
/** A DOCKER_CONFIG directory holding this config.json. */
function dockerConfig(config: unknown): string {
  const dir = path.join(tmp, `config-${++configs}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

interface Options extends RegistryOptions {
  lines: string[];
}

/** Options with a real runner (the one process seam) logging into `lines`, and this environment only. */
function options(env: NodeJS.ProcessEnv = {}, timeoutMs?: number): Options {
  const log = recordingLog();
  return {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, ...env },
    run: createRunner(log, new Masker()),
    timeoutMs,
    lines: log.infos
  };
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
// Odd spacing on purpose: only these exact bytes hash to the digest.
const INDEX_RAW = `{"schemaVersion":2,  "mediaType":"${OCI_INDEX}","manifests":[ ]}\n`;
const INDEX_DIGEST = `sha256:${createHash('sha256').update(INDEX_RAW).digest('hex')}`;
const OTHER_DIGEST = `sha256:${'0'.repeat(64)}`;

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('getManifest', () => {
  test('returns the exact bytes, their digest and media type, asking for every index and manifest type', async () => {
    registry.answer = (_q, res) => res.writeHead(200, { 'Content-Type': OCI_INDEX }).end(INDEX_RAW);

    const got = await getManifest(`${registry.host}/acme/app@${INDEX_DIGEST}`, options());

    expect(got).toEqual({ raw: INDEX_RAW, digest: INDEX_DIGEST, mediaType: OCI_INDEX });
    expect(registry.seen.map((s) => [s.method, s.url, s.accept])).toEqual([
      [
        'GET',
        `/v2/acme/app/manifests/${INDEX_DIGEST}`,
        'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, ' +
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
      ]
    ]);
  });

  test('the media type comes from Content-Type when the manifest does not name it', async () => {
    const raw = '{"schemaVersion":2,"manifests":[]}';
    const digest = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    registry.answer = (_q, res) =>
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.list.v2+json' }).end(raw);

    await expect(getManifest(`${registry.host}/app@${digest}`, options())).resolves.toEqual({
      raw,
      digest,
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json'
    });
  });

  test('a body that ends early (it hashes to another digest) is transient', async () => {
    const short = INDEX_RAW.slice(0, 20);
    registry.answer = (_q, res) => res.writeHead(200, { 'Content-Type': OCI_INDEX }).end(short);

    const error = await caught(getManifest(`${registry.host}/acme/app@${INDEX_DIGEST}`, options()));

    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toBe(
      `GET ${registry.host}/acme/app@${INDEX_DIGEST}: the body read (20 bytes) hashes to sha256:${createHash('sha256').update(short).digest('hex')}, not to its digest`
    );
  });

  test('a connection cut in the middle of the body is transient', async () => {
    registry.answer = (_q, res) => {
      res.writeHead(200, { 'Content-Type': OCI_INDEX, 'Content-Length': String(INDEX_RAW.length) });
      res.write(INDEX_RAW.slice(0, 10));
      setTimeout(() => res.socket?.destroy(), 20);
    };

    const error = await caught(getManifest(`${registry.host}/acme/app@${INDEX_DIGEST}`, options()));

    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(new RegExp(`^GET ${registry.host}/acme/app@${INDEX_DIGEST}: connection dropped \\(`));
  });

  test.each([
    {
      name: 'a config blob, not a manifest',
      raw: '{"mediaType":"application/vnd.oci.image.config.v1+json"}',
      message: (ref: string) => `${ref} has media type "application/vnd.oci.image.config.v1+json"`
    },
    {
      name: 'bytes that are not JSON',
      raw: 'not json at all',
      message: (ref: string) => `${ref} is not a JSON manifest`
    }
  ])('$name is refused (imagetools takes over)', async ({ raw, message }) => {
    const digest = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    registry.answer = (_q, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end(raw);
    const ref = `${registry.host}/app@${digest}`;

    const error = await caught(getManifest(ref, options()));

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error.message).toBe(message(ref));
  });

  test('a tag reference is refused without a request', async () => {
    const error = await caught(getManifest(`${registry.host}/app:latest`, options()));

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error.message).toBe(`${registry.host}/app:latest is not a digest reference`);
    expect(registry.seen).toEqual([]);
  });

  test('404 is a refusal naming the request and what the registry said', async () => {
    registry.answer = (_q, res) =>
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');

    const error = await caught(getManifest(`${registry.host}/app@${OTHER_DIGEST}`, options()));

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe(
      `GET http://${registry.host}/v2/app/manifests/${OTHER_DIGEST} answered 404 Not Found: {"errors":[{"code":"MANIFEST_UNKNOWN"}]}`
    );
  });
});

describe('putTag', () => {
  test('PUTs the exact bytes under the tag with their media type', async () => {
    registry.answer = (_q, res) => res.writeHead(201, { 'Docker-Content-Digest': INDEX_DIGEST }).end();

    await putTag(`${registry.host}/acme/app:1.2.3`, INDEX_RAW, OCI_INDEX, INDEX_DIGEST, options());

    expect(registry.seen).toEqual([
      {
        method: 'PUT',
        url: '/v2/acme/app/manifests/1.2.3',
        authorization: undefined,
        accept: '*/*',
        contentType: OCI_INDEX,
        body: INDEX_RAW
      }
    ]);
  });

  test('a registry that stored another digest is a refusal', async () => {
    registry.answer = (_q, res) => res.writeHead(201, { 'Docker-Content-Digest': OTHER_DIGEST }).end();
    const ref = `${registry.host}/acme/app:1`;

    const error = await caught(putTag(ref, INDEX_RAW, OCI_INDEX, INDEX_DIGEST, options()));

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error.message).toBe(`PUT ${ref} stored ${OTHER_DIGEST}, not ${INDEX_DIGEST}`);
  });

  test('a digest reference PUTs by digest: content staged for a later tag, nothing named', async () => {
    registry.answer = (_q, res) => res.writeHead(201, { 'Docker-Content-Digest': INDEX_DIGEST }).end();

    await putTag(`${registry.host}/app@${INDEX_DIGEST}`, INDEX_RAW, OCI_INDEX, INDEX_DIGEST, options());

    expect(registry.seen.map((s) => [s.method, decodeURIComponent(s.url), s.body])).toEqual([
      ['PUT', `/v2/app/manifests/${INDEX_DIGEST}`, INDEX_RAW]
    ]);
  });

  test.each([
    {
      name: 'a digest reference naming other bytes',
      ref: () => `${registry.host}/app@${OTHER_DIGEST}`,
      message: () => `${registry.host}/app@${OTHER_DIGEST} does not name the digest ${INDEX_DIGEST}`
    },
    {
      name: 'a reference naming neither tag nor digest',
      ref: () => `${registry.host}/app`,
      message: () => `${registry.host}/app names neither a tag nor a digest`
    }
  ])('$name is refused without a request', async ({ ref, message }) => {
    const error = await caught(putTag(ref(), INDEX_RAW, OCI_INDEX, INDEX_DIGEST, options()));

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error.message).toBe(message());
    expect(registry.seen).toEqual([]);
  });
});

describe('checkPush: may these credentials push here (an upload session opened and cancelled)', () => {
  test('202 with a Location: the session is cancelled by a DELETE of it', async () => {
    registry.answer = (_q, res, seen) =>
      seen.method === 'POST'
        ? void res.writeHead(202, { Location: '/v2/acme/app/blobs/uploads/u-1?_state=x' }).end()
        : void res.writeHead(204).end();

    await checkPush(`${registry.host}/acme/app`, options());

    expect(registry.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /v2/acme/app/blobs/uploads/',
      'DELETE /v2/acme/app/blobs/uploads/u-1?_state=x'
    ]);
  });

  test('an accepted session with no Location: nothing to cancel', async () => {
    registry.answer = (_q, res) => void res.writeHead(202).end();

    await checkPush(`${registry.host}/acme/app`, options());

    expect(registry.seen.map((s) => s.method)).toEqual(['POST']);
  });

  test('a cancel the registry refuses is no failure', async () => {
    registry.answer = (_q, res, seen) =>
      seen.method === 'POST'
        ? void res.writeHead(202, { Location: `http://${registry.host}/v2/acme/app/blobs/uploads/u-2` }).end()
        : void res.socket?.destroy();

    await expect(checkPush(`${registry.host}/acme/app`, options())).resolves.toBeUndefined();
    expect(registry.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /v2/acme/app/blobs/uploads/',
      'DELETE /v2/acme/app/blobs/uploads/u-2'
    ]);
  });

  test('403 on the POST is a refusal naming the request', async () => {
    registry.answer = (_q, res) => void res.writeHead(403).end('{"errors":[{"code":"DENIED"}]}');

    const error = await caught(checkPush(`${registry.host}/acme/app`, options()));

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error.message).toBe(
      `POST http://${registry.host}/v2/acme/app/blobs/uploads/ answered 403 Forbidden: {"errors":[{"code":"DENIED"}]}`
    );
  });

  test('401 asking for credentials none are configured for is a refusal naming the host', async () => {
    registry.answer = (_q, res) =>
      void res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');

    const error = await caught(
      checkPush(`${registry.host}/acme/app`, options({ DOCKER_CONFIG: path.join(tmp, 'absent') }))
    );

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error.message).toBe(`${registry.host} asks for credentials and none are configured for it`);
  });

  test('a 503 is transient: the caller retries', async () => {
    registry.answer = (_q, res) => void res.writeHead(503).end();

    const error = await caught(checkPush(`${registry.host}/acme/app`, options()));

    expect(error).toBeInstanceOf(TransientError);
  });
});

describe('faults: one attempt per call, typed for the caller’s retry', () => {
  const put = (o = options()) => putTag(`${registry.host}/app:1`, INDEX_RAW, OCI_INDEX, INDEX_DIGEST, o);

  test.each([
    {
      name: '503 with Retry-After in seconds',
      status: 503,
      headers: { 'Retry-After': '7' },
      body: 'down for maintenance',
      message: '503 Service Unavailable: down for maintenance',
      retryAfterMs: 7000
    },
    {
      name: '429 with Retry-After as a date already past',
      status: 429,
      headers: { 'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT' },
      body: '{"errors":[{"code":"TOOMANYREQUESTS"}]}',
      message: '429 Too Many Requests: {"errors":[{"code":"TOOMANYREQUESTS"}]}',
      retryAfterMs: 0
    },
    {
      name: '500 without Retry-After',
      status: 500,
      headers: {},
      body: '',
      message: '500 Internal Server Error',
      retryAfterMs: undefined
    },
    {
      name: '502 with a Retry-After that is neither seconds nor a date',
      status: 502,
      headers: { 'Retry-After': 'soon' },
      body: '',
      message: '502 Bad Gateway',
      retryAfterMs: undefined
    }
  ])('$name: a TransientError, tried once', async ({ status, headers, body, message, retryAfterMs }) => {
    registry.answer = (_q, res) => res.writeHead(status, headers).end(body);

    const error = await caught(put());

    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toBe(`PUT http://${registry.host}/v2/app/manifests/1 answered ${message}`);
    expect((error as TransientError).retryAfterMs).toBe(retryAfterMs);
    expect(registry.seen).toHaveLength(1);
  });

  test('400 is a refusal, not retried', async () => {
    registry.answer = (_q, res) => res.writeHead(400).end('{"errors":[{"code":"MANIFEST_INVALID"}]}');

    const error = await caught(put());

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error.message).toBe(
      `PUT http://${registry.host}/v2/app/manifests/1 answered 400 Bad Request: {"errors":[{"code":"MANIFEST_INVALID"}]}`
    );
  });

  test('a connection the registry drops is a TransientError', async () => {
    registry.answer = (req) => req.socket.destroy();

    const error = await caught(put());

    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(
      new RegExp(`^PUT http://${registry.host}/v2/app/manifests/1: connection dropped \\((UND_ERR_SOCKET|ECONNRESET)`)
    );
    expect((error as TransientError).retryAfterMs).toBe(undefined);
  });

  test('a registry that never answers: a TransientError after the timeout', async () => {
    registry.answer = () => undefined;

    const error = await caught(put(options({}, 200)));

    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toBe(`PUT http://${registry.host}/v2/app/manifests/1: request timed out after 0.2 s`);
  });

  test('nothing listening: a TransientError', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const error = await caught(putTag(`127.0.0.1:${port}/app:1`, INDEX_RAW, OCI_INDEX, INDEX_DIGEST, options()));

    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toBe(`PUT http://127.0.0.1:${port}/v2/app/manifests/1: connection refused (ECONNREFUSED)`);
  });

  test('requestRetry(1): one tag PUT is sent (1 + 1) × 3 = 6 times and no more, waiting what Retry-After asks', async () => {
    registry.answer = (_q, res) => res.writeHead(503, { 'Retry-After': '3' }).end();
    const slept: number[] = [];
    const log = recordingLog();

    const error = await caught(
      withRetry(() => put(), {
        ...requestRetry(1),
        what: 'tagging app:1',
        log,
        sleep: async (ms) => void slept.push(ms),
        random: () => 0
      })
    );

    expect(error).toBeInstanceOf(RetriesExhausted);
    expect(registry.seen.map((s) => s.method)).toEqual(['PUT', 'PUT', 'PUT', 'PUT', 'PUT', 'PUT']);
    // The 3 s Retry-After asks for is longer than each back-off (0.125 s doubling to 2 s), so it is what is waited.
    expect(slept).toEqual([3000, 3000, 3000, 3000, 3000]);
    expect(log.warnings[0]).toBe(
      `tagging app:1: attempt 1 of 6 failed (PUT http://${registry.host}/v2/app/manifests/1 answered 503 Service Unavailable); retrying in 3.0 s`
    );
  });

  test.each([
    { retries: 0, expected: { retries: 2, baseDelayMs: 250, maxDelayMs: 4000 } },
    { retries: 3, expected: { retries: 11, baseDelayMs: 250, maxDelayMs: 4000 } }
  ])('requestRetry($retries): three tries for every attempt a step is allowed', ({ retries, expected }) => {
    expect(requestRetry(retries)).toEqual(expected);
  });

  test('requestRetry without Retry-After: the back-off starts at 125 ms and stops growing at 2 s', async () => {
    registry.answer = (_q, res) => res.writeHead(503).end();
    const slept: number[] = [];
    const log = recordingLog();

    await caught(
      withRetry(() => put(), {
        ...requestRetry(1),
        what: 'tagging',
        log,
        sleep: async (ms) => void slept.push(ms),
        random: () => 0
      })
    );

    expect(slept).toEqual([125, 250, 500, 1000, 2000]);
  });

  test('under withRetry, a 503 then success is two requests', async () => {
    let calls = 0;
    registry.answer = (_q, res) =>
      ++calls === 1 ? res.writeHead(503).end() : res.writeHead(201, { 'Docker-Content-Digest': INDEX_DIGEST }).end();
    const log = recordingLog();

    await withRetry(() => put(), { retries: 3, what: 'tagging', log, sleep: async () => undefined });

    expect(registry.seen.map((s) => s.method)).toEqual(['PUT', 'PUT']);
  });
});

describe('authentication', () => {
  /** 401 with this challenge until the request carries `expected`, then the manifest. */
  function guarded(challenge: string, expected: string): Answer {
    return (_q, res, seen) => {
      if (seen.authorization !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': challenge }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      res.writeHead(200, { 'Content-Type': OCI_INDEX }).end(INDEX_RAW);
    };
  }

  test.each([
    {
      name: 'auths.auth (base64 user:password)',
      config: (host: string) => ({ auths: { [host]: { auth: Buffer.from('octo:pa55:word').toString('base64') } } }),
      header: basic('octo', 'pa55:word')
    },
    {
      name: 'auths username and password',
      config: (host: string) => ({ auths: { [host]: { username: 'octo', password: 'pw' } } }),
      header: basic('octo', 'pw')
    },
    {
      name: 'auths identitytoken',
      config: (host: string) => ({ auths: { [host]: { identitytoken: 'id-tok' } } }),
      header: basic('<token>', 'id-tok')
    },
    {
      name: 'an https:// key',
      config: (host: string) => ({ auths: { [`https://${host}`]: { username: 'u', password: 'p' } } }),
      header: basic('u', 'p')
    }
  ])('Basic challenge, credentials from $name', async ({ config, header }) => {
    registry.answer = guarded('Basic realm="Registry Realm"', header);
    const o = options({ DOCKER_CONFIG: dockerConfig(config(registry.host)) });

    await expect(getManifest(`${registry.host}/acme/app@${INDEX_DIGEST}`, o)).resolves.toMatchObject({
      digest: INDEX_DIGEST
    });
    expect(registry.seen.map((s) => s.authorization)).toEqual([undefined, header]);
  });

  test('config.json found through HOME when DOCKER_CONFIG is not set', async () => {
    const home = path.join(tmp, 'home');
    mkdirSync(path.join(home, '.docker'), { recursive: true });
    writeFileSync(
      path.join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { username: 'h', password: 'p' } } })
    );
    registry.answer = guarded('Basic realm="r"', basic('h', 'p'));

    await getManifest(`${registry.host}/app@${INDEX_DIGEST}`, options({ HOME: home }));

    expect(registry.seen.map((s) => s.authorization)).toEqual([undefined, basic('h', 'p')]);
  });

  test.each([
    { name: 'no config.json', env: (): NodeJS.ProcessEnv => ({ DOCKER_CONFIG: path.join(tmp, 'absent') }) },
    { name: 'neither DOCKER_CONFIG nor HOME', env: (): NodeJS.ProcessEnv => ({}) },
    {
      name: 'a config.json that is not JSON',
      env: (): NodeJS.ProcessEnv => {
        const dir = dockerConfig({});
        writeFileSync(path.join(dir, 'config.json'), '{ not json');
        return { DOCKER_CONFIG: dir };
      }
    },
    {
      name: 'credentials for another host only',
      env: (): NodeJS.ProcessEnv => ({
        DOCKER_CONFIG: dockerConfig({ auths: { 'ghcr.io': { username: 'u', password: 'p' } } })
      })
    },
    {
      name: 'a credential helper that knows nothing for the host',
      env: (): NodeJS.ProcessEnv => ({ DOCKER_CONFIG: dockerConfig({ credHelpers: { [registry.host]: 'empty' } }) })
    },
    {
      name: 'a credential helper that prints no JSON',
      env: (): NodeJS.ProcessEnv => ({ DOCKER_CONFIG: dockerConfig({ credsStore: 'garbled' }) })
    },
    {
      name: 'a credential helper that is not installed',
      env: (): NodeJS.ProcessEnv => ({ DOCKER_CONFIG: dockerConfig({ credsStore: 'absent' }) })
    }
  ])('Basic challenge with $name: a refusal naming the host', async ({ env }) => {
    registry.answer = guarded('Basic realm="r"', 'never');

    const error = await caught(getManifest(`${registry.host}/app@${INDEX_DIGEST}`, options(env())));

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error.message).toBe(`${registry.host} asks for credentials and none are configured for it`);
    expect(registry.seen).toHaveLength(1);
  });

  test('a credential helper gets the server key on stdin, and no secret is in its logged command line', async () => {
    const header = basic(`read ${registry.host}`, 'helper-s3cret');
    registry.answer = guarded('Basic realm="r"', header);
    const o = options({ DOCKER_CONFIG: dockerConfig({ credHelpers: { [registry.host]: 'test' } }) });

    await getManifest(`${registry.host}/app@${INDEX_DIGEST}`, o);

    expect(registry.seen.map((s) => s.authorization)).toEqual([undefined, header]);
    // Quiet: the helper's JSON (its secret) is not echoed; the command line is all that is logged.
    expect(o.lines).toEqual(['[command] docker-credential-test get']);
  });

  test('credsStore answers for every host, under the key docker login used', async () => {
    const header = basic(`read ${registry.host}`, 'helper-s3cret');
    registry.answer = guarded('Basic realm="r"', header);
    const o = options({ DOCKER_CONFIG: dockerConfig({ credsStore: 'test' }) });

    await getManifest(`${registry.host}/app@${INDEX_DIGEST}`, o);

    expect(registry.seen.map((s) => s.authorization)).toEqual([undefined, header]);
  });

  describe('Bearer: a token from the realm for this repository, then the request again', () => {
    function tokenService(answer: (res: ServerResponse, url: URL) => void): Answer {
      return (req, res, seen) => {
        const url = new URL(req.url ?? '', `http://${registry.host}`);
        if (url.pathname === '/token') return answer(res, url);
        guarded(
          `Bearer realm="http://${registry.host}/token",service="registry.test",scope="repository:acme/app:pull"`,
          'Bearer t0ken'
        )(req, res, seen);
      };
    }

    test.each([
      {
        name: 'with credentials: Basic to the token service',
        config: (host: string) => ({ auths: { [host]: { username: 'octo', password: 'pw' } } }),
        tokenAuth: basic('octo', 'pw'),
        body: '{"token":"t0ken"}'
      },
      {
        name: 'anonymous, access_token',
        config: () => ({}),
        tokenAuth: undefined,
        body: '{"access_token":"t0ken"}'
      }
    ])('$name', async ({ config, tokenAuth, body }) => {
      registry.answer = tokenService((res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(body));
      const o = options({ DOCKER_CONFIG: dockerConfig(config(registry.host)) });

      await getManifest(`${registry.host}/acme/app@${INDEX_DIGEST}`, o);

      expect(registry.seen.map((s) => [s.method, s.url, s.authorization])).toEqual([
        ['GET', `/v2/acme/app/manifests/${INDEX_DIGEST}`, undefined],
        ['GET', '/token?service=registry.test&scope=repository%3Aacme%2Fapp%3Apull%2Cpush', tokenAuth],
        ['GET', `/v2/acme/app/manifests/${INDEX_DIGEST}`, 'Bearer t0ken']
      ]);
    });

    test.each([
      {
        name: 'a token service answering 503 with Retry-After: transient',
        answer: (res: ServerResponse) => res.writeHead(503, { 'Retry-After': '2' }).end(),
        type: TransientError,
        message: (host: string) => `the token service (GET http://${host}/token) answered 503 Service Unavailable`,
        retryAfterMs: 2000
      },
      {
        name: 'a token service refusing the credentials: a refusal',
        answer: (res: ServerResponse) => res.writeHead(401).end('bad credentials'),
        type: RegistryRefused,
        message: (host: string) =>
          `the token service (GET http://${host}/token) answered 401 Unauthorized: bad credentials`,
        retryAfterMs: undefined
      },
      {
        name: 'a token service answering no token: a refusal',
        answer: (res: ServerResponse) => res.writeHead(200).end('{}'),
        type: RegistryRefused,
        message: (host: string) => `the token service (GET http://${host}/token) gave no token`,
        retryAfterMs: undefined
      },
      {
        name: 'a token service answering HTML: a refusal',
        answer: (res: ServerResponse) => res.writeHead(200).end('<html>'),
        type: RegistryRefused,
        message: (host: string) => `the token service (GET http://${host}/token) answered something other than JSON`,
        retryAfterMs: undefined
      },
      {
        name: 'a token service dropping the connection: transient',
        answer: (res: ServerResponse) => res.socket?.destroy(),
        type: TransientError,
        message: (host: string) =>
          `GET http://${host}/token?service=registry.test&scope=repository%3Aacme%2Fapp%3Apull%2Cpush: connection dropped`,
        retryAfterMs: undefined
      }
    ])('$name', async ({ answer, type, message, retryAfterMs }) => {
      registry.answer = tokenService((res) => answer(res));

      const error = await caught(getManifest(`${registry.host}/acme/app@${INDEX_DIGEST}`, options()));

      expect(error).toBeInstanceOf(type);
      expect(error.message.startsWith(message(registry.host))).toBe(true);
      expect((error as Partial<TransientError>).retryAfterMs).toBe(retryAfterMs);
    });
  });

  test.each([
    { name: 'Negotiate', challenge: 'Negotiate', shown: 'Negotiate' },
    { name: 'Bearer without a realm', challenge: 'Bearer service="x"', shown: 'Bearer' },
    { name: 'no challenge at all', challenge: '', shown: 'none' }
  ])('an unsupported challenge ($name) is a refusal: imagetools takes over', async ({ challenge, shown }) => {
    registry.answer = (_q, res) => res.writeHead(401, challenge ? { 'WWW-Authenticate': challenge } : {}).end();

    const error = await caught(getManifest(`${registry.host}/app@${INDEX_DIGEST}`, options()));

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error.message).toBe(`${registry.host} asks for an unsupported authentication (${shown})`);
  });

  test('credentials the registry still refuses: a refusal, with no third request', async () => {
    registry.answer = guarded('Basic realm="r"', 'never');
    const o = options({
      DOCKER_CONFIG: dockerConfig({ auths: { [registry.host]: { username: 'u', password: 'p' } } })
    });

    const error = await caught(getManifest(`${registry.host}/app@${INDEX_DIGEST}`, o));

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error.message).toBe(
      `GET http://${registry.host}/v2/app/manifests/${INDEX_DIGEST} answered 401 Unauthorized: {"errors":[{"code":"UNAUTHORIZED"}]}`
    );
    expect(registry.seen).toHaveLength(2);
  });
});

describe('deleteManifest', () => {
  const ref = () => `${registry.host}/acme/app@${INDEX_DIGEST}`;

  test.each([
    { name: '202 Accepted', status: 202, body: '', expected: 'deleted' },
    { name: '405 Method Not Allowed', status: 405, body: '', expected: 'unsupported' },
    {
      name: 'an UNSUPPORTED error code on another status',
      status: 400,
      body: '{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}',
      expected: 'unsupported'
    }
  ])('$name → $expected', async ({ status, body, expected }) => {
    registry.answer = (_q, res) => res.writeHead(status).end(body);

    await expect(deleteManifest(ref(), options())).resolves.toBe(expected);
    expect(registry.seen.map((s) => [s.method, s.url])).toEqual([['DELETE', `/v2/acme/app/manifests/${INDEX_DIGEST}`]]);
  });

  test('after a Basic challenge, with credentials', async () => {
    const header = basic('octo', 'pw');
    registry.answer = (_q, res, seen) =>
      seen.authorization === header
        ? res.writeHead(202).end()
        : res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
    const o = options({
      DOCKER_CONFIG: dockerConfig({ auths: { [registry.host]: { username: 'octo', password: 'pw' } } })
    });

    await expect(deleteManifest(ref(), o)).resolves.toBe('deleted');
    expect(registry.seen.map((s) => s.authorization)).toEqual([undefined, header]);
  });

  test.each([
    {
      name: '404: a refusal',
      status: 404,
      type: RegistryRefused,
      message: (host: string) =>
        `DELETE http://${host}/v2/acme/app/manifests/${INDEX_DIGEST} answered 404 Not Found: {"errors":[{"code":"MANIFEST_UNKNOWN"}]}`,
      body: '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}'
    },
    {
      name: '503: transient',
      status: 503,
      type: TransientError,
      message: (host: string) =>
        `DELETE http://${host}/v2/acme/app/manifests/${INDEX_DIGEST} answered 503 Service Unavailable: {"errors":[{"code":"UNSUPPORTED"}]}`,
      body: '{"errors":[{"code":"UNSUPPORTED"}]}'
    }
  ])('$name', async ({ status, type, message, body }) => {
    registry.answer = (_q, res) => res.writeHead(status).end(body);

    const error = await caught(deleteManifest(ref(), options()));

    expect(error).toBeInstanceOf(type);
    expect(error.message).toBe(message(registry.host));
  });

  test('a tag reference is refused without a request', async () => {
    const error = await caught(deleteManifest(`${registry.host}/app:latest`, options()));

    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error.message).toBe(`${registry.host}/app:latest is not a digest reference`);
    expect(registry.seen).toEqual([]);
  });
});

describe('readManifest and resolveTag: what verification reads', () => {
  const MANIFEST_UNKNOWN = '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}';

  test('readManifest: the parsed manifest with its exact bytes, one GET by digest', async () => {
    registry.answer = (_q, res) => res.writeHead(200, { 'Content-Type': OCI_INDEX }).end(INDEX_RAW);

    await expect(readManifest(`${registry.host}/acme/app@${INDEX_DIGEST}`, options())).resolves.toEqual({
      json: { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] },
      raw: INDEX_RAW,
      digest: INDEX_DIGEST
    });
    expect(registry.seen.map((s) => [s.method, s.url])).toEqual([['GET', `/v2/acme/app/manifests/${INDEX_DIGEST}`]]);
  });

  test('readManifest: a 404 is "absent", not an error', async () => {
    registry.answer = (_q, res) => res.writeHead(404, { 'Content-Type': 'application/json' }).end(MANIFEST_UNKNOWN);

    await expect(readManifest(`${registry.host}/acme/app@${OTHER_DIGEST}`, options())).resolves.toBe('absent');
  });

  test('readManifest: any other refusal is still an error', async () => {
    registry.answer = (_q, res) => res.writeHead(403).end('denied');

    const error = await caught(readManifest(`${registry.host}/acme/app@${OTHER_DIGEST}`, options()));
    expect(error).toBeInstanceOf(RegistryRefused);
    expect(error).not.toBeInstanceOf(NotFound);
  });

  test('resolveTag: one HEAD, the digest from Docker-Content-Digest', async () => {
    registry.answer = (_q, res) => res.writeHead(200, { 'Docker-Content-Digest': INDEX_DIGEST }).end();

    await expect(resolveTag(`${registry.host}/acme/app:v1.2.3`, options())).resolves.toBe(INDEX_DIGEST);
    expect(registry.seen.map((s) => [s.method, s.url])).toEqual([['HEAD', '/v2/acme/app/manifests/v1.2.3']]);
  });

  test.each([
    { name: 'a tag that is not there: undefined', status: 404, headers: {}, expected: undefined },
    { name: 'a 200 without a digest: refused', status: 200, headers: {}, expected: RegistryRefused }
  ])('resolveTag: $name', async ({ status, headers, expected }) => {
    registry.answer = (_q, res) => res.writeHead(status, headers).end();
    const result = resolveTag(`${registry.host}/acme/app:gone`, options());
    if (expected === undefined) await expect(result).resolves.toBeUndefined();
    else await expect(result).rejects.toBeInstanceOf(expected);
  });
});
