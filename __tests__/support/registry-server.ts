/*
 * A registry on loopback, played by a node:http server: every request is recorded, and answered
 * by a script the test sets, or else from a MemoryRegistry (GET, HEAD, PUT and DELETE of
 * manifests; an upload session opened and cancelled, as the preflight's push check does).
 * Loopback hosts are spoken to over plain HTTP, as the registry client does for 127.0.0.1.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryRegistry } from './memory-registry.js';

export interface Seen {
  method: string;
  url: string;
  authorization?: string;
  accept?: string;
  contentType?: string;
  body: string;
}

export type Answer = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

export interface LoopbackRegistry {
  /** host:port, as an image name starts. */
  host: string;
  seen: Seen[];
  /** Answers every request not taken by `once`; by default `fromStore`. */
  answer: Answer;
  /** Answers for the next requests, one each, before `answer`. */
  once: Answer[];
  /** Answers from the store: what a plain registry would say. */
  fromStore: Answer;
  store: MemoryRegistry;
  /** Forgets what was seen and goes back to answering from the store. */
  reset(): void;
  close(): Promise<void>;
}

export async function startRegistry(store = new MemoryRegistry()): Promise<LoopbackRegistry> {
  const registry: LoopbackRegistry = {
    host: '',
    seen: [],
    once: [],
    store,
    fromStore: (req, res, seen) => serveStore(registry, req, res, seen),
    answer: (req, res, seen) => registry.fromStore(req, res, seen),
    reset() {
      registry.seen = [];
      registry.once = [];
      registry.answer = registry.fromStore;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const seen: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        accept: req.headers.accept,
        contentType: req.headers['content-type'],
        body
      };
      registry.seen.push(seen);
      (registry.once.shift() ?? registry.answer)(req, res, seen);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registry.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return registry;
}

function serveStore(registry: LoopbackRegistry, req: IncomingMessage, res: ServerResponse, seen: Seen): void {
  // An upload session (the preflight's push check): opened, then cancelled; no blob is ever stored.
  const upload = /^\/v2\/(.+)\/blobs\/uploads\/([^/?]*)/.exec(seen.url);
  if (upload && req.method === 'POST' && !upload[2])
    return void res.writeHead(202, { Location: `/v2/${upload[1]}/blobs/uploads/session-1` }).end();
  if (upload && req.method === 'DELETE' && upload[2]) return void res.writeHead(204).end();
  const m = /^\/v2\/(.+)\/manifests\/([^/?]+)$/.exec(seen.url);
  if (!m) return void res.writeHead(404).end('{"errors":[{"code":"NOT_FOUND"}]}');
  const name = `${registry.host}/${m[1]}`;
  const reference = decodeURIComponent(m[2]);
  const ref = reference.startsWith('sha256:') ? `${name}@${reference}` : `${name}:${reference}`;
  const unknown = (): void =>
    void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      const got = registry.store.get(ref);
      if (!got) return unknown();
      res.writeHead(200, { 'Content-Type': got.mediaType, 'Docker-Content-Digest': got.digest });
      return void res.end(req.method === 'GET' ? got.raw : undefined);
    }
    case 'PUT': {
      const digest = registry.store.put(name, seen.body, seen.contentType ?? '');
      if (!reference.startsWith('sha256:')) registry.store.tag(name, reference, digest);
      return void res.writeHead(201, { 'Docker-Content-Digest': digest }).end();
    }
    case 'DELETE':
      return void (registry.store.delete(name, reference) ? res.writeHead(202).end() : unknown());
    default:
      return void res.writeHead(405).end();
  }
}
