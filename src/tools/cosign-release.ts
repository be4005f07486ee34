/**
 * What cosign's releases look like (version output, asset names) and the types shared by finding
 * cosign (tools/cosign.ts) and installing it (tools/cosign-install.ts, loaded only when needed).
 */
// Types only: importing the installer's values would pull the tool-cache and Actions-cache
// clients into the bundle's main chunk.
import type { InputName } from '../plan/errors.js';
import type { ReleaseInstallOptions, ReleasePlatform, ReleaseSource } from './buildx/install.js';

/** The version installed when none is on the PATH: the one the project is tested with. */
export const DEFAULT_COSIGN_VERSION = 'v2.6.1';
export const DEFAULT_COSIGN_BASE = 'https://github.com/sigstore/cosign/releases/download';

export type CosignSource = 'path' | ReleaseSource;

export interface Cosign {
  command: string;
  /** Semver without the "v", or "unknown" for a build with no version stamp. */
  version: string;
  source: CosignSource;
}

/** The version in `cosign version` output (`GitVersion:    v2.6.1`), without its "v". */
export function parseCosignVersion(output: string): string {
  const match = /^GitVersion:\s+v?(\d+\.\d+\.\d+[-+0-9A-Za-z.]*)\s*$/m.exec(output);
  return match ? match[1] : 'unknown';
}

/** The release asset for a platform: `cosign-linux-amd64`, `cosign-linux-arm` (v7), `cosign-windows-amd64.exe`. */
export function cosignAsset(platform: ReleasePlatform): string {
  // cosign publishes one 32-bit arm build, for v7, named by the bare architecture.
  const arch = platform.arch.startsWith('arm-') ? 'arm' : platform.arch;
  return `cosign-${platform.os}-${arch}${platform.os === 'windows' ? '.exe' : ''}`;
}

export interface CosignInstallOptions extends ReleaseInstallOptions {
  /** The input the version came from, for error messages. */
  input?: InputName;
}
