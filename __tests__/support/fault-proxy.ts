/**
 * A fault-injecting reverse proxy for tests: it sits on loopback between BuildKit/buildx and a
 * plain-HTTP registry and, for a chosen share of requests, answers 503 or 429, drops the
 * connection, or never answers at all. Every other request is forwarded faithfully, bodies
 * streamed both ways, so pushes and pulls of real images still work through it.
 *
 * Clients address images through the proxy (`127.0.0.1:5002/repo:tag`); absolute URLs that the
 * registry hands back (upload `Location`s, the token `realm`, pagination `Link`s) are rewritten
 * to the proxy so that follow-up requests, including the PATCH/PUT of an upload session, pass
 * through it too and can be faulted as well.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream';

/** `403` refuses the request as a registry does a token that may not push there (GHCR, a fork's token). */
export type FaultKind = '503' | '429' | '403' | 'drop' | 'stall';

export const FAULT_KINDS: readonly FaultKind[] = ['503', '429', '403', 'drop', 'stall'];

/** What happened to one request. */
export type Outcome = 'forwarded' | FaultKind;

export interface FaultProxyOptions {
  /** The registry, e.g. `http://127.0.0.1:5000` (plain HTTP only). */
  target: string;
  /** Address to listen on; default 127.0.0.1. */
  listenHost?: string;
  /**
   * Port to listen on: 0 (the default) for any free port, or a list of candidates tried in order
   * until one is free (BuildKit talks plain HTTP only to the ports it was configured for).
   */
  port?: number | readonly number[];
  /** Share of eligible requests that get a fault, 0..1. */
  failureRate: number;
  /** The kinds of fault to draw from, uniformly. */
  faults: readonly FaultKind[];
  /** `Retry-After` of an injected 429, in seconds; default 1. */
  retryAfterSeconds?: number;
  /** Seed of the PRNG; the same seed gives the same sequence of decisions. Random by default. */
  seed?: number;
  /** Which requests may be faulted; default {@link defaultMatch} (every /v2/ request but the ping). */
  match?: (method: string, path: string) => boolean;
  /**
   * Override the random draw for a request: return a fault kind to inject it, 'forwarded' to let
   * the request through, or undefined to use the draw. `index` counts eligible requests from 0.
   * The PRNG is advanced either way, so the draws of later requests do not depend on it.
   */
  decide?: (request: { method: string; path: string; index: number }) => Outcome | undefined;
  /**
   * How long a stalled request is held before its connection is dropped, like an idle timeout of
   * a load balancer. By default it is held until the client gives up or the proxy is closed.
   */
  stallMs?: number;
}

export interface MethodStats {
  total: number;
  forwarded: number;
  injected: number;
}

export interface FaultProxyStats {
  /** Requests received. */
  total: number;
  /** Requests that `match` made eligible for a fault. */
  eligible: number;
  /** Requests sent on to the target. */
  forwarded: number;
  injected: Record<FaultKind, number>;
  injectedTotal: number;
  /** Forwarded requests that failed upstream: target unreachable, or its response cut short. */
  upstreamErrors: number;
  byMethod: Record<string, MethodStats>;
}

export interface ProxyEvent {
  /** Arrival order among all requests, from 0. */
  seq: number;
  method: string;
  /** Request target as received, query included. */
  url: string;
  eligible: boolean;
  outcome: Outcome;
  /** Status the target answered with, for forwarded requests that got an answer. */
  status?: number;
}

export interface FaultProxy {
  /** `host:port` to put in image references, e.g. `127.0.0.1:5002`. */
  url: string;
  /** `http://host:port`. */
  origin: string;
  port: number;
  /** The seed in use, to replay a run. */
  seed: number;
  stats(): FaultProxyStats;
  /** Every request so far, in arrival order. */
  events(): ProxyEvent[];
  setFailureRate(rate: number): void;
  /** Stop listening and destroy every open connection, stalled ones included. */
  close(): Promise<void>;
}

/** Every registry API request but the `/v2/` version check. */
export function defaultMatch(_method: string, path: string): boolean {
  return path.startsWith('/v2/') && path !== '/v2/';
}

/** mulberry32: a small, fast, seedable PRNG giving floats in [0, 1). */
export function createPrng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function registryErrorBody(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message }] });
}

// Headers of one connection, not of the message: never forwarded (RFC 9110 section 7.6.1).
// `expect` is answered by this proxy's own server, so it is not passed on either.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect'
]);

/** Flat `[name, value, name, value, ...]` headers less the hop-by-hop ones. */
function endToEnd(raw: readonly string[]): string[] {
  const drop = new Set(HOP_BY_HOP);
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() === 'connection') {
      for (const token of raw[i + 1].split(',')) drop.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!drop.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  }
  return out;
}

function withoutHeader(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() !== name) out.push(raw[i], raw[i + 1]);
  }
  return out;
}

function hasChunkedBody(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() === 'transfer-encoding' && /chunked/i.test(raw[i + 1])) return true;
  }
  return false;
}

/**
 * Point an absolute (or scheme-relative) URL at `proxyHost` when it points at the target; leave
 * relative URLs and URLs of other hosts as they are. Path, query and fragment are kept verbatim.
 */
export function rewriteUrl(value: string, target: URL, proxyHost: string): string {
  const m = /^(?:([a-z][a-z0-9+.-]*):)?\/\/([^/?#]*)(.*)$/is.exec(value.trim());
  if (!m) return value;
  const scheme = (m[1] ?? target.protocol.slice(0, -1)).toLowerCase();
  let host: string;
  try {
    host = new URL(`${scheme}://${m[2]}/`).host;
  } catch {
    return value;
  }
  if (`${scheme}:` !== target.protocol || host !== target.host) return value;
  return `${m[1] === undefined ? '' : 'http:'}//${proxyHost}${m[3]}`;
}

function rewriteResponseHeaders(raw: readonly string[], target: URL, proxyHost: string): string[] {
  const out = endToEnd(raw);
  for (let i = 0; i < out.length; i += 2) {
    const name = out[i].toLowerCase();
    if (name === 'location' || name === 'content-location') {
      out[i + 1] = rewriteUrl(out[i + 1], target, proxyHost);
    } else if (name === 'www-authenticate') {
      out[i + 1] = out[i + 1].replace(
        /(realm\s*=\s*")([^"]*)(")/gi,
        (_all, open: string, url: string, close: string) => open + rewriteUrl(url, target, proxyHost) + close
      );
    } else if (name === 'link') {
      out[i + 1] = out[i + 1].replace(/<([^>]*)>/g, (_all, url: string) => `<${rewriteUrl(url, target, proxyHost)}>`);
    }
  }
  return out;
}

async function listen(server: http.Server, host: string, ports: readonly number[]): Promise<void> {
  let lastError: unknown;
  for (const port of ports) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => {
          server.off('listening', onListening);
          reject(err);
        };
        const onListening = () => {
          server.off('error', onError);
          resolve();
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(port, host);
      });
      return;
    } catch (err) {
      lastError = err;
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
    }
  }
  throw lastError;
}

function checkRate(rate: number): number {
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new RangeError(`failureRate must be within 0..1, got ${rate}`);
  }
  return rate;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:')
    throw new Error(`fault proxy: only http:// targets are supported, got ${options.target}`);
  let failureRate = checkRate(options.failureRate);
  const faults = [...options.faults];
  for (const kind of faults) {
    if (!FAULT_KINDS.includes(kind)) throw new Error(`fault proxy: unknown fault kind ${String(kind)}`);
  }
  if (failureRate > 0 && faults.length === 0)
    throw new Error('fault proxy: failureRate > 0 needs at least one fault kind');
  const seed = (options.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  const random = createPrng(seed);
  const match = options.match ?? defaultMatch;
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const listenHost = options.listenHost ?? '127.0.0.1';
  const portOption = options.port ?? 0;
  const ports: readonly number[] = typeof portOption === 'number' ? [portOption] : portOption;
  if (ports.length === 0) throw new Error('fault proxy: empty list of ports');

  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const stallTimers = new Set<ReturnType<typeof setTimeout>>();
  const log: ProxyEvent[] = [];
  const stats: FaultProxyStats = {
    total: 0,
    eligible: 0,
    forwarded: 0,
    injected: { '503': 0, '429': 0, '403': 0, drop: 0, stall: 0 },
    injectedTotal: 0,
    upstreamErrors: 0,
    byMethod: {}
  };
  let closing = false;
  let selfHost = '';

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    const event: ProxyEvent = { seq: stats.total, method, url, eligible: false, outcome: 'forwarded' };
    log.push(event);
    stats.total++;
    const perMethod = (stats.byMethod[method] ??= { total: 0, forwarded: 0, injected: 0 });
    perMethod.total++;

    if (match(method, path)) {
      event.eligible = true;
      const index = stats.eligible++;
      // Two draws for every eligible request whatever the rate, so that changing the rate or
      // overriding a decision does not shift the draws of the requests after it.
      const hit = random() < failureRate;
      const pick = random();
      const decided = options.decide?.({ method, path, index });
      const outcome: Outcome =
        decided ?? (hit && faults.length > 0 ? faults[Math.floor(pick * faults.length)] : 'forwarded');
      if (outcome !== 'forwarded') {
        event.outcome = outcome;
        stats.injected[outcome]++;
        stats.injectedTotal++;
        perMethod.injected++;
        inject(outcome, req, res);
        return;
      }
    }
    stats.forwarded++;
    perMethod.forwarded++;
    forward(req, res, event);
  });
  // Large uploads through a slow builder must not be cut by the server's own deadlines.
  server.requestTimeout = 0;
  server.on('connection', (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  /** Fault a request once its body has been read, as a registry or balancer in trouble would. */
  function inject(kind: FaultKind, req: http.IncomingMessage, res: http.ServerResponse): void {
    let acted = false;
    const act = () => {
      if (acted || closing) return;
      acted = true;
      switch (kind) {
        case '503':
          answer(res, 503, 'UNAVAILABLE', {});
          break;
        case '429':
          answer(res, 429, 'TOOMANYREQUESTS', { 'Retry-After': retryAfter });
          break;
        case '403':
          answer(res, 403, 'DENIED', {});
          break;
        case 'drop': {
          const socket = req.socket;
          if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
          else socket.destroy();
          break;
        }
        case 'stall':
          if (options.stallMs !== undefined) {
            const timer = setTimeout(() => {
              stallTimers.delete(timer);
              req.socket.destroy();
            }, options.stallMs);
            stallTimers.add(timer);
            req.socket.once('close', () => {
              clearTimeout(timer);
              stallTimers.delete(timer);
            });
          }
          break;
      }
    };
    req.once('end', act);
    req.resume();
  }

  function answer(res: http.ServerResponse, status: number, code: string, headers: Record<string, string>): void {
    const body = registryErrorBody(code, 'injected');
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'Docker-Distribution-Api-Version': 'registry/2.0'
    });
    res.end(body);
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse, event: ProxyEvent): void {
    const proxyHost = req.headers.host || selfHost;
    const headers = ['Host', target.host, ...withoutHeader(endToEnd(req.rawHeaders), 'host')];
    // Node frames the body itself; tell it to keep the chunked framing the client used.
    if (hasChunkedBody(req.rawHeaders)) headers.push('Transfer-Encoding', 'chunked');

    const upstream = http.request({
      hostname: target.hostname,
      port: target.port || 80,
      method: req.method,
      path: req.url,
      headers,
      setHost: false,
      agent
    });
    let clientGone = false;
    let broken = false;
    const upstreamFailed = () => {
      if (broken || clientGone || closing) return;
      broken = true;
      stats.upstreamErrors++;
      if (res.headersSent) {
        // The target cut its answer short: cut ours short too, so that the client sees a broken
        // response rather than a complete-looking short one.
        res.destroy();
      } else {
        const body = registryErrorBody('UNAVAILABLE', 'fault proxy: target unreachable');
        res.writeHead(502, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': String(Buffer.byteLength(body))
        });
        res.end(body);
      }
    };

    upstream.on('response', (upstreamRes) => {
      if (clientGone) {
        upstreamRes.destroy();
        return;
      }
      event.status = upstreamRes.statusCode;
      res.sendDate = false; // the target's own Date, if any, is forwarded as it is
      res.writeHead(
        upstreamRes.statusCode ?? 502,
        upstreamRes.statusMessage,
        rewriteResponseHeaders(upstreamRes.rawHeaders, target, proxyHost)
      );
      pipeline(upstreamRes, res, (err) => {
        if (err) upstreamFailed();
      });
    });
    upstream.on('error', upstreamFailed);
    // The client went away before its answer was through: end the upstream exchange too.
    res.on('close', () => {
      if (!res.writableFinished) {
        clientGone = true;
        upstream.destroy();
      }
    });
    req.pipe(upstream);
  }

  await listen(server, listenHost, ports);
  const port = (server.address() as AddressInfo).port;
  const urlHost = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
  selfHost = `${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`;

  let closed: Promise<void> | undefined;
  return {
    url: selfHost,
    origin: `http://${selfHost}`,
    port,
    seed,
    stats: () => structuredClone(stats),
    events: () => log.map((e) => ({ ...e })),
    setFailureRate(rate: number) {
      failureRate = checkRate(rate);
      if (failureRate > 0 && faults.length === 0)
        throw new Error('fault proxy: failureRate > 0 needs at least one fault kind');
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        for (const timer of stallTimers) clearTimeout(timer);
        stallTimers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
        agent.destroy();
      });
      return closed;
    }
  };
}
