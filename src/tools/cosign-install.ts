/**
 * Installs a cosign release: loaded by setupCosign only when no cosign is on the PATH, so the
 * installer's clients (tool cache, Actions cache) stay out of the bundle's main chunk.
 */
import type { RunResult } from '../ports.js';
import { InputError } from '../plan/errors.js';
import { errorText } from '../text.js';
import { hostPlatform, installRelease } from './buildx/install.js';
import {
  cosignAsset,
  DEFAULT_COSIGN_BASE,
  parseCosignVersion,
  type Cosign,
  type CosignInstallOptions,
  type CosignSource
} from './cosign-release.js';

const TOOL = 'cosign';
const CHECKSUMS = 'cosign_checksums.txt';

/**
 * Installs a cosign release the way buildx is installed (tools/buildx/install.ts): the tool
 * cache, then the Actions cache, then the release host; anything downloaded or restored must match
 * the release's cosign_checksums.txt first, and a binary that cannot be verified is never installed.
 */
export async function installCosign(options: CosignInstallOptions): Promise<Cosign> {
  const input = options.input ?? 'cosign-version';
  const match = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(options.version.trim());
  if (!match) throw new InputError(input, options.version, 'a cosign release version like v2.6.1');
  const tag = `v${match[1]}`;
  const platform = options.platform ?? hostPlatform();
  const asset = cosignAsset(platform);
  const { binary, source } = await installRelease(
    {
      tool: TOOL,
      tag,
      input,
      version: options.version,
      base: options.base || DEFAULT_COSIGN_BASE,
      asset,
      binName: platform.os === 'windows' ? 'cosign.exe' : 'cosign',
      checksums: CHECKSUMS,
      unlisted: `Install cosign on the PATH before this step, or pick a version whose release has ${asset}.`
    },
    { ...options, platform }
  );
  return confirm(binary, tag, source, options);
}

async function confirm(
  binary: string,
  tag: string,
  source: CosignSource,
  options: CosignInstallOptions
): Promise<Cosign> {
  let result: RunResult;
  try {
    result = await options.run(binary, ['version'], { quiet: true });
  } catch (error) {
    throw new Error(`cosign ${tag} at ${binary} does not run: ${errorText(error)}`, { cause: error });
  }
  const version = parseCosignVersion(`${result.stdout}\n${result.stderr}`);
  if (version !== 'unknown' && `v${version}` !== tag)
    options.log.warning(`${binary} reports cosign ${version}, not the requested ${tag}`);
  return { command: binary, version, source };
}
