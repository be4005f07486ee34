import path from 'node:path';
import type { Inputs } from './inputs.js';

/*
 * Where a build's Dockerfile is, as the workspace names it. buildx prints only the Dockerfile's
 * base name (`Dockerfile:4`): in a monorepo (`context: svc/api`) that name lands a failure's
 * annotation on the root Dockerfile, or on nothing. Pure: paths only, no file system.
 */

const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/)|\.git(#.*)?$/i;

/** A context BuildKit fetches itself (a git or HTTP URL), not a directory of the workspace. */
export function isRemoteContext(context: string): boolean {
  return REMOTE.test(context);
}

/**
 * The Dockerfile `platform` builds from (its own `file` line, else `file`, else `Dockerfile` in
 * `context`), relative to `workspace` with `/` separators; undefined for a remote context or a
 * Dockerfile read from stdin, which no workspace file is. `cwd` is what inputs are relative to.
 */
export function dockerfileOf(
  inputs: { build: Pick<Inputs['build'], 'context' | 'file'>; perPlatform: Inputs['perPlatform'] },
  platform: string | undefined,
  cwd: string,
  workspace: string
): string | undefined {
  const { context } = inputs.build;
  const file = (platform ? inputs.perPlatform[platform]?.file : undefined) ?? inputs.build.file;
  if (file === '-' || (!file && isRemoteContext(context))) return undefined;
  const absolute = path.resolve(cwd, file || path.join(context || '.', 'Dockerfile'));
  return path.relative(workspace, absolute).split(path.sep).join('/');
}

/**
 * A build failure's location with the workspace's path: `where.file` is what buildx printed, the
 * Dockerfile's base name; it becomes `dockerfile` when that is the file it names. Another name
 * (a file the Dockerfile does not own) is kept as printed.
 */
export function locateInWorkspace(printed: string, dockerfile: string | undefined): string {
  if (!dockerfile || path.posix.basename(dockerfile) !== printed) return printed;
  return dockerfile;
}
