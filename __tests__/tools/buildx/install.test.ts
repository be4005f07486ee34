import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tc from '@actions/tool-cache';
import { createRunner } from '../../../src/tools/exec.js';
import type { Runner } from '../../../src/ports.js';
import { Masker } from '../../../src/ports.js';
import { recordingLog, type RecordingLog } from '../../support/log.js';
import { directoryCache, noCache, startHost, type ReleaseHost } from '../../support/release-host.js';
import { InputError } from '../../../src/plan/errors.js';
import {
  hostPlatform,
  installBuildx,
  parseChecksums,
  releaseAsset,
  type ActionsCache,
  type ReleaseInstallOptions
} from '../../../src/tools/buildx/install.js';
import { findBuildx, parseBuildxVersion } from '../../../src/tools/buildx/find.js';

// ---------------------------------------------------------------------------------------------
// A release host on loopback, laid out like buildx's: /<tag>/buildx-<tag>.<os>-<arch>, /<tag>/checksums.txt

const TAG = 'v9.9.9';
const ASSET = 'buildx-v9.9.9.linux-amd64';
const BIN_PATH = `/releases/${TAG}/${ASSET}`;
const SUMS_PATH = `/releases/${TAG}/checksums.txt`;

function fakeBuildx(versionLine: string): Buffer {
  return Buffer.from(`#!/bin/sh\necho "${versionLine}"\n`);
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Publishes a release the way buildx does: binaries plus a `sha256sum -b` listing (no darwin lines). */
function publish(
  host: ReleaseHost,
  tag: string,
  binaries: Record<string, Buffer>,
  listed: Record<string, Buffer> = binaries
): void {
  for (const [asset, body] of Object.entries(binaries)) host.files.set(`/releases/${tag}/${asset}`, body);
  const lines = Object.entries(listed).map(([asset, body]) => `${sha256(body)} *${asset}`);
  host.files.set(`/releases/${tag}/checksums.txt`, Buffer.from(`${lines.join('\n')}\n`));
}

// ---------------------------------------------------------------------------------------------

let host: ReleaseHost;
let root: string;
let log: RecordingLog;
let run: Runner;
let sleeps: number[];

beforeAll(async () => {
  host = await startHost();
  // tool-cache's downloadTool makes its own attempts, 10-20 s apart; its test knobs make them instant.
  const knobs = globalThis as Record<string, unknown>;
  knobs.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS = 0;
  knobs.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS = 0;
});

afterAll(async () => {
  await host.close();
});

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'buildx-install-'));
  // tool-cache reads these on every call, not at import.
  process.env.RUNNER_TOOL_CACHE = path.join(root, 'tool-cache');
  process.env.RUNNER_TEMP = path.join(root, 'temp');
  host.files.clear();
  host.failures.clear();
  host.requests.length = 0;
  log = recordingLog();
  run = createRunner(log, new Masker());
  sleeps = [];
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function options(extra: Partial<ReleaseInstallOptions> = {}): ReleaseInstallOptions {
  return {
    version: TAG,
    run,
    log,
    base: host.base,
    platform: { os: 'linux', arch: 'amd64' },
    cache: noCache,
    workDir: path.join(root, 'work'),
    sleep: async (ms) => void sleeps.push(ms),
    ...extra
  };
}

// ---------------------------------------------------------------------------------------------

describe('installBuildx from the release host', () => {
  test('downloads, verifies, caches as docker-buildx and runs it', async () => {
    publish(host, TAG, { [ASSET]: fakeBuildx('github.com/docker/buildx v9.9.9 0000000') });

    const bin = await installBuildx(options());

    const expectedPath = path.join(root, 'tool-cache', 'buildx', '9.9.9', 'amd64', 'docker-buildx');
    expect(bin).toEqual({ command: expectedPath, prefix: [], version: '9.9.9', source: 'download' });
    expect(statSync(expectedPath).mode & 0o777).toBe(0o755);
    expect(tc.find('buildx', TAG, 'amd64')).toBe(path.dirname(expectedPath));
    expect(host.requests).toEqual([SUMS_PATH, BIN_PATH]);
    expect(log.infos).toContain('[command] ' + expectedPath + ' version');
    expect(log.warnings).toEqual([]);
  });

  test('accepts the version without its v', async () => {
    publish(host, TAG, { [ASSET]: fakeBuildx('github.com/docker/buildx v9.9.9 0000000') });

    const bin = await installBuildx(options({ version: '9.9.9' }));

    expect(bin.version).toBe('9.9.9');
    expect(host.requests).toEqual([SUMS_PATH, BIN_PATH]);
  });

  test('a second install is a tool-cache hit with no HTTP request', async () => {
    publish(host, TAG, { [ASSET]: fakeBuildx('github.com/docker/buildx v9.9.9 0000000') });
    const first = await installBuildx(options());
    const requestsAfterFirst = host.requests.length;

    const second = await installBuildx(options());

    expect(host.requests.length).toBe(requestsAfterFirst);
    expect(second).toEqual({ ...first, source: 'tool-cache' });
  });

  test('a binary that does not match checksums.txt is refused and not installed', async () => {
    const published = fakeBuildx('github.com/docker/buildx v9.9.9 0000000');
    const tampered = fakeBuildx('github.com/docker/buildx v9.9.9 0000000 plus something');
    publish(host, TAG, { [ASSET]: tampered }, { [ASSET]: published });

    const failure = installBuildx(options());

    await expect(failure).rejects.toThrow(ASSET);
    await expect(failure).rejects.toThrow(`expected sha256 ${sha256(published)}, got ${sha256(tampered)}`);
    expect(tc.find('buildx', TAG, 'amd64')).toBe('');
    expect(existsSync(path.join(root, 'work', `${TAG}-linux-amd64`))).toBe(false);
  });

  test('a release whose checksums.txt has no line for the binary is refused before downloading it', async () => {
    const binary = fakeBuildx('github.com/docker/buildx v9.9.9 0000000');
    publish(host, TAG, { [ASSET]: binary }, { 'buildx-v9.9.9.linux-arm64': binary });

    await expect(installBuildx(options())).rejects.toThrow(`has no checksum for ${ASSET}`);
    expect(host.count(BIN_PATH)).toBe(0);
    expect(tc.find('buildx', TAG, 'amd64')).toBe('');
  });

  test('a version the host does not have is an InputError naming buildx-version', async () => {
    const failure = installBuildx(options({ version: 'v9.9.8' }));

    await expect(failure).rejects.toBeInstanceOf(InputError);
    await expect(failure).rejects.toMatchObject({ input: 'buildx-version', value: 'v9.9.8' });
    await expect(failure).rejects.toThrow('404');
    // A 404 is final: neither tool-cache nor withRetry asks again.
    expect(host.requests).toEqual(['/releases/v9.9.8/checksums.txt']);
    expect(sleeps).toEqual([]);
  });

  test('a binary missing for this platform is an InputError naming buildx-version', async () => {
    const binary = fakeBuildx('github.com/docker/buildx v9.9.9 0000000');
    // Listed in checksums.txt but not uploaded.
    publish(host, TAG, {}, { 'buildx-v9.9.9.linux-riscv64': binary });

    const failure = installBuildx(options({ platform: { os: 'linux', arch: 'riscv64' } }));

    await expect(failure).rejects.toMatchObject({ name: 'InputError', input: 'buildx-version', value: TAG });
    await expect(failure).rejects.toThrow('buildx-v9.9.9.linux-riscv64 answered 404');
    expect(host.count('/releases/v9.9.9/buildx-v9.9.9.linux-riscv64')).toBe(1);
  });

  test.each([
    { name: 'edge', value: 'edge' },
    { name: 'a partial version', value: 'v0.36' },
    { name: 'a range', value: '^0.36.1' },
    { name: 'a path', value: 'v0.36.1/../../x' },
    { name: 'empty', value: '' }
  ])('$name is rejected as buildx-version before any request', async ({ value }) => {
    const failure = installBuildx(options({ version: value }));

    await expect(failure).rejects.toBeInstanceOf(InputError);
    await expect(failure).rejects.toMatchObject({
      input: 'buildx-version',
      value,
      accepted: 'a release version like v0.36.1, or latest'
    });
    expect(host.requests).toEqual([]);
  });

  test('a 503 once, then 200, installs', async () => {
    publish(host, TAG, { [ASSET]: fakeBuildx('github.com/docker/buildx v9.9.9 0000000') });
    host.failures.set(BIN_PATH, [503]);

    const bin = await installBuildx(options());

    expect(bin.source).toBe('download');
    expect(host.count(BIN_PATH)).toBe(2);
  });

  test('503s outlasting tool-cache’s own three attempts are retried by withRetry, with the injected delay', async () => {
    publish(host, TAG, { [ASSET]: fakeBuildx('github.com/docker/buildx v9.9.9 0000000') });
    host.failures.set(BIN_PATH, [503, 503, 503]);

    const bin = await installBuildx(options());

    expect(bin.source).toBe('download');
    expect(host.count(BIN_PATH)).toBe(4);
    expect(sleeps).toHaveLength(1);
    expect(log.warnings).toEqual([expect.stringMatching(/attempt 1 of 3 failed .*503.*retrying/)]);
  });

  test('a host that keeps answering 503 fails after the retries, naming the URL', async () => {
    publish(host, TAG, { [ASSET]: fakeBuildx('github.com/docker/buildx v9.9.9 0000000') });
    host.failures.set(BIN_PATH, Array(20).fill(503));

    const failure = installBuildx(options({ retries: 1 }));

    await expect(failure).rejects.toThrow(
      `Could not download ${host.base}/${TAG}/${ASSET}: Downloading ${host.base}/${TAG}/${ASSET} failed 2 times`
    );
    await expect(failure).rejects.toThrow(`GET ${host.base}/${TAG}/${ASSET} answered HTTP 503`);
    expect(host.count(BIN_PATH)).toBe(6);
    expect(sleeps).toHaveLength(1);
    expect(tc.find('buildx', TAG, 'amd64')).toBe('');
  });

  test('a binary reporting another version than requested is installed with a warning', async () => {
    publish(host, TAG, { [ASSET]: fakeBuildx('github.com/docker/buildx v1.2.3 0000000') });

    const bin = await installBuildx(options());

    expect(bin.version).toBe('1.2.3');
    expect(log.warnings).toEqual([expect.stringContaining('reports buildx 1.2.3, not the requested v9.9.9')]);
  });

  test('a binary that does not run is an error naming its path', async () => {
    publish(host, TAG, { [ASSET]: Buffer.from('#!/bin/sh\necho "exec format error" >&2\nexit 126\n') });

    await expect(installBuildx(options())).rejects.toThrow(
      /buildx v9\.9\.9 at .*docker-buildx does not run: .*exit code 126/
    );
  });

  test('windows assets end in .exe', async () => {
    const asset = 'buildx-v9.9.9.windows-amd64.exe';
    publish(host, TAG, {}, { [asset]: Buffer.from('x') });

    // Not published: the 404 names the URL, which shows the asset name used.
    await expect(installBuildx(options({ platform: { os: 'windows', arch: 'amd64' } }))).rejects.toThrow(
      `${TAG}/${asset} answered 404`
    );
  });
});

describe('installBuildx with the Actions cache', () => {
  const binary = fakeBuildx('github.com/docker/buildx v9.9.9 0000000');
  const key = `buildx-v9.9.9-linux-amd64-${sha256(binary)}`;

  test('a download is saved under a key naming version, platform and sha256', async () => {
    publish(host, TAG, { [ASSET]: binary });
    const store = directoryCache(path.join(root, 'store'));

    await installBuildx(options({ cache: store }));

    expect(store.saved).toEqual([key]);
    expect(sha256(readFileSync(path.join(root, 'store', key, 'docker-buildx')))).toBe(sha256(binary));
  });

  test('on a fresh runner the binary is restored instead of downloaded', async () => {
    publish(host, TAG, { [ASSET]: binary });
    const store = directoryCache(path.join(root, 'store'));
    await installBuildx(options({ cache: store }));
    // A new runner: empty tool cache and work dir, same cache service.
    rmSync(path.join(root, 'tool-cache'), { recursive: true });
    rmSync(path.join(root, 'work'), { recursive: true });
    host.requests.length = 0;

    const bin = await installBuildx(options({ cache: store }));

    expect(bin).toMatchObject({ source: 'actions-cache', version: '9.9.9' });
    expect(store.restored).toEqual([key]);
    expect(host.requests).toEqual([SUMS_PATH]);
    expect(store.saved).toEqual([key]);
  });

  test('a restored binary that fails the checksum is downloaded again', async () => {
    publish(host, TAG, { [ASSET]: binary });
    const storeDir = path.join(root, 'store');
    mkdirSync(path.join(storeDir, key), { recursive: true });
    writeFileSync(path.join(storeDir, key, 'docker-buildx'), 'not the release');
    const store = directoryCache(storeDir);

    const bin = await installBuildx(options({ cache: store }));

    expect(bin.source).toBe('download');
    expect(host.count(BIN_PATH)).toBe(1);
    expect(log.warnings).toEqual([
      expect.stringContaining(`has sha256 ${sha256('not the release')}, not ${sha256(binary)}`)
    ]);
  });

  test('a cache service that fails on restore only warns, and the binary is downloaded', async () => {
    publish(host, TAG, { [ASSET]: binary });
    const store: ActionsCache = {
      ...directoryCache(path.join(root, 'store')),
      restoreCache: async () => {
        throw new Error('cache service answered 502');
      }
    };

    const bin = await installBuildx(options({ cache: store }));

    expect(bin.source).toBe('download');
    expect(log.warnings).toEqual([
      'Could not restore buildx from the Actions cache (cache service answered 502); downloading it instead'
    ]);
  });

  test('a release host that refuses connections is a transient failure, retried, then named', async () => {
    const closed = await startHost();
    const base = closed.base;
    await closed.close();

    const error = await installBuildx(options({ base, retries: 1 })).catch((e: Error) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect(sleeps.length).toBe(1);
  });

  test('a failing cache save only warns', async () => {
    publish(host, TAG, { [ASSET]: binary });

    const bin = await installBuildx(options({ cache: directoryCache(path.join(root, 'store'), { saveFails: true }) }));

    expect(bin.source).toBe('download');
    expect(log.warnings).toEqual([
      expect.stringContaining('Could not save buildx v9.9.9 to the Actions cache (cache service answered 500)')
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('findBuildx', () => {
  function pathWith(scripts: Record<string, string>): NodeJS.ProcessEnv {
    const dir = mkdtempSync(path.join(root, 'bin-'));
    for (const [name, body] of Object.entries(scripts)) {
      writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(dir, name), 0o755);
    }
    // HOME and DOCKER_CONFIG point at the temp dir so this machine's own buildx plugin is not found.
    return { ...process.env, PATH: dir, HOME: dir, DOCKER_CONFIG: dir };
  }

  test('the buildx plugin binary is run directly when the docker CLI would find it', async () => {
    const env = pathWith({ docker: 'exit 1' });
    const plugins = path.join(env.DOCKER_CONFIG!, 'cli-plugins');
    mkdirSync(plugins);
    writeFileSync(path.join(plugins, 'docker-buildx'), '#!/bin/sh\necho "github.com/docker/buildx v0.36.1 abcdef0"\n');
    chmodSync(path.join(plugins, 'docker-buildx'), 0o755);

    await expect(findBuildx(run, env)).resolves.toEqual({
      command: path.join(plugins, 'docker-buildx'),
      prefix: [],
      version: '0.36.1',
      source: 'installed'
    });
  });

  test('a standalone buildx on PATH', async () => {
    const env = pathWith({ buildx: 'echo "github.com/docker/buildx v0.36.1 abcdef0"' });

    await expect(findBuildx(run, env)).resolves.toEqual({
      command: 'buildx',
      prefix: [],
      version: '0.36.1',
      source: 'installed'
    });
  });

  test('the docker CLI plugin comes first', async () => {
    const env = pathWith({
      docker: '[ "$1 $2" = "buildx version" ] && echo "github.com/docker/buildx v0.35.0 1234567" && exit 0; exit 1',
      buildx: 'echo "github.com/docker/buildx v0.36.1 abcdef0"'
    });

    await expect(findBuildx(run, env)).resolves.toEqual({
      command: 'docker',
      prefix: ['buildx'],
      version: '0.35.0',
      source: 'installed'
    });
  });

  test('docker without the plugin falls back to a standalone buildx', async () => {
    const env = pathWith({
      docker: `echo "docker: 'buildx' is not a docker command." >&2; exit 1`,
      buildx: 'echo "github.com/docker/buildx v0.36.1 abcdef0"'
    });

    await expect(findBuildx(run, env)).resolves.toMatchObject({ command: 'buildx', version: '0.36.1' });
  });

  test('a build without a version stamp is "unknown", not a failure', async () => {
    const env = pathWith({ buildx: 'echo "github.com/docker/buildx v0.0.0+unknown"' });

    await expect(findBuildx(run, env)).resolves.toMatchObject({ command: 'buildx', version: 'unknown' });
  });

  test('neither docker buildx nor buildx: the error says to set buildx-version', async () => {
    const env = pathWith({ docker: `echo "docker: 'buildx' is not a docker command." >&2; exit 1` });

    const failure = findBuildx(run, env);

    await expect(failure).rejects.toThrow(
      /buildx is not installed: `docker buildx version` exited with code 1 \(docker: 'buildx' is not a docker command\.\); `buildx version` could not start/
    );
    await expect(failure).rejects.toThrow('Set the buildx-version input (for example buildx-version: v0.36.1)');
  });
});

// ---------------------------------------------------------------------------------------------

describe('release naming', () => {
  test.each([
    { name: 'linux x64', platform: 'linux', arch: 'x64', arm: undefined, want: { os: 'linux', arch: 'amd64' } },
    { name: 'linux arm64', platform: 'linux', arch: 'arm64', arm: undefined, want: { os: 'linux', arch: 'arm64' } },
    { name: 'linux armv7', platform: 'linux', arch: 'arm', arm: '7', want: { os: 'linux', arch: 'arm-v7' } },
    { name: 'linux armv6', platform: 'linux', arch: 'arm', arm: '6', want: { os: 'linux', arch: 'arm-v6' } },
    {
      name: 'linux ppc64 (little-endian) is ppc64le',
      platform: 'linux',
      arch: 'ppc64',
      arm: undefined,
      want: { os: 'linux', arch: 'ppc64le' }
    },
    {
      name: 'linux riscv64',
      platform: 'linux',
      arch: 'riscv64',
      arm: undefined,
      want: { os: 'linux', arch: 'riscv64' }
    },
    { name: 'linux s390x', platform: 'linux', arch: 's390x', arm: undefined, want: { os: 'linux', arch: 's390x' } },
    {
      name: 'win32 is windows',
      platform: 'win32',
      arch: 'x64',
      arm: undefined,
      want: { os: 'windows', arch: 'amd64' }
    },
    { name: 'darwin arm64', platform: 'darwin', arch: 'arm64', arm: undefined, want: { os: 'darwin', arch: 'arm64' } }
  ])('hostPlatform: $name', ({ platform, arch, arm, want }) => {
    expect(hostPlatform(platform, arch, arm)).toEqual(want);
  });

  test.each([
    { name: 'linux amd64', os: 'linux', arch: 'amd64', asset: 'buildx-v0.36.1.linux-amd64' },
    { name: 'linux arm v7', os: 'linux', arch: 'arm-v7', asset: 'buildx-v0.36.1.linux-arm-v7' },
    { name: 'windows arm64', os: 'windows', arch: 'arm64', asset: 'buildx-v0.36.1.windows-arm64.exe' },
    { name: 'darwin amd64', os: 'darwin', arch: 'amd64', asset: 'buildx-v0.36.1.darwin-amd64' }
  ])('releaseAsset: $name', ({ os: osName, arch, asset }) => {
    expect(releaseAsset('v0.36.1', { os: osName, arch })).toBe(asset);
  });

  test('parseChecksums reads binary-mode, text-mode and path-prefixed lines, and skips the rest', () => {
    const a = 'a'.repeat(64);
    const b = 'B'.repeat(64);
    const c = 'c'.repeat(64);
    const text = [
      `${a} *buildx-v0.36.1.linux-amd64`,
      `${b}  buildx-v0.36.1.linux-arm64`,
      `${c} ./out/buildx-v0.36.1.linux-s390x\r`,
      'junk',
      `${a.slice(1)} *short`,
      ''
    ].join('\n');

    expect(Object.fromEntries(parseChecksums(text))).toEqual({
      'buildx-v0.36.1.linux-amd64': a,
      'buildx-v0.36.1.linux-arm64': 'b'.repeat(64),
      'buildx-v0.36.1.linux-s390x': c
    });
  });

  test.each([
    { name: 'a release', output: 'github.com/docker/buildx v0.36.1 1a2b3c4\n', version: '0.36.1' },
    { name: 'without the v', output: 'github.com/docker/buildx 0.36.1 1a2b3c4', version: '0.36.1' },
    {
      name: 'Docker Desktop build',
      output: 'github.com/docker/buildx v0.12.1-desktop.4 6f5c2a1',
      version: '0.12.1-desktop.4'
    },
    { name: 'unstamped go install', output: 'github.com/docker/buildx v0.0.0+unknown', version: 'unknown' },
    { name: 'no version at all', output: 'github.com/docker/buildx 1a2b3c4 1a2b3c4', version: 'unknown' },
    { name: 'empty output', output: '', version: 'unknown' }
  ])('parseBuildxVersion: $name', ({ output, version }) => {
    expect(parseBuildxVersion(output)).toBe(version);
  });
});

describe('buildx-version: latest, resolved as setup-buildx resolves it (issue 21)', () => {
  const LIST_PATH = '/releases/buildx-releases.json';
  const list = (latest: unknown): Buffer =>
    Buffer.from(JSON.stringify({ latest, 'v9.9.8': { tag_name: 'v9.9.8' }, 'v9.9.9': { tag_name: 'v9.9.9' } }));

  test('reads the newest release from the release list, then installs it verified, like a pinned one', async () => {
    publish(host, TAG, { [ASSET]: fakeBuildx('github.com/docker/buildx v9.9.9 0000000') });
    host.files.set(
      LIST_PATH,
      list({ tag_name: TAG, html_url: 'https://github.com/docker/buildx/releases/tag/v9.9.9' })
    );

    const bin = await installBuildx(options({ version: 'latest' }));

    expect(bin.version).toBe('9.9.9');
    expect(host.requests).toEqual([LIST_PATH, SUMS_PATH, BIN_PATH]);
    expect(log.infos).toContain(
      `buildx-version latest: ${TAG}, the newest release in ${host.base}/buildx-releases.json`
    );
  });

  test('the release it names is checked against its checksums: a mismatch installs nothing', async () => {
    publish(
      host,
      TAG,
      { [ASSET]: fakeBuildx('github.com/docker/buildx v9.9.9 tampered') },
      { [ASSET]: fakeBuildx('github.com/docker/buildx v9.9.9 0000000') }
    );
    host.files.set(LIST_PATH, list({ tag_name: TAG }));

    await expect(installBuildx(options({ version: 'latest' }))).rejects.toThrow(/does not match .*checksums\.txt/);
    expect(tc.find('buildx', TAG, 'amd64')).toBe('');
  });

  test('a list without a latest entry is refused, naming the list', async () => {
    host.files.set(LIST_PATH, list(undefined));
    await expect(installBuildx(options({ version: 'latest' }))).rejects.toThrow(
      `${host.base}/buildx-releases.json names no latest buildx release`
    );
  });

  test('no list at the mirror: the input is named', async () => {
    const error = await installBuildx(options({ version: 'latest' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('buildx-version');
    expect((error as InputError).accepted).toContain(`${host.base}/buildx-releases.json answered 404`);
  });
});
