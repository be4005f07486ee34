/**
 * A Docker engine stand-in on a unix socket, for `load: true` on machines with no engine: it answers
 * what the docker CLI and buildx ask before and while loading (`/_ping`, `/version`, `/info`,
 * `POST /images/load`, whose tar it reads to the end and counts), and 404 to anything else. Point
 * DOCKER_HOST at `host`.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FakeEngine {
  host: string;
  /** Every request, as `METHOD path` without the API version prefix. */
  requests: string[];
  /** The size of each tar `POST /images/load` received. */
  loads: number[];
  close(): Promise<void>;
}

const API = '1.47';

export async function startFakeEngine(): Promise<FakeEngine> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-engine-'));
  const socket = path.join(dir, 'docker.sock');
  const requests: string[] = [];
  const loads: number[] = [];
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '').replace(/^\/v\d+\.\d+/, '').split('?')[0];
    requests.push(`${req.method} ${url}`);
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json', 'Api-Version': API });
      res.end(JSON.stringify(body));
    };
    if (url === '/_ping') {
      res.writeHead(200, { 'Api-Version': API, 'Content-Type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
      return;
    }
    if (url === '/version')
      return json(200, { Version: '28.0.4', ApiVersion: API, MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' });
    if (url === '/info')
      return json(200, { ID: 'fake', Driver: 'overlay2', DriverStatus: [], ServerVersion: '28.0.4' });
    if (req.method === 'POST' && url === '/images/load') {
      let size = 0;
      req.on('data', (chunk: Buffer) => (size += chunk.length));
      req.on('end', () => {
        loads.push(size);
        json(200, { stream: 'Loaded image\n' });
      });
      return;
    }
    json(404, { message: `the fake engine does not answer ${req.method} ${url}` });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    host: `unix://${socket}`,
    requests,
    loads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      })
  };
}
