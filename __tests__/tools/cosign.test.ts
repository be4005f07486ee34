import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tc from '@actions/tool-cache';
import { createRunner } from '../../src/tools/exec.js';
import { Masker, type Runner } from '../../src/ports.js';
import { recordingLog, type RecordingLog } from '../support/log.js';
import { directoryCache, noCache, startHost, type ReleaseHost } from '../support/release-host.js';
import { InputError } from '../../src/plan/errors.js';
import { signingSteps } from '../../src/plan/sign.js';
import {
  cosignAsset,
  findCosign,
  parseCosignVersion,
  prepareKey,
  setupCosign,
  signAndVerify,
  type CosignInstallOptions,
  type SignOptions
} from '../../src/tools/cosign.js';
import { installCosign } from '../../src/tools/cosign-install.js';

// ---------------------------------------------------------------------------------------------
// What `cosign version` prints (v2.6.1 built from the Go module proxy with its version stamped).

const VERSION_OUTPUT = `  ______   ______        _______. __    _______ .__   __.
 /      | /  __  \\      /       ||  |  /  _____||  \\ |  |
|  ,----'|  |  |  |    |   (----\`|  | |  |  __  |   \\|  |
cosign: A tool for Container Signing, Verification and Storage in an OCI registry.

GitVersion:    v2.6.1
GitCommit:     634fabe54f9fbbab55d821a83ba93b2d25bdba5f
GitTreeState:  clean
BuildDate:     unknown
GoVersion:     go1.26.8
Compiler:      gc
Platform:      linux/amd64
`;

describe('parseCosignVersion', () => {
  test.each([
    { name: 'a stamped release build', output: VERSION_OUTPUT, version: '2.6.1' },
    { name: 'a pre-release', output: 'GitVersion:    v3.0.0-rc.1\n', version: '3.0.0-rc.1' },
    { name: 'an unstamped build', output: 'GitVersion:    devel\nGitCommit:     unknown\n', version: 'unknown' },
    { name: 'nothing like a version', output: 'command not found', version: 'unknown' }
  ])('$name', ({ output, version }) => {
    expect(parseCosignVersion(output)).toBe(version);
  });
});

describe('cosignAsset', () => {
  test.each([
    { platform: { os: 'linux', arch: 'amd64' }, asset: 'cosign-linux-amd64' },
    { platform: { os: 'linux', arch: 'arm64' }, asset: 'cosign-linux-arm64' },
    { platform: { os: 'linux', arch: 'arm-v7' }, asset: 'cosign-linux-arm' },
    { platform: { os: 'darwin', arch: 'arm64' }, asset: 'cosign-darwin-arm64' },
    { platform: { os: 'windows', arch: 'amd64' }, asset: 'cosign-windows-amd64.exe' }
  ])('$asset', ({ platform, asset }) => {
    expect(cosignAsset(platform)).toBe(asset);
  });
});

// ---------------------------------------------------------------------------------------------
// Shared fixtures: a recording log with a real masker, a real runner, temp directories.

let root: string;
let masker: Masker;
let log: RecordingLog;
let run: Runner;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'cosign-test-'));
  process.env.RUNNER_TOOL_CACHE = path.join(root, 'tool-cache');
  process.env.RUNNER_TEMP = path.join(root, 'temp');
  masker = new Masker();
  log = recordingLog(masker);
  run = createRunner(log, masker);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function script(file: string, body: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

// ---------------------------------------------------------------------------------------------

describe('findCosign and setupCosign', () => {
  test('finds a cosign on the PATH and reads its version', async () => {
    const bin = path.join(root, 'bin');
    script(path.join(bin, 'cosign'), `cat <<'EOF'\n${VERSION_OUTPUT}EOF`);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

    expect(await findCosign(run, 'cosign', env)).toEqual({ command: 'cosign', version: '2.6.1', source: 'path' });
    const found = await setupCosign({ version: 'v2.6.1', run, log, env, base: 'http://127.0.0.1:9/none' });
    expect(found).toEqual({ command: 'cosign', version: '2.6.1', source: 'path' });
    expect(log.infos).toContain('Using cosign 2.6.1 from the PATH');
  });

  test.each([
    { name: 'no cosign at all', body: undefined },
    { name: 'a cosign that fails', body: 'echo broken >&2; exit 3' }
  ])('nothing usable: $name', async ({ body }) => {
    const bin = path.join(root, 'bin');
    mkdirSync(bin);
    if (body) script(path.join(bin, 'cosign'), body);
    const env = { ...process.env, PATH: bin };

    expect(await findCosign(run, 'cosign', env)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// A release host on loopback, laid out like cosign's: /<tag>/cosign-<os>-<arch>, /<tag>/cosign_checksums.txt

const TAG = 'v9.8.7';
const ASSET = 'cosign-linux-amd64';
const BIN_PATH = `/releases/${TAG}/${ASSET}`;
const SUMS_PATH = `/releases/${TAG}/cosign_checksums.txt`;
const fakeCosign = (version: string) => Buffer.from(`#!/bin/sh\necho "GitVersion:    ${version}"\n`);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A release as goreleaser writes cosign's: binaries and a `sha256sum` listing (two spaces, no star). */
function publish(host: ReleaseHost, binaries: Record<string, Buffer>, listed: Record<string, Buffer> = binaries): void {
  for (const [asset, body] of Object.entries(binaries)) host.files.set(`/releases/${TAG}/${asset}`, body);
  const lines = Object.entries(listed).map(([asset, body]) => `${sha256(body)}  ${asset}`);
  host.files.set(SUMS_PATH, Buffer.from(`${lines.join('\n')}\n`));
}

describe('installCosign', () => {
  let host: ReleaseHost;
  beforeAll(async () => {
    host = await startHost();
    const knobs = globalThis as Record<string, unknown>;
    knobs.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS = 0;
    knobs.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS = 0;
  });
  afterAll(() => host.close());
  beforeEach(() => {
    host.files.clear();
    host.requests.length = 0;
  });

  function options(extra: Partial<CosignInstallOptions> = {}): CosignInstallOptions {
    return {
      version: TAG,
      run,
      log,
      base: host.base,
      platform: { os: 'linux', arch: 'amd64' },
      cache: noCache,
      workDir: path.join(root, 'work'),
      sleep: async () => undefined,
      ...extra
    };
  }

  test('downloads, checks the checksum, caches and runs it', async () => {
    publish(host, { [ASSET]: fakeCosign(TAG), 'cosign-linux-arm64': fakeCosign('other') });

    const cosign = await installCosign(options());

    const expected = path.join(root, 'tool-cache', 'cosign', '9.8.7', 'amd64', 'cosign');
    expect(cosign).toEqual({ command: expected, version: '9.8.7', source: 'download' });
    expect(statSync(expected).mode & 0o777).toBe(0o755);
    expect(host.requests).toEqual([SUMS_PATH, BIN_PATH]);
    expect(log.warnings).toEqual([]);
  });

  test('a second install is a tool-cache hit without any request', async () => {
    publish(host, { [ASSET]: fakeCosign(TAG) });
    const first = await installCosign(options());
    host.requests.length = 0;

    expect(await installCosign(options({ version: '9.8.7' }))).toEqual({ ...first, source: 'tool-cache' });
    expect(host.requests).toEqual([]);
  });

  test('saved to the Actions cache, then restored from it (checked again) on a fresh runner', async () => {
    publish(host, { [ASSET]: fakeCosign(TAG) });
    const actions = directoryCache(path.join(root, 'actions-cache'));
    await installCosign(options({ cache: actions }));
    const key = `cosign-${TAG}-linux-amd64-${sha256(fakeCosign(TAG))}`;
    expect(actions.saved).toEqual([key]);

    rmSync(path.join(root, 'tool-cache'), { recursive: true });
    host.requests.length = 0;
    const again = await installCosign(options({ cache: actions }));

    expect(again.source).toBe('actions-cache');
    expect(actions.restored).toEqual([key]);
    expect(host.requests).toEqual([SUMS_PATH]);
  });

  test('a binary that does not match the checksums is refused and not installed', async () => {
    const listed = fakeCosign(TAG);
    const served = fakeCosign(`${TAG} with something extra`);
    publish(host, { [ASSET]: served }, { [ASSET]: listed });

    await expect(installCosign(options())).rejects.toThrow(
      `${ASSET} from ${host.base}${BIN_PATH.slice('/releases'.length)} does not match ${host.base}${SUMS_PATH.slice('/releases'.length)}: expected sha256 ${sha256(listed)}, got ${sha256(served)}. It was not installed; the download was corrupted or the release host serves a different file.`
    );
    expect(tc.find('cosign', TAG, 'amd64')).toBe('');
  });

  test('an asset the checksums do not list is not installed', async () => {
    publish(host, { [ASSET]: fakeCosign(TAG) }, { 'cosign-linux-arm64': fakeCosign(TAG) });

    await expect(installCosign(options())).rejects.toThrow(
      `${host.base}/${TAG}/cosign_checksums.txt has no checksum for ${ASSET}, so it cannot be verified and is not installed.`
    );
    expect(host.requests).toEqual([SUMS_PATH]);
  });

  test('a release that does not exist names the input', async () => {
    const failure = installCosign(options({ input: 'cosign-version' }));
    await expect(failure).rejects.toThrow(InputError);
    await expect(failure).rejects.toThrow(
      `input "cosign-version": "${TAG}" is not accepted; expected an existing cosign release (${host.base}/${TAG}/cosign_checksums.txt answered 404 Not Found)`
    );
  });

  test.each(['latest', '2.6', 'v2.6.1; rm -rf /'])('refuses the version %p before any request', async (version) => {
    await expect(installCosign(options({ version }))).rejects.toThrow(
      `input "cosign-version": ${JSON.stringify(version)} is not accepted; expected a cosign release version like v2.6.1`
    );
    expect(host.requests).toEqual([]);
  });

  test('warns when the binary reports another version', async () => {
    publish(host, { [ASSET]: fakeCosign('v1.0.0') });
    const cosign = await installCosign(options());
    expect(cosign.version).toBe('1.0.0');
    expect(log.warnings).toEqual([`${cosign.command} reports cosign 1.0.0, not the requested ${TAG}`]);
  });
});

// ---------------------------------------------------------------------------------------------

const PEM = [
  '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----',
  'eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6',
  'OCwicCI6MX0sInNhbHQiOiJzZWNyZXQtc2FsdC1zZWNyZXQtc2FsdCJ9fQ==',
  '-----END ENCRYPTED SIGSTORE PRIVATE KEY-----'
].join('\n');

describe('prepareKey', () => {
  test('PEM text goes to a 0600 file in a 0700 directory, masked line by line, removed by dispose', async () => {
    const dir = path.join(root, 'run-temp', 'cosign');
    const key = await prepareKey(`\n${PEM}\n`, path.join(dir, 'cosign.key'), log);

    expect(key.ref).toBe(path.join(dir, 'cosign.key'));
    expect(readFileSync(key.ref, 'utf8')).toBe(`${PEM}\n`);
    expect(statSync(key.ref).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(masker.mask(`x ${PEM.split('\n')[1]} y`)).toBe('x *** y');

    await key.dispose();
    expect(readdirSync(path.join(root, 'run-temp'))).toEqual([]);
  });

  test.each([
    { name: 'a PEM cut short', value: PEM.split('\n').slice(0, 2).join('\n') },
    {
      name: 'a public key by mistake',
      value: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----'
    }
  ])('refuses $name without repeating it or writing anything', async ({ value }) => {
    const failure = prepareKey(value, path.join(root, 't', 'cosign.key'), log);
    await expect(failure).rejects.toThrow(InputError);
    await expect(failure).rejects.toThrow(
      'input "sign-key": "(key material, not shown)" is not accepted; expected a PEM private key from `cosign generate-key-pair` (-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----), a path to one, or a KMS URI'
    );
    expect(existsSync(path.join(root, 't'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// signAndVerify with a cosign that records how it was called: argv, password, the key file it saw.

const DIGEST = 'sha256:383f18bf0518677cca73886181b2b6b65a16af8a3af0544608f33db9b6ebbf67';

function recordingCosign(dir: string): { command: string; record: string } {
  const record = path.join(dir, 'calls.log');
  const command = script(
    path.join(dir, 'cosign'),
    `rec=${JSON.stringify(record)}
{ printf 'argv:'; for a in "$@"; do printf ' %s' "$a"; done; printf '\\n'; printf 'password: %s\\n' "\${COSIGN_PASSWORD-unset}"; } >>"$rec"
key=; out=; prev=
for a in "$@"; do [ "$prev" = --key ] && key=$a; [ "$prev" = --outfile ] && out=$a; prev=$a; done
if [ -f "$key" ]; then printf 'key file: mode %s, first line %s\\n' "$(stat -c %a "$key")" "$(head -n 1 "$key")" >>"$rec"; fi
case "$1" in
  sign) [ -n "$FAIL_SIGN" ] && { echo "Error: signing failed" >&2; exit 1; }; echo "Pushing signature to: somewhere" >&2 ;;
  public-key) echo "-----BEGIN PUBLIC KEY-----" >"$out" ;;
  verify) echo '[{"critical":{"image":{"docker-manifest-digest":"${DIGEST}"}}}]' ;;
esac`
  );
  return { command, record };
}

describe('signAndVerify', () => {
  const work = () => path.join(root, 'run-temp', 'cosign');
  const keyFile = () => path.join(work(), 'cosign.key');
  function signOptions(extra: Partial<SignOptions>, env: NodeJS.ProcessEnv = {}): SignOptions {
    const fake = recordingCosign(path.join(root, 'fake'));
    return {
      cosign: { command: fake.command, version: '2.6.1', source: 'path' },
      run,
      log,
      commands: signingSteps({
        mode: 'key',
        image: '127.0.0.1:5000/e2e/app',
        digest: DIGEST,
        tlog: false,
        keyFile: keyFile(),
        publicKeyFile: path.join(work(), 'cosign.pub')
      }),
      workDir: work(),
      env: { PATH: process.env.PATH, ...env },
      ...extra
    };
  }
  const record = () => readFileSync(path.join(root, 'fake', 'calls.log'), 'utf8');

  test('key from PEM text with a password: checks the key, signs, verifies, leaves nothing', async () => {
    const result = await signAndVerify(signOptions({ key: { pem: PEM, file: keyFile() }, password: 's3cret-pass' }));

    expect(record()).toBe(
      [
        `argv: public-key --key ${keyFile()} --outfile ${work()}/cosign.pub`,
        'password: s3cret-pass',
        'key file: mode 600, first line -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----',
        `argv: sign --yes --recursive --key ${keyFile()} --tlog-upload=false --allow-insecure-registry 127.0.0.1:5000/e2e/app@${DIGEST}`,
        'password: s3cret-pass',
        'key file: mode 600, first line -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----',
        `argv: verify --key ${work()}/cosign.pub --insecure-ignore-tlog=true --allow-insecure-registry 127.0.0.1:5000/e2e/app@${DIGEST}`,
        'password: unset',
        'key file: mode 644, first line -----BEGIN PUBLIC KEY-----',
        ''
      ].join('\n')
    );
    expect(result).toEqual({ verified: `[{"critical":{"image":{"docker-manifest-digest":"${DIGEST}"}}}]\n` });
    expect(readdirSync(path.join(root, 'run-temp'))).toEqual([]);
    const logged = [...log.infos, ...log.warnings].join('\n');
    expect(logged).not.toContain('s3cret-pass');
    expect(logged).not.toContain(PEM.split('\n')[1]);
  });

  test('key from a path, no password: COSIGN_PASSWORD is set empty so cosign never prompts', async () => {
    const file = path.join(root, 'keys', 'cosign.key');
    mkdirSync(path.dirname(file));
    writeFileSync(file, PEM, { mode: 0o600 });
    const commands = signingSteps({
      mode: 'key',
      image: 'registry.example.com/app',
      digest: DIGEST,
      tlog: true,
      keyFile: file,
      publicKeyFile: path.join(work(), 'cosign.pub')
    });

    await signAndVerify(signOptions({ commands }));

    const lines = record().split('\n');
    expect(lines[3]).toBe(`argv: sign --yes --recursive --key ${file} registry.example.com/app@${DIGEST}`);
    expect(lines[4]).toBe('password: ');
    expect(existsSync(file)).toBe(true);
    expect(readdirSync(path.join(root, 'run-temp'))).toEqual([]);
  });

  test('keyless: no key, no password, verified against the workflow identity', async () => {
    const identity = {
      identityRegexp: '^https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/.+$',
      issuer: 'https://token.actions.githubusercontent.com'
    };
    const commands = signingSteps({ mode: 'keyless', image: 'ghcr.io/acme/app', digest: DIGEST, tlog: true, identity });
    await signAndVerify(signOptions({ commands }));

    expect(record()).toBe(
      [
        `argv: sign --yes --recursive ghcr.io/acme/app@${DIGEST}`,
        'password: unset',
        `argv: verify --certificate-identity-regexp=${identity.identityRegexp} --certificate-oidc-issuer=${identity.issuer} ghcr.io/acme/app@${DIGEST}`,
        'password: unset',
        ''
      ].join('\n')
    );
  });

  test('without sign-key-password, a COSIGN_PASSWORD of the environment is the one cosign gets (and it is masked)', async () => {
    await signAndVerify(signOptions({ key: { pem: PEM, file: keyFile() } }, { COSIGN_PASSWORD: 'from-env-pass' }));

    expect(
      record()
        .split('\n')
        .filter((l) => l.startsWith('password:'))
    ).toEqual(['password: from-env-pass', 'password: from-env-pass', 'password: from-env-pass']);
    expect(masker.mask('x from-env-pass y')).toBe('x *** y');
  });

  test('a failed signing still removes the key file and says why', async () => {
    const failure = signAndVerify(
      signOptions({ key: { pem: PEM, file: keyFile() }, password: 'pw-123' }, { FAIL_SIGN: '1' })
    );

    await expect(failure).rejects.toThrow('Error: signing failed');
    expect(readdirSync(path.join(root, 'run-temp'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The real cosign (scripts/stack.sh builds it): the key file prepareKey writes is one cosign reads.

const STACK_COSIGN = path.join(process.env.STACK_DIR ?? '/var/tmp/multiarch-stack', 'bin', 'cosign');
const describeReal = existsSync(STACK_COSIGN) ? describe : describe.skip;
if (!existsSync(STACK_COSIGN)) console.log(`skipping the real-cosign tests: ${STACK_COSIGN} is missing`);

describeReal('with the real cosign', () => {
  test('findCosign reads its version', async () => {
    expect(await findCosign(run, STACK_COSIGN)).toEqual({ command: STACK_COSIGN, version: '2.6.1', source: 'path' });
  });

  test('a generated key given as PEM text signs as the same key: cosign derives the same public key from the file', async () => {
    const keys = path.join(root, 'keys');
    mkdirSync(keys);
    const env = { ...process.env, COSIGN_PASSWORD: 'unit-pass-123' };
    await run(STACK_COSIGN, ['generate-key-pair'], { env, cwd: keys, quiet: true });
    const pem = readFileSync(path.join(keys, 'cosign.key'), 'utf8');

    const key = await prepareKey(pem, path.join(root, 'run-temp', 'cosign', 'cosign.key'), log);
    const derived = path.join(root, 'derived.pub');
    await run(STACK_COSIGN, ['public-key', '--key', key.ref, '--outfile', derived], { env, quiet: true });
    await key.dispose();

    expect(readFileSync(derived, 'utf8')).toBe(readFileSync(path.join(keys, 'cosign.pub'), 'utf8'));
    expect(readdirSync(path.join(root, 'run-temp'))).toEqual([]);
  });

  test('the wrong password stops before the registry is touched, and the key file is still removed', async () => {
    const keys = path.join(root, 'keys');
    mkdirSync(keys);
    await run(STACK_COSIGN, ['generate-key-pair'], {
      env: { ...process.env, COSIGN_PASSWORD: 'right-pass' },
      cwd: keys,
      quiet: true
    });
    const work = path.join(root, 'run-temp', 'cosign');
    const failure = signAndVerify({
      cosign: { command: STACK_COSIGN, version: '2.6.1', source: 'path' },
      run,
      log,
      commands: signingSteps({
        mode: 'key',
        image: '127.0.0.1:9/never/reached',
        digest: DIGEST,
        tlog: false,
        keyFile: path.join(work, 'cosign.key'),
        publicKeyFile: path.join(work, 'cosign.pub')
      }),
      workDir: work,
      key: { pem: readFileSync(path.join(keys, 'cosign.key'), 'utf8'), file: path.join(work, 'cosign.key') },
      password: 'wrong-pass',
      env: { ...process.env }
    });

    // cosign public-key fails on the password; sign, which would reach the registry, never runs.
    await expect(failure).rejects.toThrow(/cosign public-key failed with exit code 1:[\s\S]*decrypt/);
    expect(log.infos.filter((l) => l.startsWith('[command]')).map((l) => l.split(' ')[2])).toEqual([
      'generate-key-pair',
      'public-key'
    ]);
    expect(readdirSync(path.join(root, 'run-temp'))).toEqual([]);
  });
});
