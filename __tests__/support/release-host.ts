/**
 * The one stand-in for a release download host (GitHub releases or a mirror) on loopback, and
 * for the GitHub Actions cache service (which runs only on GitHub): what the buildx and cosign
 * installers talk to.
 */
import { cpSync, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ActionsCache } from '../../src/tools/buildx/install.js';

export interface ReleaseHost {
  /** `http://127.0.0.1:<port>/releases`: files are served at `/releases/<tag>/<asset>`. */
  base: string;
  files: Map<string, Buffer>;
  /** Statuses to answer, in order, before serving the file at a path. */
  failures: Map<string, number[]>;
  requests: string[];
  count(urlPath: string): number;
  close(): Promise<void>;
}

export async function startHost(): Promise<ReleaseHost> {
  const files = new Map<string, Buffer>();
  const failures = new Map<string, number[]>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const urlPath = req.url ?? '';
    requests.push(urlPath);
    const status = failures.get(urlPath)?.shift();
    if (status) return void res.writeHead(status).end(`status ${status}`);
    const body = files.get(urlPath);
    if (!body) return void res.writeHead(404).end('Not Found');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/releases`,
    files,
    failures,
    requests,
    count: (urlPath) => requests.filter((r) => r === urlPath).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  };
}

/** An Actions cache kept as directories by key under `root`; a save can be made to fail. */
export function directoryCache(
  root: string,
  behaviour: { saveFails?: boolean } = {}
): ActionsCache & { saved: string[]; restored: string[] } {
  const saved: string[] = [];
  const restored: string[] = [];
  return {
    saved,
    restored,
    isFeatureAvailable: () => true,
    restoreCache: async (paths, key) => {
      const entry = path.join(root, key);
      if (!existsSync(entry)) return undefined;
      cpSync(entry, paths[0], { recursive: true });
      restored.push(key);
      return key;
    },
    saveCache: async (paths, key) => {
      if (behaviour.saveFails) throw new Error('cache service answered 500');
      cpSync(paths[0], path.join(root, key), { recursive: true });
      saved.push(key);
      return 1;
    }
  };
}

/** An Actions cache that is not available (outside GitHub): the installers must not call it. */
export const noCache: ActionsCache = {
  isFeatureAvailable: () => false,
  restoreCache: async () => {
    throw new Error('restoreCache called while the cache is unavailable');
  },
  saveCache: async () => {
    throw new Error('saveCache called while the cache is unavailable');
  }
};
