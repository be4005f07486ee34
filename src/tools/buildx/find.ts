import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Runner } from '../../ports.js';
import { errorText, lastLines } from '../../text.js';

/**
 * How to invoke buildx: `command ...prefix <subcommand>`. As a docker CLI plugin that is
 * `docker buildx …`; as a standalone or freshly installed binary, the binary itself.
 */
export interface BuildxBin {
  command: string;
  prefix: string[];
  /** Semver without the leading "v" (e.g. "0.36.1"), or "unknown" for a build with no version stamp. */
  version: string;
}

/** Where a buildx came from: found on the machine, or installed by the action. */
export type BuildxSource = 'tool-cache' | 'actions-cache' | 'download' | 'installed';

export interface InstalledBuildx extends BuildxBin {
  source: BuildxSource;
}

/**
 * The version in `buildx version` output (`github.com/docker/buildx v0.36.1 3f1a…`) without its
 * "v". A build with no version stamp says `v0.0.0+unknown`; that, or no version at all, is
 * "unknown" rather than an error, so an unstamped build still works.
 */
export function parseBuildxVersion(output: string): string {
  const match = /(?:^|\s)v?(\d+)\.(\d+)\.(\d+)((?:[-+][0-9A-Za-z.+-]*)?)(?=\s|$)/m.exec(output);
  if (!match) return 'unknown';
  const [, major, minor, patch, suffix] = match;
  if (Number(major) === 0 && Number(minor) === 0 && Number(patch) === 0) return 'unknown';
  return `${major}.${minor}.${patch}${suffix}`;
}

/**
 * The buildx already on the machine: the docker CLI plugin if `docker buildx version` answers,
 * else a standalone `buildx` on PATH. Throws, saying what to set, when neither is there.
 */
export async function findBuildx(run: Runner, env: NodeJS.ProcessEnv): Promise<InstalledBuildx> {
  const candidates: Array<Omit<BuildxBin, 'version'>> = [
    // The plugin binary run directly is buildx standalone, and skips ~0.3 s of docker CLI start-up per call.
    ...pluginPaths(env).map((command) => ({ command, prefix: [] })),
    { command: 'docker', prefix: ['buildx'] },
    { command: 'buildx', prefix: [] }
  ];
  const tried: string[] = [];
  for (const candidate of candidates) {
    const shown = [candidate.command, ...candidate.prefix, 'version'].join(' ');
    try {
      const result = await run(candidate.command, [...candidate.prefix, 'version'], {
        env,
        allowFailure: true,
        quiet: true
      });
      if (result.code === 0) return { ...candidate, version: parseBuildxVersion(result.stdout), source: 'installed' };
      tried.push(`\`${shown}\` exited with code ${result.code}${tail(result.stderr || result.stdout)}`);
    } catch (error) {
      tried.push(`\`${shown}\` could not start${tail(errorText(error))}`);
    }
  }
  throw new Error(
    `buildx is not installed: ${tried.join('; ')}. Set the buildx-version input (for example buildx-version: v0.36.1) ` +
      'to install a release, or install buildx as a docker CLI plugin before this step.'
  );
}

/** Where the docker CLI looks for its buildx plugin, the existing executables first-found first. */
function pluginPaths(env: NodeJS.ProcessEnv): string[] {
  const dirs = [
    env.DOCKER_CONFIG && path.join(env.DOCKER_CONFIG, 'cli-plugins'),
    env.HOME && path.join(env.HOME, '.docker', 'cli-plugins'),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins'
  ].filter((d): d is string => !!d);
  return [...new Set(dirs)]
    .map((d) => path.join(d, 'docker-buildx'))
    .filter((file) => {
      try {
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

function tail(text: string): string {
  const last = lastLines(text, 1).trim();
  return last ? ` (${last.slice(0, 200)})` : '';
}
