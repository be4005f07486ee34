import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError, type InputName } from '../plan/errors.js';
import type { Secret } from '../plan/inputs.js';

/*
 * build-push-action's default context: the git context of the commit the workflow runs for, which
 * BuildKit fetches itself, so a job needs no checkout. Ours stays the workspace (`.`) whenever it
 * holds a checkout; a job without one gets the git context, as build-push-action gives it.
 */

/** Where the run's commit lives on GitHub: GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_SHA and GITHUB_REF. */
export interface GitHubSource {
  serverUrl: string;
  repository: string;
  sha: string;
  ref: string;
}

/** The run's source from the step's environment; undefined outside GitHub (no server, repository or commit). */
export function githubSource(env: NodeJS.ProcessEnv): GitHubSource | undefined {
  const serverUrl = (env.GITHUB_SERVER_URL ?? '').trim().replace(/\/+$/, '');
  const repository = (env.GITHUB_REPOSITORY ?? '').trim();
  const sha = (env.GITHUB_SHA ?? '').trim();
  const ref = (env.GITHUB_REF ?? '').trim();
  if (serverUrl === '' || repository === '' || (sha === '' && ref === '')) return undefined;
  if (!URL.canParse(serverUrl)) return undefined;
  return { serverUrl, repository, sha, ref };
}

/**
 * `<server>/<owner>/<name>.git#<commit>`: the event's commit on every event, as docker/actions-toolkit
 * pins it (0.90 and later, build-push-action v6): on a pull request GITHUB_SHA is the merge
 * commit, which GitHub serves, and naming it keeps the build on the commit the event is for even
 * when refs/pull/N/merge has moved on. Without a commit, the ref.
 */
export function defaultGitContext(source: GitHubSource): string {
  return `${source.serverUrl}/${source.repository}.git#${source.sha || source.ref}`;
}

/** build-push-action's template for the default context: `{{defaultContext}}`, `{{ defaultContext }}`. */
const DEFAULT_CONTEXT = /\{\{\s*defaultContext\s*\}\}/g;

/** `value` with `{{defaultContext}}` replaced by the git context; refused outside GitHub, where there is none. */
export function expandDefaultContext(value: string, input: InputName, source: GitHubSource | undefined): string {
  if (!DEFAULT_CONTEXT.test(value)) return value;
  DEFAULT_CONTEXT.lastIndex = 0;
  if (!source)
    throw new InputError(
      input,
      value,
      'a path or a git URL: {{defaultContext}} is the git context of the GitHub run (GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_SHA), and they are not set'
    );
  return value.replace(DEFAULT_CONTEXT, defaultGitContext(source));
}

/**
 * Whether the workspace holds no checkout for a build that names no context: none of the
 * Dockerfiles the build would read (`file`, or Dockerfile) is there, and no repository (.git) or
 * Dockerfile at its root either, so a mistyped `file` in a checkout keeps its clear refusal.
 */
export function noCheckout(cwd: string, files: string[]): boolean {
  const wanted = (files.length ? files : ['Dockerfile']).filter((f) => f !== '-');
  if (wanted.length === 0) return false;
  return ![...wanted, '.git', 'Dockerfile'].some((f) => existsSync(path.resolve(cwd, f)));
}

/**
 * build-push-action's `github-token` for its git context: the BuildKit secret
 * GIT_AUTH_TOKEN.<host>, which BuildKit sends to that host only. None when the token is empty, the
 * context is not the run's git context, or a GIT_AUTH_TOKEN secret is given already.
 */
export function gitAuthSecret(
  token: string,
  context: string,
  source: GitHubSource | undefined,
  givenIds: string[]
): Secret | undefined {
  // Outside the runner the default is the expression itself: no token.
  if (!source || token === '' || token.startsWith('${{')) return undefined;
  const base = `${source.serverUrl}/${source.repository}.git`;
  if (!context.startsWith(`${base}#`) && context !== base) return undefined;
  const id = `GIT_AUTH_TOKEN.${new URL(source.serverUrl).host}`;
  if (givenIds.some((given) => given === 'GIT_AUTH_TOKEN' || given === id)) return undefined;
  return { id, value: token };
}
