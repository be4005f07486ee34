/**
 * The attestation and signing inputs: what each value reads as, the cross-checks made before any
 * build, and that the key and its password are masked and never repeated in an error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import type { Inputs } from '../../src/plan/inputs.js';
import { InputError } from '../../src/plan/errors.js';
import { maskSecrets } from '../../src/pipeline/secrets.js';
import { Masker, type Log } from '../../src/ports.js';

const PEM = [
  '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----',
  'eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6OCwicCI6MX0s',
  'InNhbHQiOiJ0ZXN0LXNhbHQtbm90LWEtcmVhbC1rZXkifX0=',
  '-----END ENCRYPTED SIGSTORE PRIVATE KEY-----'
].join('\n');
const KEY_ACCEPTED =
  'the PEM private key from `cosign generate-key-pair` (-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----, from a secret), the path of an existing key file, or a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://)';

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'signing-inputs-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'cosign.key'), `${PEM}\n`);
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function read(given: Record<string, string | undefined>): Inputs {
  const all: Record<string, string | undefined> = { images: 'ghcr.io/octo/app', ...given };
  return readInputs((name) => all[name] ?? '', workspace, nativePlatform('x64', 'linux'));
}

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw new Error(`expected an InputError, got ${String(err)}`);
  }
  throw new Error('expected an InputError, nothing was thrown');
}

describe('signing inputs: good values', () => {
  test.each([
    {
      name: 'defaults: no signing, the transparency log on, cosign v2.6.1',
      given: {},
      expected: { mode: 'false', password: '', tlog: true, cosignVersion: 'v2.6.1' } as Record<string, unknown>
    },
    {
      name: 'keyless',
      given: { sign: 'keyless' },
      expected: { mode: 'keyless', password: '', tlog: true, cosignVersion: 'v2.6.1' }
    },
    {
      name: 'key as PEM text with a password, no transparency log',
      given: { sign: 'key', 'sign-key': `\n${PEM}\n`, 'sign-key-password': 'pw 1', 'sign-tlog': 'false' },
      expected: { mode: 'key', keyPem: PEM, password: 'pw 1', tlog: false, cosignVersion: 'v2.6.1' }
    },
    {
      name: 'key as a path relative to the workspace',
      given: { sign: 'key', 'sign-key': 'cosign.key', 'cosign-version': '2.5.0' },
      expected: { mode: 'key', keyRef: 'WORKSPACE/cosign.key', password: '', tlog: true, cosignVersion: '2.5.0' }
    },
    {
      name: 'key as a KMS URI',
      given: { sign: 'key', 'sign-key': 'gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k' },
      expected: {
        mode: 'key',
        keyRef: 'gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k',
        password: '',
        tlog: true,
        cosignVersion: 'v2.6.1'
      }
    },
    {
      name: 'a merge signs (it always publishes)',
      given: { mode: 'merge', platforms: 'linux/amd64', push: 'false', sign: 'keyless' },
      expected: { mode: 'keyless', password: '', tlog: true, cosignVersion: 'v2.6.1' }
    }
  ])('$name', ({ given, expected }) => {
    const want =
      'keyRef' in expected
        ? { ...expected, keyRef: String(expected.keyRef).replace('WORKSPACE', workspace) }
        : expected;
    expect(read(given).signing).toEqual(want);
  });

  test.each([
    { name: 'default', given: {}, expected: 'oci-artifact' },
    { name: 'reference', given: { 'attestation-format': 'reference' }, expected: 'reference' }
  ])('attestation-format $name', ({ given, expected }) => {
    expect(read(given).attestationFormat).toBe(expected);
  });
});

describe('signing inputs: bad values, before any build', () => {
  test.each([
    {
      name: 'sign is not a mode',
      given: { sign: 'true' },
      message: 'input "sign": "true" is not accepted; expected one of false, keyless, key'
    },
    {
      name: 'sign without push',
      given: { sign: 'key', 'sign-key': 'cosign.key', push: 'false' },
      message:
        'input "sign": "key" is not accepted; expected false when push is false (only a pushed image can be signed)'
    },
    {
      name: 'sign: key without sign-key',
      given: { sign: 'key' },
      message: `input "sign-key": "" is not accepted; expected with sign: key, ${KEY_ACCEPTED}`
    },
    {
      name: 'a sign-key path that does not exist is not repeated (it may be a mangled key)',
      given: { sign: 'key', 'sign-key': 'c2VjcmV0LWtleS1ieXRlcw==' },
      message: `input "sign-key": "(not shown: no such file, and not a PEM key or a KMS URI)" is not accepted; expected ${KEY_ACCEPTED}`
    },
    {
      name: 'PEM text that is not a private key is not repeated',
      given: {
        sign: 'key',
        'sign-key': '-----BEGIN PUBLIC KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PUBLIC KEY-----'
      },
      message: `input "sign-key": "(key material, not shown)" is not accepted; expected ${KEY_ACCEPTED}`
    },
    {
      name: 'a key with sign: keyless',
      given: { sign: 'keyless', 'sign-key': 'cosign.key' },
      message:
        'input "sign-key": "(not shown)" is not accepted; expected empty with sign: keyless (a key is used only with sign: key)'
    },
    {
      name: 'sign-tlog is not a boolean',
      given: { 'sign-tlog': 'off' },
      message: 'input "sign-tlog": "off" is not accepted; expected true or false'
    },
    {
      name: 'cosign-version is not a release',
      given: { 'cosign-version': 'latest' },
      message: 'input "cosign-version": "latest" is not accepted; expected a cosign release version like v2.6.1'
    },
    {
      name: 'attestation-format is not a form BuildKit writes',
      given: { 'attestation-format': 'oci' },
      message: 'input "attestation-format": "oci" is not accepted; expected one of oci-artifact, reference'
    }
  ])('$name', ({ given, message }) => {
    const error = errorOf(() => read(given));
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('c2VjcmV0LWtleS1ieXRlcw');
  });
});

describe('the key and its password are masked as soon as they are read', () => {
  function recordingLog(): Log & { masked: string[] } {
    const masked: string[] = [];
    return {
      masked,
      info: () => undefined,
      warning: () => undefined,
      debug: () => undefined,
      group: (_name, fn) => fn(),
      setSecret: (value) => void masked.push(value)
    };
  }

  test.each([
    {
      name: 'PEM text, whole and line by line, and the password',
      given: { sign: 'key', 'sign-key': PEM, 'sign-key-password': 'pass-phrase-1' },
      masked: [PEM, ...PEM.split('\n'), 'pass-phrase-1']
    },
    {
      name: 'a path names the key and stays readable; the password is masked',
      given: { sign: 'key', 'sign-key': 'cosign.key', 'sign-key-password': 'pass-phrase-1' },
      masked: ['pass-phrase-1']
    },
    { name: 'no signing: nothing', given: {}, masked: [] }
  ])('$name', async ({ given, masked }) => {
    const log = recordingLog();
    const masker = new Masker();
    await maskSecrets(read(given), { env: {}, cwd: workspace }, masker, log);
    expect(log.masked).toEqual(masked);
    for (const value of masked) expect(masker.mask(`x ${value} y`)).not.toContain(value);
  });
});
