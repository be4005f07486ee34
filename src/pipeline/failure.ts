import { ExecError } from '../tools/exec.js';
import { InputError } from '../plan/errors.js';
import { GHCR_PUSH_PERMISSION, LOGIN_ADVICE } from '../plan/hosts.js';
import { registryHost } from '../plan/image.js';
import { RetriesExhausted, withoutCacheImport } from '../tools/retry.js';
import type { BuildFailure } from '../tools/buildx/errors.js';
import { errorText } from '../text.js';
import { PreflightRefused } from './preflight.js';
import { locateInWorkspace } from '../plan/dockerfile.js';

const AUTH = /\b401\b|unauthorized|authentication required|invalid username\/password|incorrect username or password/i;
const DENIED = /\b403\b|forbidden|denied: /i;
/** git, asked for credentials it was not given (a private repository's git context). */
const GIT_AUTH = /could not read Username|Authentication failed for|terminal prompts disabled/i;

/** Whether the docker config holds credentials for a registry host (undefined: cannot tell). */
export type CredentialsKnown = (host: string) => boolean | undefined;

/**
 * One message a user can act on: what failed, where, why, and what to do. Bad input is already
 * phrased; registry refusals and exhausted retries name the registry (or the builder endpoint) and
 * the last error. `credentials` tells a 401 with no credentials at all from refused ones.
 */
export function explainFailure(error: unknown, images: string[], credentials?: CredentialsKnown): string {
  if (error instanceof InputError || error instanceof PreflightRefused) return error.message;
  const message = errorText(error);
  const exec = error instanceof BuildFailed ? error.exec : error instanceof ExecError ? error : undefined;
  // A registry cache that could not be imported is not why a build failed: its lines are left out.
  const text = withoutCacheImport(exec ? `${exec.result.stderr}\n${exec.result.stdout}` : message);
  // The registry that answered is in the failing request's URL (it may be a base image's, not ours).
  const registry =
    /https?:\/\/([^/\s]+)\/v2\//.exec(text)?.[1] ?? (images.length > 0 ? registryHost(images[0]) : 'the registry');
  const remote = /failed to fetch remote (\S+)/.exec(text)?.[1];
  if (remote && GIT_AUTH.test(text))
    return `the git context ${remote.replace(/:$/, '')} was not readable without credentials: a private repository needs github-token (by default the job's token, which needs contents: read), or check the repository out (actions/checkout) and build the workspace.\n${lineMatching(text, GIT_AUTH)}`;
  const login = `Log in to ${registry} before this step (${LOGIN_ADVICE}).`;
  if (AUTH.test(text)) {
    if (credentials?.(registry) === false)
      return `no credentials for ${registry}: it asks for them (401 Unauthorized). ${login}\n${lineMatching(text, AUTH)}`;
    return `${registry} refused the credentials (401 Unauthorized). ${login}\n${lineMatching(text, AUTH)}`;
  }
  if (DENIED.test(text)) {
    return `${registry} denied access (403): the credentials were accepted but may not push to ${images[0] ?? 'this repository'} (on GHCR, give the workflow ${GHCR_PUSH_PERMISSION}).\n${lineMatching(text, DENIED)}`;
  }
  if (error instanceof BuildFailed) return message;
  if (error instanceof RetriesExhausted) {
    const last = errorText(error.last);
    return `${error.what} against ${error.target ?? registry} failed ${error.attempts} times; last error: ${error.lastCause}. No tag was moved unless it points at a complete index.\n${last}`;
  }
  return message;
}

/** The line that says what went wrong, without the build's surrounding output. */
function lineMatching(text: string, re: RegExp): string {
  return (text.split('\n').find((line) => re.test(line)) ?? '').trim();
}

/**
 * A `buildx build` that failed, with what its output says: the message's first line names the
 * platform, the Dockerfile location and the cause; the command's own error follows.
 */
export class BuildFailed extends Error {
  constructor(
    readonly exec: ExecError,
    readonly described: BuildFailure
  ) {
    super(`${described.headline}\n${exec.message}`);
    this.name = 'BuildFailed';
  }
}

/** What the run failed with: the message, and where in the Dockerfile when a build step failed there. */
export class Failure extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number
  ) {
    super(message);
    this.name = 'Failure';
  }
}

/**
 * One `Failure` for any error a run ends with. `dockerfile` says which workspace file a platform
 * builds from: buildx prints only its base name, and the annotation must land on the right file.
 * `credentials` says whether any are configured for a registry (an auth failure then names which).
 */
export function failure(
  error: unknown,
  images: string[],
  {
    dockerfile = () => undefined,
    credentials
  }: { dockerfile?: (platform: string | undefined) => string | undefined; credentials?: CredentialsKnown } = {}
): Failure {
  const where = error instanceof BuildFailed ? error.described : undefined;
  const message = explainFailure(error, images, credentials);
  if (!where?.file) return new Failure(message, where?.file, where?.line);
  const file = locateInWorkspace(where.file, dockerfile(where.platform));
  const printed = `${where.file}:${where.line}: `;
  return new Failure(message.replace(printed, `${file}:${where.line}: `), file, where.line);
}
