/**
 * A private git server on loopback: git's own `git http-backend` (smart HTTP) behind a small
 * HTTP server that answers 401 to any request without the token, as GitHub does for a private
 * repository. BuildKit fetches git contexts itself, so this is what it talks to.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitServer {
  /** http://127.0.0.1:PORT: the stand-in for GITHUB_SERVER_URL. */
  url: string;
  /** host:port, as BuildKit names the secret GIT_AUTH_TOKEN.<host>. */
  host: string;
  /** Every request: its path and whether it carried the token. */
  requests: Array<{ path: string; authorised: boolean }>;
  close(): Promise<void>;
}

/** Serves the bare repositories under `root` (root/owner/name.git), to requests carrying `token` only. */
export async function startGitServer(root: string, token: string): Promise<GitServer> {
  const requests: GitServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Basic auth, any user (BuildKit sends x-access-token), the token as password.
    const header = req.headers.authorization ?? '';
    const decoded = /^basic /i.test(header) ? Buffer.from(header.slice(6), 'base64').toString() : '';
    const authorised = decoded.slice(decoded.indexOf(':') + 1) === token && decoded.includes(':');
    requests.push({ path: url.pathname, authorised });
    if (!authorised) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end();
      return;
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_ADDR: '127.0.0.1'
      }
    });
    req.pipe(cgi.stdin);
    // The CGI answer: headers (Status: among them), a blank line, the body.
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const colon = line.indexOf(':');
        const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
        if (name.toLowerCase() === 'status') status = parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.stdout.on('end', () => res.end());
    cgi.on('error', () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}
