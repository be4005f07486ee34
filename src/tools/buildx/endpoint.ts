/**
 * Whether anything listens at a BuildKit endpoint, asked before buildx bootstraps it: a unix socket
 * that does not exist or a refused connection is a dead endpoint, and no retry revives it (buildx
 * itself would wait 20 s for it, on every attempt). Only the answers that say so for certain count:
 * a timeout or a name that does not resolve yet is left to the bootstrap and its retries.
 */
import net from 'node:net';
import { stat } from 'node:fs/promises';

/** Why nothing can answer at `endpoint` (`unix://…` or `tcp://host:port`), or undefined when it may. */
export async function deadEndpoint(endpoint: string, timeoutMs = 5000): Promise<string | undefined> {
  const target = connectTarget(endpoint);
  if (!target) return undefined;
  if ('path' in target) {
    const found = await stat(target.path).then(
      (stats) => ({ socket: stats.isSocket(), code: '' }),
      (error: NodeJS.ErrnoException) => ({ socket: false, code: error.code ?? 'error' })
    );
    if (found.code === 'ENOENT') return `no socket at ${target.path} (no such file)`;
    if (found.code) return undefined;
    if (!found.socket) return `${target.path} is not a socket`;
  }
  const code = await connect(target, timeoutMs);
  if (code === 'ECONNREFUSED')
    return 'path' in target
      ? `nothing listens on ${target.path} (connection refused)`
      : `nothing listens on ${target.host}:${target.port} (connection refused)`;
  return undefined;
}

type Target = { path: string } | { host: string; port: number };

function connectTarget(endpoint: string): Target | undefined {
  if (endpoint.startsWith('unix://')) return { path: endpoint.slice('unix://'.length) };
  const m = /^tcp:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(endpoint);
  if (!m) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** The error code of one connection attempt ('' when it connected, or gave no answer in time). */
function connect(target: Target, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(target as net.NetConnectOpts);
    const done = (code: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(code);
    };
    const timer = setTimeout(() => done(''), timeoutMs);
    socket.once('connect', () => done(''));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
  });
}
