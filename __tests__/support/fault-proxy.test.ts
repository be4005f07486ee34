import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createPrng,
  defaultMatch,
  rewriteUrl,
  startFaultProxy,
  type FaultKind,
  type FaultProxy,
  type FaultProxyOptions
} from './fault-proxy.js';

// ---------------------------------------------------------------------------------------------
// A small origin that answers enough like a registry: absolute Locations, digests, big blobs.

const BLOB = Buffer.alloc(5 * 1024 * 1024);
for (let i = 0; i < BLOB.length; i++) BLOB[i] = (i * 31 + (i >> 11)) & 0xff;
const BLOB_DIGEST = `sha256:${createHash('sha256').update(BLOB).digest('hex')}`;
const FIXED_DATE = 'Mon, 02 Jan 2006 15:04:05 GMT';

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  length: number;
  sha256: string;
}

interface Origin {
  port: number;
  base: string;
  seen: Seen[];
  close(): Promise<void>;
}

async function startOrigin(): Promise<Origin> {
  const seen: Seen[] = [];
  let base = '';
  const server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    req.on('end', () => {
      const url = req.url ?? '/';
      const entry: Seen = {
        method: req.method ?? '',
        url,
        rawHeaders: req.rawHeaders,
        length,
        sha256: `sha256:${hash.digest('hex')}`
      };
      seen.push(entry);
      res.setHeader('Date', FIXED_DATE);
      res.setHeader('Docker-Distribution-Api-Version', 'registry/2.0');
      const path = url.split('?')[0];
      if (path === '/v2/') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '2' }).end('{}');
      } else if (path === '/v2/repo/blobs/big') {
        res.setHeader('X-Multi', ['one', 'two']);
        res.writeHead(200, [
          'Content-Type',
          'application/octet-stream',
          'Content-Length',
          String(BLOB.length),
          'Docker-Content-Digest',
          BLOB_DIGEST,
          'ETag',
          `"${BLOB_DIGEST}"`
        ]);
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        // Stream it in pieces, as a registry reading from storage would.
        let offset = 0;
        const pump = () => {
          while (offset < BLOB.length) {
            const piece = BLOB.subarray(offset, offset + 100_000);
            offset += piece.length;
            if (!res.write(piece)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
      } else if (path === '/v2/repo/blobs/uploads/' && req.method === 'POST') {
        res.writeHead(202, {
          Location: `${base}/v2/repo/blobs/uploads/u-1?_state=abc%3D%3D`,
          'Docker-Upload-UUID': 'u-1',
          Range: '0-0',
          'Content-Length': '0'
        });
        res.end();
      } else if (path.startsWith('/v2/repo/blobs/uploads/') && req.method === 'PATCH') {
        res.writeHead(202, {
          Location: `${base}/v2/repo/blobs/uploads/u-1?_state=def`,
          'Docker-Upload-UUID': 'u-1',
          Range: `0-${Math.max(length - 1, 0)}`,
          'Content-Length': '0'
        });
        res.end();
      } else if (path.startsWith('/v2/repo/blobs/uploads/') && req.method === 'PUT') {
        res.writeHead(201, {
          Location: `${base}/v2/repo/blobs/${entry.sha256}`,
          'Docker-Content-Digest': entry.sha256,
          'Content-Length': '0'
        });
        res.end();
      } else if (path === '/v2/redirect') {
        res.writeHead(307, { Location: `${base}/v2/repo/blobs/big?x=1`, 'Content-Length': '0' }).end();
      } else if (path === '/v2/relative') {
        res.writeHead(202, { Location: '/v2/repo/blobs/uploads/u-2', 'Content-Length': '0' }).end();
      } else if (path === '/v2/foreign') {
        res.writeHead(307, { Location: 'http://storage.example.invalid/blob?sig=1', 'Content-Length': '0' }).end();
      } else if (path === '/v2/auth') {
        const body = JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
        res.writeHead(401, {
          'WWW-Authenticate': `Bearer realm="${base}/token",service="registry",scope="repository:repo:pull"`,
          Link: `<${base}/v2/_catalog?last=a&n=1>; rel="next"`,
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(body))
        });
        res.end(body);
      } else if (path === '/v2/cut') {
        // Promise a megabyte, send a tenth of it, hang up.
        res.writeHead(200, { 'Content-Length': String(1024 * 1024) });
        res.write(BLOB.subarray(0, 100_000), () => res.socket?.destroy());
      } else {
        const body = `ok ${req.method} ${url}`;
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(body)) });
        res.end(body);
      }
    });
  });
  server.keepAliveTimeout = 500;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return {
    port,
    base,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })
  };
}

// ---------------------------------------------------------------------------------------------
// A client on plain node:http, one connection per request unless an agent is given.

interface Reply {
  status: number;
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface SendOptions {
  method?: string;
  headers?: string[];
  body?: Buffer;
  /** Send the body in pieces without a Content-Length (chunked). */
  chunked?: boolean;
  timeoutMs?: number;
  agent?: http.Agent | false;
}

function send(port: number, path: string, options: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Node adds no Host of its own to headers given as an array.
    const given = options.headers ?? [];
    const headers = header(given, 'host') === undefined ? ['Host', `127.0.0.1:${port}`, ...given] : given;
    const hasBody = options.body !== undefined;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        agent: options.agent ?? false,
        headers: hasBody && !options.chunked ? [...headers, 'Content-Length', String(options.body!.length)] : headers
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (!res.complete) reject(new Error('response cut short'));
          else
            resolve({
              status: res.statusCode ?? 0,
              rawHeaders: res.rawHeaders,
              headers: res.headers,
              body: Buffer.concat(chunks)
            });
        });
        res.on('error', reject);
      }
    );
    req.on('error', reject);
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () =>
        req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' }))
      );
    }
    if (!hasBody) {
      req.end();
      return;
    }
    if (!options.chunked) {
      req.end(options.body);
      return;
    }
    const body = options.body!;
    let offset = 0;
    const pump = () => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + 65_536);
        offset += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);
function endToEnd(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2)
    if (!CONNECTION_HEADERS.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  return out;
}
function header(raw: string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name) return raw[i + 1];
  return undefined;
}
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

// ---------------------------------------------------------------------------------------------

let origin: Origin;
const proxies: FaultProxy[] = [];

async function proxy(options: Partial<FaultProxyOptions> = {}): Promise<FaultProxy> {
  const p = await startFaultProxy({ target: origin.base, failureRate: 0, faults: [], ...options });
  proxies.push(p);
  return p;
}

beforeEach(async () => {
  origin = await startOrigin();
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await origin.close();
});

describe('forwarding', () => {
  test('GET streams a 5 MB blob byte for byte with every header', async () => {
    const p = await proxy();
    const direct = await send(origin.port, '/v2/repo/blobs/big');
    const via = await send(p.port, '/v2/repo/blobs/big', { headers: ['Accept', 'application/octet-stream'] });
    expect(via.status).toBe(200);
    expect(via.body.length).toBe(BLOB.length);
    expect(sha256(via.body)).toBe(BLOB_DIGEST);
    expect(endToEnd(via.rawHeaders)).toEqual(endToEnd(direct.rawHeaders));
    expect(via.headers['docker-content-digest']).toBe(BLOB_DIGEST);
    expect(via.headers['x-multi']).toBe('one, two');
    expect(p.stats()).toMatchObject({ total: 1, forwarded: 1, injectedTotal: 0, upstreamErrors: 0 });
  });

  test('HEAD keeps Content-Length and the digest, and has no body', async () => {
    const p = await proxy();
    const via = await send(p.port, '/v2/repo/blobs/big', { method: 'HEAD' });
    expect(via.status).toBe(200);
    expect(via.headers['content-length']).toBe(String(BLOB.length));
    expect(via.headers['docker-content-digest']).toBe(BLOB_DIGEST);
    expect(via.body.length).toBe(0);
    expect(origin.seen[0].method).toBe('HEAD');
  });

  test('request headers reach the target unchanged, Host aside', async () => {
    const p = await proxy();
    const sent = [
      'Authorization',
      'Bearer t0k3n',
      'X-Trace',
      'a',
      'X-Trace',
      'b',
      'Accept',
      'application/vnd.oci.image.index.v1+json'
    ];
    await send(p.port, '/v2/repo/manifests/latest?x=1&y=%2F', { headers: sent });
    const got = origin.seen[0];
    expect(got.url).toBe('/v2/repo/manifests/latest?x=1&y=%2F');
    expect(endToEnd(got.rawHeaders)).toEqual(sent);
    expect(header(got.rawHeaders, 'host')).toBe(`127.0.0.1:${origin.port}`);
  });

  test('a chunked PATCH and a sized PUT of 5 MB arrive whole', async () => {
    const p = await proxy();
    const patch = await send(p.port, '/v2/repo/blobs/uploads/u-1?_state=abc', {
      method: 'PATCH',
      body: BLOB,
      chunked: true,
      headers: ['Content-Type', 'application/octet-stream']
    });
    expect(patch.status).toBe(202);
    expect(patch.headers.range).toBe(`0-${BLOB.length - 1}`);
    const put = await send(p.port, `/v2/repo/blobs/uploads/u-1?_state=def&digest=${BLOB_DIGEST}`, {
      method: 'PUT',
      body: BLOB,
      headers: ['Content-Type', 'application/octet-stream']
    });
    expect(put.status).toBe(201);
    expect(put.headers['docker-content-digest']).toBe(BLOB_DIGEST);
    expect(origin.seen.map((s) => [s.method, s.length, s.sha256])).toEqual([
      ['PATCH', BLOB.length, BLOB_DIGEST],
      ['PUT', BLOB.length, BLOB_DIGEST]
    ]);
    expect(header(origin.seen[0].rawHeaders, 'transfer-encoding')).toBe('chunked');
    expect(header(origin.seen[1].rawHeaders, 'content-length')).toBe(String(BLOB.length));
  });

  test('Locations that point at the target are rewritten to the proxy', async () => {
    const p = await proxy();
    const post = await send(p.port, '/v2/repo/blobs/uploads/', { method: 'POST' });
    expect(post.status).toBe(202);
    expect(post.headers.location).toBe(`http://${p.url}/v2/repo/blobs/uploads/u-1?_state=abc%3D%3D`);
    expect(post.headers['docker-upload-uuid']).toBe('u-1');
    const put = await send(p.port, `/v2/repo/blobs/uploads/u-1?digest=${BLOB_DIGEST}`, { method: 'PUT', body: BLOB });
    expect(put.headers.location).toBe(`http://${p.url}/v2/repo/blobs/${BLOB_DIGEST}`);
    const redirect = await send(p.port, '/v2/redirect');
    expect(redirect.status).toBe(307);
    expect(redirect.headers.location).toBe(`http://${p.url}/v2/repo/blobs/big?x=1`);
    // Relative Locations and other hosts are left alone.
    expect((await send(p.port, '/v2/relative')).headers.location).toBe('/v2/repo/blobs/uploads/u-2');
    expect((await send(p.port, '/v2/foreign')).headers.location).toBe('http://storage.example.invalid/blob?sig=1');
  });

  test('the Location follows the Host the client used', async () => {
    const p = await proxy();
    const post = await send(p.port, '/v2/repo/blobs/uploads/', {
      method: 'POST',
      headers: ['Host', `localhost:${p.port}`]
    });
    expect(post.headers.location).toBe(`http://localhost:${p.port}/v2/repo/blobs/uploads/u-1?_state=abc%3D%3D`);
  });

  test('the WWW-Authenticate realm and Link URLs are rewritten too', async () => {
    const p = await proxy();
    const reply = await send(p.port, '/v2/auth');
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe(
      `Bearer realm="http://${p.url}/token",service="registry",scope="repository:repo:pull"`
    );
    expect(reply.headers.link).toBe(`<http://${p.url}/v2/_catalog?last=a&n=1>; rel="next"`);
    expect(JSON.parse(reply.body.toString()).errors[0].code).toBe('UNAUTHORIZED');
  });

  test('an answer the target cuts short is cut short for the client as well', async () => {
    const p = await proxy();
    await expect(send(p.port, '/v2/cut')).rejects.toThrow();
    await waitFor(() => p.stats().upstreamErrors === 1);
  });

  test('an unreachable target gives 502', async () => {
    const dead = await startOrigin();
    const deadBase = dead.base;
    await dead.close();
    const p = await proxy({ target: deadBase });
    const reply = await send(p.port, '/v2/repo/tags/list');
    expect(reply.status).toBe(502);
    expect(p.stats().upstreamErrors).toBe(1);
  });

  test('keep-alive connections carry many requests', async () => {
    const p = await proxy();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    try {
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_v, i) => send(p.port, `/v2/repo/manifests/t${i}`, { agent }))
      );
      expect(replies.map((r) => r.body.toString())).toEqual(
        Array.from({ length: 20 }, (_v, i) => `ok GET /v2/repo/manifests/t${i}`)
      );
    } finally {
      agent.destroy();
    }
  });
});

describe('faults', () => {
  test('failureRate 0 forwards everything', async () => {
    const p = await proxy({ failureRate: 0, faults: ['503', '429', 'drop', 'stall'] });
    for (let i = 0; i < 50; i++) expect((await send(p.port, `/v2/repo/manifests/t${i}`)).status).toBe(200);
    expect(p.stats()).toMatchObject({ total: 50, eligible: 50, forwarded: 50, injectedTotal: 0 });
    expect(origin.seen).toHaveLength(50);
  });

  test('503 answers with a registry error body and never reaches the target', async () => {
    const p = await proxy({ failureRate: 1, faults: ['503'] });
    const reply = await send(p.port, '/v2/repo/manifests/latest');
    expect(reply.status).toBe(503);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(reply.body.toString())).toEqual({ errors: [{ code: 'UNAVAILABLE', message: 'injected' }] });
    expect(origin.seen).toHaveLength(0);
    expect(p.stats().injected['503']).toBe(1);
  });

  test('429 carries Retry-After and a TOOMANYREQUESTS body', async () => {
    const p = await proxy({ failureRate: 1, faults: ['429'], retryAfterSeconds: 7 });
    const reply = await send(p.port, '/v2/repo/blobs/uploads/', { method: 'POST' });
    expect(reply.status).toBe(429);
    expect(reply.headers['retry-after']).toBe('7');
    expect(JSON.parse(reply.body.toString()).errors[0].code).toBe('TOOMANYREQUESTS');
    expect(p.stats().injected['429']).toBe(1);
  });

  test('403 refuses as a registry refuses a token that may not push: DENIED, never reaching the target', async () => {
    const p = await proxy({ failureRate: 1, faults: ['403'] });
    const reply = await send(p.port, '/v2/repo/manifests/buildcache', { method: 'PUT' });
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body.toString()).errors[0].code).toBe('DENIED');
    expect(origin.seen).toHaveLength(0);
    expect(p.stats().injected['403']).toBe(1);
  });

  test('HEAD gets a faulted status without a body', async () => {
    const p = await proxy({ failureRate: 1, faults: ['503'] });
    const reply = await send(p.port, '/v2/repo/blobs/big', { method: 'HEAD' });
    expect(reply.status).toBe(503);
    expect(reply.body.length).toBe(0);
  });

  test('drop resets the connection without an answer', async () => {
    const p = await proxy({ failureRate: 1, faults: ['drop'] });
    await expect(send(p.port, '/v2/repo/manifests/latest')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(origin.seen).toHaveLength(0);
    expect(p.stats().injected.drop).toBe(1);
  });

  test('drop after a 5 MB upload body has been sent', async () => {
    const p = await proxy({ failureRate: 1, faults: ['drop'] });
    await expect(
      send(p.port, '/v2/repo/blobs/uploads/u-1', { method: 'PATCH', body: BLOB, chunked: true })
    ).rejects.toMatchObject({
      code: 'ECONNRESET'
    });
    expect(p.stats().byMethod.PATCH).toEqual({ total: 1, forwarded: 0, injected: 1 });
  });

  test('stall never answers: the client gives up on its own timeout', async () => {
    const p = await proxy({ failureRate: 1, faults: ['stall'] });
    const started = Date.now();
    await expect(send(p.port, '/v2/repo/manifests/latest', { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'CLIENT_TIMEOUT'
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(origin.seen).toHaveLength(0);
    expect(p.stats().injected.stall).toBe(1);
  });

  test('stallMs drops a stalled connection after that long', async () => {
    const p = await proxy({ failureRate: 1, faults: ['stall'], stallMs: 150 });
    const started = Date.now();
    await expect(send(p.port, '/v2/repo/manifests/latest')).rejects.toMatchObject({ code: 'ECONNRESET' });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(120);
    expect(took).toBeLessThan(2000);
  });

  test('close() with a stalled request pending resolves quickly', async () => {
    const p = await proxy({ failureRate: 1, faults: ['stall'] });
    const pending = send(p.port, '/v2/repo/blobs/uploads/u-1', { method: 'PUT', body: Buffer.from('x'.repeat(1000)) });
    pending.catch(() => undefined);
    await waitFor(() => p.stats().injected.stall === 1);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await p.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  test('the /v2/ ping is not faulted by default; match chooses the eligible requests', async () => {
    expect(defaultMatch('GET', '/v2/')).toBe(false);
    expect(defaultMatch('GET', '/v2/repo/tags/list')).toBe(true);
    expect(defaultMatch('GET', '/token')).toBe(false);
    const p = await proxy({ failureRate: 1, faults: ['503'] });
    expect((await send(p.port, '/v2/')).status).toBe(200);
    expect((await send(p.port, '/v2/repo/tags/list')).status).toBe(503);
    const onlyPuts = await proxy({ failureRate: 1, faults: ['503'], match: (method) => method === 'PUT' });
    expect((await send(onlyPuts.port, '/v2/repo/manifests/latest')).status).toBe(200);
    expect(
      (await send(onlyPuts.port, '/v2/repo/manifests/latest', { method: 'PUT', body: Buffer.from('{}') })).status
    ).toBe(503);
    expect(onlyPuts.stats()).toMatchObject({ total: 2, eligible: 1, forwarded: 1, injectedTotal: 1 });
  });

  test('setFailureRate switches faults on and off', async () => {
    const p = await proxy({ failureRate: 0, faults: ['503'] });
    expect((await send(p.port, '/v2/repo/tags/list')).status).toBe(200);
    p.setFailureRate(1);
    expect((await send(p.port, '/v2/repo/tags/list')).status).toBe(503);
    p.setFailureRate(0);
    expect((await send(p.port, '/v2/repo/tags/list')).status).toBe(200);
    expect(() => p.setFailureRate(1.5)).toThrow(RangeError);
  });

  test('decide scripts a fault on an upload in progress, and the retry goes through', async () => {
    let patches = 0;
    const p = await proxy({ decide: ({ method }) => (method === 'PATCH' && patches++ === 0 ? 'drop' : undefined) });
    const post = await send(p.port, '/v2/repo/blobs/uploads/', { method: 'POST' });
    const location = new URL(post.headers.location!);
    expect(location.host).toBe(p.url);
    const path = location.pathname + location.search;
    await expect(send(p.port, path, { method: 'PATCH', body: BLOB, chunked: true })).rejects.toMatchObject({
      code: 'ECONNRESET'
    });
    const retry = await send(p.port, path, { method: 'PATCH', body: BLOB, chunked: true });
    expect(retry.status).toBe(202);
    expect(p.stats().byMethod).toEqual({
      POST: { total: 1, forwarded: 1, injected: 0 },
      PATCH: { total: 2, forwarded: 1, injected: 1 }
    });
    expect(p.events().map((e) => [e.method, e.outcome, e.status])).toEqual([
      ['POST', 'forwarded', 202],
      ['PATCH', 'drop', undefined],
      ['PATCH', 'forwarded', 202]
    ]);
  });

  test('the same seed replays the same sequence of faults', async () => {
    const faults: FaultKind[] = ['503', '429', 'drop'];
    const run = async (seed: number) => {
      const p = await proxy({ failureRate: 0.5, faults, seed });
      for (let i = 0; i < 60; i++) await send(p.port, `/v2/repo/manifests/t${i}`).catch(() => undefined);
      expect(p.seed).toBe(seed);
      return p.events().map((e) => e.outcome);
    };
    const first = await run(1234);
    const second = await run(1234);
    const other = await run(99);
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    expect(new Set(first)).toEqual(new Set(['forwarded', ...faults]));

    const a = createPrng(7);
    const b = createPrng(7);
    const drawsA = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(drawsA);
    expect(drawsA.every((x) => x >= 0 && x < 1)).toBe(true);
  }, 30_000);

  test('at rate 0.4 over 500 requests about 40% are faulted', async () => {
    const p = await proxy({ failureRate: 0.4, faults: ['503', '429', 'drop'], seed: 2024 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 500; i++) await send(p.port, `/v2/repo/blobs/b${i}`, { agent }).catch(() => undefined);
    } finally {
      agent.destroy();
    }
    const s = p.stats();
    expect(s.total).toBe(500);
    expect(s.injectedTotal + s.forwarded).toBe(500);
    expect(s.injectedTotal / 500).toBeGreaterThanOrEqual(0.3);
    expect(s.injectedTotal / 500).toBeLessThanOrEqual(0.5);
    expect(s.injected['503'] + s.injected['429'] + s.injected.drop).toBe(s.injectedTotal);
    expect(s.injected.stall).toBe(0);
    expect(origin.seen).toHaveLength(s.forwarded);
  }, 30_000);
});

describe('setup', () => {
  test('a list of ports is tried in order until one is free', async () => {
    const taken = origin.port;
    const p = await proxy({ port: [taken, 0] });
    expect(p.port).not.toBe(taken);
    expect(p.url).toBe(`127.0.0.1:${p.port}`);
    expect((await send(p.port, '/v2/')).status).toBe(200);
  });

  test('bad options are refused', async () => {
    await expect(startFaultProxy({ target: origin.base, failureRate: 2, faults: ['503'] })).rejects.toThrow(RangeError);
    await expect(startFaultProxy({ target: origin.base, failureRate: 0.5, faults: [] })).rejects.toThrow(/fault kind/);
    await expect(startFaultProxy({ target: 'https://127.0.0.1:5000', failureRate: 0, faults: [] })).rejects.toThrow(
      /http:/
    );
  });

  test('rewriteUrl only touches URLs of the target', () => {
    const t = new URL('http://127.0.0.1:5000');
    expect(rewriteUrl('http://127.0.0.1:5000/v2/x?y=1#z', t, 'p:1')).toBe('http://p:1/v2/x?y=1#z');
    expect(rewriteUrl('HTTP://127.0.0.1:5000/v2/x', t, 'p:1')).toBe('http://p:1/v2/x');
    expect(rewriteUrl('//127.0.0.1:5000/v2/x', t, 'p:1')).toBe('//p:1/v2/x');
    expect(rewriteUrl('http://127.0.0.1:5001/v2/x', t, 'p:1')).toBe('http://127.0.0.1:5001/v2/x');
    expect(rewriteUrl('https://127.0.0.1:5000/v2/x', t, 'p:1')).toBe('https://127.0.0.1:5000/v2/x');
    expect(rewriteUrl('/v2/x', t, 'p:1')).toBe('/v2/x');
    expect(rewriteUrl('http://127.0.0.1/x', new URL('http://127.0.0.1:80'), 'p:1')).toBe('http://p:1/x');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
