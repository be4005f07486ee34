import path from 'node:path';
import semver from 'semver';
import type { Context } from '../plan/context.js';
import { InputError } from '../plan/errors.js';
import type { Runner } from '../ports.js';
import { ciContext } from './ci.js';

/*
 * Where the build runs when it runs outside GitHub: read from the local git checkout, through the
 * process seam (the pipeline passes its runner; nothing here starts a process of its own).
 */

/** `SOURCE_DATE_EPOCH` (whole seconds since 1970, https://reproducible-builds.org/specs/source-date-epoch/). */
export function parseSourceDateEpoch(value: string | undefined): Date | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d+$/.test(value.trim()))
    throw new InputError('SOURCE_DATE_EPOCH', value, 'a whole number of seconds since 1970-01-01T00:00:00Z');
  return new Date(Number(value.trim()) * 1000);
}

/** An ISO date as git or an event payload prints it; undefined when absent or unreadable. */
export function parseDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** One git command in `dir`, quiet; its trimmed output, or undefined when it fails or prints nothing. */
async function gitMaybe(run: Runner, dir: string, args: string[]): Promise<string | undefined> {
  const result = await run('git', ['-C', dir, ...args], { quiet: true, allowFailure: true });
  const out = result.stdout.trim();
  return result.code === 0 && out !== '' ? out : undefined;
}

/** The commit's date from a checkout, or undefined when git or the commit is not there (shallow clones). */
export async function gitCommitDate(run: Runner, dir: string, sha: string): Promise<Date | undefined> {
  return parseDate(await gitMaybe(run, dir, ['log', '-1', '--format=%cI', sha, '--']));
}

/**
 * A remote's web address: `git@host:o/r.git`, `ssh://git@host:22/o/r.git` and
 * `https://user:token@host/o/r.git` all give `https://host/o/r` (credentials are never kept).
 * Undefined for local paths and unknown forms.
 */
export function remoteToHttps(url: string): string | undefined {
  const trimmed = url.trim();
  let host: string;
  let repoPath: string;
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.+)$/.exec(trimmed);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    let parsed: URL;
    try {
      parsed = new URL(trimmed);
    } catch {
      return undefined;
    }
    if (parsed.protocol === 'file:') return undefined;
    const web = parsed.protocol === 'http:' || parsed.protocol === 'https:';
    host = web ? parsed.host : parsed.hostname;
    repoPath = parsed.pathname;
  } else if (scp) {
    host = scp[1];
    repoPath = scp[2];
  } else {
    return undefined;
  }
  repoPath = repoPath
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  if (!host || !repoPath) return undefined;
  return `https://${host.toLowerCase()}/${repoPath}`;
}

/** Picks the tag a tag push would have built: the highest semver tag, else the first by name. */
function pickTag(tags: string[]): string | undefined {
  const versions = tags.filter((t) => semver.valid(t) !== null).sort((a, b) => semver.rcompare(a, b));
  return versions[0] ?? [...tags].sort()[0];
}

const lines = (text: string | undefined): string[] => text?.split('\n').filter((line) => line !== '') ?? [];

/**
 * The context of a local checkout, for builds outside GitHub, shaped like the matching GitHub event:
 * - on a branch: `refs/heads/<branch>` (as a push to that branch);
 * - detached at a tagged commit (`git checkout v1.2.3`): `refs/tags/<tag>` (as the tag push),
 *   the highest semver tag when several point there;
 * - detached elsewhere: the branch whose tip is HEAD (local, then origin/*), else no ref (sha tag only).
 * A commit that is both a local branch's tip and tagged gets both refs (`ref` and `extraRefs`): the
 * natural release on a laptop (commit on main, `git tag v3.0.1`, run) publishes what the branch push
 * and the tag push would have published together.
 * GITHUB_REF in `env` overrides the ref (and no other ref is added). Under another CI (GitLab,
 * Buildkite, Woodpecker, Drone, Jenkins: see ci.ts), whose checkout is detached, that CI's variables
 * give the ref (branch, tag or merge request), the commit, the run id, the default branch and the
 * repository; git fills in what they leave out. `dirty` says whether the work tree has changes git
 * would not build from HEAD.
 * Repository name and web address from `remote.origin.url`; default branch from
 * `refs/remotes/origin/HEAD`, else `main`. `source` (the command line's --ref and --revision) wins
 * over all of these. A directory without git (a source tarball, a CI that drops `.git`) is no
 * error: see contextWithoutGit.
 */
export async function contextFromGit(
  dir: string,
  env: NodeJS.ProcessEnv,
  run: Runner,
  source: GivenSource = {}
): Promise<Context> {
  const head = await run('git', ['-C', dir, 'rev-parse', '--verify', 'HEAD^{commit}'], {
    quiet: true,
    allowFailure: true
  });
  const sha = head.stdout.trim();
  if (head.code !== 0 || sha === '') return contextWithoutGit(dir, env, source);

  const given = source.ref ?? env.GITHUB_REF ?? '';
  const ci = ciContext(env);
  let ref = given || (ci?.ref ?? '');
  const extraRefs: string[] = [];
  if (!ref) {
    const branch = await gitMaybe(run, dir, ['symbolic-ref', '--quiet', 'HEAD']);
    const tag = pickTag(lines(await gitMaybe(run, dir, ['tag', '--points-at', 'HEAD'])));
    const tips = lines(
      await gitMaybe(run, dir, [
        'for-each-ref',
        '--points-at',
        'HEAD',
        '--format=%(refname)',
        'refs/heads',
        'refs/remotes/origin'
      ])
    );
    const localTip = tips.find((h) => h.startsWith('refs/heads/'));
    if (branch) {
      ref = branch;
      if (tag) extraRefs.push(`refs/tags/${tag}`);
    } else if (tag) {
      ref = `refs/tags/${tag}`;
      if (localTip) extraRefs.push(localTip);
    } else {
      const remote = tips.find((h) => h.startsWith('refs/remotes/origin/') && h !== 'refs/remotes/origin/HEAD');
      if (localTip) ref = localTip;
      else if (remote) ref = `refs/heads/${remote.slice('refs/remotes/origin/'.length)}`;
    }
  }

  const remoteUrl = ci?.htmlUrl ?? (await gitMaybe(run, dir, ['config', '--get', 'remote.origin.url']));
  const htmlUrl = remoteUrl ? remoteToHttps(remoteUrl) : undefined;
  const fullName =
    ci?.fullName ?? (htmlUrl ? new URL(htmlUrl).pathname.replace(/^\//, '') : path.basename(path.resolve(dir)));
  const originHead = await gitMaybe(run, dir, ['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD']);
  const defaultBranch = ci?.defaultBranch ?? (originHead ? originHead.replace(/^refs\/remotes\/origin\//, '') : 'main');
  const commitSha = source.revision ?? ci?.sha ?? sha;
  const commitDate = ci?.commitDate ?? (await gitCommitDate(run, dir, commitSha));
  // Untracked files count: a build context with `COPY . .` takes them in.
  const dirty = (await gitMaybe(run, dir, ['status', '--porcelain', '--untracked-files=normal'])) !== undefined;

  return {
    eventName: given || !ci ? 'git' : ci.eventName,
    ref,
    ...(extraRefs.length > 0 ? { extraRefs } : {}),
    sha: commitSha,
    repo: { fullName, htmlUrl: htmlUrl ?? '', defaultBranch },
    ...(ci?.pr && !given ? { pr: ci.pr } : {}),
    ...(ci ? { ci: ci.name } : {}),
    commitDate,
    sourceDateEpoch: parseSourceDateEpoch(env.SOURCE_DATE_EPOCH),
    runId: env.GITHUB_RUN_ID ?? ci?.runId ?? `local-${Date.now().toString(36)}`,
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    dirty
  };
}

/** The command line's --ref and --revision: what git would say, given by hand. */
export interface GivenSource {
  ref?: string;
  revision?: string;
}

/**
 * A directory that is no git checkout: the ref and commit come from --ref and --revision, else
 * GITHUB_REF and GITHUB_SHA, else the CI's variables; when none gives the commit, `sha` is empty
 * and only what needs it (type=sha, {{sha}}) is refused, later, naming --revision. The repository
 * is the CI's, else the directory's name.
 */
function contextWithoutGit(dir: string, env: NodeJS.ProcessEnv, source: GivenSource): Context {
  const ci = ciContext(env);
  const given = source.ref ?? env.GITHUB_REF ?? '';
  const envSha = /^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(env.GITHUB_SHA ?? '')
    ? env.GITHUB_SHA!.toLowerCase()
    : undefined;
  const htmlUrl = ci?.htmlUrl ? remoteToHttps(ci.htmlUrl) : undefined;
  return {
    eventName: given || !ci ? 'git' : ci.eventName,
    ref: given || (ci?.ref ?? ''),
    sha: source.revision ?? envSha ?? ci?.sha ?? '',
    repo: {
      fullName:
        ci?.fullName ?? (htmlUrl ? new URL(htmlUrl).pathname.replace(/^\//, '') : path.basename(path.resolve(dir))),
      htmlUrl: htmlUrl ?? '',
      defaultBranch: ci?.defaultBranch ?? 'main'
    },
    ...(ci?.pr && !given ? { pr: ci.pr } : {}),
    ...(ci ? { ci: ci.name } : {}),
    commitDate: ci?.commitDate,
    sourceDateEpoch: parseSourceDateEpoch(env.SOURCE_DATE_EPOCH),
    runId: env.GITHUB_RUN_ID ?? ci?.runId ?? `local-${Date.now().toString(36)}`,
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    noGit: true
  };
}
