import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../plan/errors.js';
import type { Mode, Signing } from '../plan/inputs.js';
import { KMS_URI, isKeyMaterial, isPemPrivateKey } from '../plan/sign.js';
import { bool, oneOf, type Raw } from './raw.js';

/* `sign` and the inputs that go with it. */

const KEY_ACCEPTED =
  'the PEM private key from `cosign generate-key-pair` (-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----, from a secret), the path of an existing key file, or a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://)';

/**
 * `sign` and its companions. sign-key and sign-key-password are secrets: no error here repeats
 * them (a value that is neither a path nor a URI may be a mangled key).
 */
export function readSigning(raw: Raw, mode: Mode, push: boolean, cwd: string, pushNote = ''): Signing {
  const signMode = oneOf(raw.get('sign'), 'sign', ['false', 'keyless', 'key'] as const);
  const tlog = bool(raw.get('sign-tlog'), 'sign-tlog');
  const cosignVersion = raw.get('cosign-version');
  if (!/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(cosignVersion))
    throw new InputError('cosign-version', cosignVersion, 'a cosign release version like v2.6.1');
  const password = raw.exact('sign-key-password');
  const signing: Signing = { mode: signMode, password, tlog, cosignVersion };
  if (signMode === 'false') return signing;
  // push left to its default, which is off here (a pull request): nothing is pushed, so nothing is
  // signed, and the same workflow signs on its pushes to the branch.
  if (!push && pushNote !== '' && mode !== 'merge') return { ...signing, mode: 'false' };
  // Signing is by the digest the registry holds: nothing pushed, nothing to sign.
  if (!push && mode !== 'merge')
    throw new InputError('sign', signMode, 'false when push is false (only a pushed image can be signed)');
  const key = raw.exact('sign-key').trim();
  if (signMode === 'keyless') {
    if (key !== '')
      throw new InputError('sign-key', '(not shown)', 'empty with sign: keyless (a key is used only with sign: key)');
    return signing;
  }
  if (key === '') throw new InputError('sign-key', '', `with sign: key, ${KEY_ACCEPTED}`);
  if (isKeyMaterial(key)) {
    if (!isPemPrivateKey(key)) throw new InputError('sign-key', '(key material, not shown)', KEY_ACCEPTED);
    return { ...signing, keyPem: key };
  }
  if (KMS_URI.test(key)) return { ...signing, keyRef: key };
  const file = path.resolve(cwd, key);
  if (!existsSync(file) || !statSync(file).isFile())
    throw new InputError('sign-key', '(not shown: no such file, and not a PEM key or a KMS URI)', KEY_ACCEPTED);
  return { ...signing, keyRef: file };
}
