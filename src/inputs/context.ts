import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import semver from 'semver';
import type { Context, RepoInfo } from '../plan/context.js';
import { InputError } from '../plan/errors.js';

/*
 * Where the build runs, read once into a plain Context value: from the GitHub Actions environment and
 * event payload (no API calls), or from a local git checkout for builds outside GitHub.
 */

const execFileAsync = promisify(execFile);

/* eslint-disable @typescript-eslint/no-explicit-any -- event payloads are untyped JSON, read defensively */
type Payload = Record<string, any>;

/** `SOURCE_DATE_EPOCH` (whole seconds since 1970, https://reproducible-builds.org/specs/source-date-epoch/). */
export function parseSourceDateEpoch(value: string | undefined): Date | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d+$/.test(value.trim()))
    throw new InputError('SOURCE_DATE_EPOCH', value, 'a whole number of seconds since 1970-01-01T00:00:00Z');
  return new Date(Number(value.trim()) * 1000);
}

function readPayload(file: string | undefined): Payload {
  if (!file) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Payload) : {};
  } catch (err) {
    throw new Error(`cannot read the event payload GITHUB_EVENT_PATH=${file}: ${(err as Error).message}`);
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function date(value: unknown): Date | undefined {
  const text = str(value);
  if (!text) return undefined;
  const parsed = new Date(text);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** `NOASSERTION` and `other` are GitHub's "unknown licence", not an SPDX id worth a label. */
function spdx(value: unknown): string | undefined {
  const id = str(value);
  return id && !/^(NOASSERTION|other)$/i.test(id) ? id : undefined;
}

/**
 * The context of a GitHub Actions run: GITHUB_EVENT_NAME, GITHUB_REF, GITHUB_SHA, GITHUB_REPOSITORY,
 * GITHUB_SERVER_URL, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, SOURCE_DATE_EPOCH and the payload at
 * GITHUB_EVENT_PATH. For pull requests the ref is `refs/pull/<n>/merge` (pull_request_target runs on
 * the base branch's ref, which must not give the base branch's tags) and the sha the head commit's.
 * The commit date comes from the push payload, else from the checkout in GITHUB_WORKSPACE when it has
 * the commit (for a pull request whose head is not fetched: the merge commit GITHUB_SHA).
 */
export function contextFromGitHub(env: NodeJS.ProcessEnv): Context {
  const payload = readPayload(env.GITHUB_EVENT_PATH);
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  const repository: Payload = payload.repository ?? {};
  const fullName = str(env.GITHUB_REPOSITORY) ?? str(repository.full_name) ?? '';
  const server = (str(env.GITHUB_SERVER_URL) ?? 'https://github.com').replace(/\/+$/, '');
  const repo: RepoInfo = {
    fullName,
    htmlUrl: str(repository.html_url) ?? (fullName ? `${server}/${fullName}` : ''),
    description: str(repository.description),
    license: spdx(repository.license?.spdx_id),
    defaultBranch: str(repository.default_branch)
  };

  let ref = env.GITHUB_REF ?? '';
  let sha = env.GITHUB_SHA ?? '';
  let pr: Context['pr'];
  const pull: Payload | undefined = payload.pull_request;
  if (pull && typeof pull.number === 'number') {
    pr = { number: pull.number, baseRef: str(pull.base?.ref) ?? '', headRef: str(pull.head?.ref) ?? '' };
    // A fork's head repository differs from the base's (null when the fork was deleted).
    const head = pull.head?.repo === null ? null : str(pull.head?.repo?.full_name);
    if (head !== undefined) pr.fork = head !== (str(pull.base?.repo?.full_name) ?? fullName);
    if (!ref.startsWith('refs/pull/')) ref = `refs/pull/${pull.number}/merge`;
    sha = str(pull.head?.sha) ?? sha;
  }
  const release: Payload | undefined = payload.release;
  if (ref === '' && str(release?.tag_name)) ref = `refs/tags/${release!.tag_name}`;

  const headCommit: Payload | undefined = payload.head_commit;
  let commitDate =
    headCommit && (!sha || headCommit.id === sha || !headCommit.id) ? date(headCommit.timestamp) : undefined;
  if (!commitDate && env.GITHUB_WORKSPACE) {
    // A pull request's checkout is the merge commit, often without the head's history: its date
    // still agrees across matrix legs, which is what `created` needs.
    for (const candidate of new Set([sha, env.GITHUB_SHA ?? ''])) {
      commitDate ??= candidate ? gitCommitDateSync(env.GITHUB_WORKSPACE, candidate) : undefined;
    }
  }

  return {
    eventName,
    ref,
    sha,
    repo,
    pr,
    commitDate,
    sourceDateEpoch: parseSourceDateEpoch(env.SOURCE_DATE_EPOCH),
    runId: env.GITHUB_RUN_ID ?? '',
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1'
  };
}

/** The commit's date from a checkout, or undefined when git or the commit is not there (shallow clones). */
function gitCommitDateSync(dir: string, sha: string): Date | undefined {
  try {
    const out = execFileSync('git', ['-C', dir, 'log', '-1', '--format=%cI', sha, '--'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore']
    });
    return date(out.trim());
  } catch {
    return undefined;
  }
}

async function git(dir: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024
  });
  return stdout.trim();
}

async function gitMaybe(dir: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await git(dir, args);
    return out === '' ? undefined : out;
  } catch {
    return undefined;
  }
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

/**
 * The context of a local checkout, for builds outside GitHub, shaped like the matching GitHub event:
 * - on a branch: `refs/heads/<branch>` (as a push to that branch);
 * - detached at a tagged commit (`git checkout v1.2.3`): `refs/tags/<tag>` (as the tag push),
 *   the highest semver tag when several point there;
 * - detached elsewhere: the branch whose tip is HEAD (local, then origin/*), else no ref (sha tag only).
 * GITHUB_REF in `env` overrides the ref for CI systems that check out detached commits.
 * Repository name and web address from `remote.origin.url`; default branch from
 * `refs/remotes/origin/HEAD`, else `main`. Throws when `dir` is not a git work tree.
 */
export async function contextFromGit(dir: string, env: NodeJS.ProcessEnv = {}): Promise<Context> {
  let sha: string;
  try {
    sha = await git(dir, ['rev-parse', '--verify', 'HEAD^{commit}']);
  } catch (err) {
    throw new Error(
      `${dir} is not a git checkout with a commit (git rev-parse HEAD failed: ${(err as Error).message.split('\n')[0]})`
    );
  }

  let ref = str(env.GITHUB_REF) ?? '';
  if (!ref) {
    const branch = await gitMaybe(dir, ['symbolic-ref', '--quiet', 'HEAD']);
    if (branch) {
      ref = branch;
    } else {
      const tags = (await gitMaybe(dir, ['tag', '--points-at', 'HEAD']))?.split('\n') ?? [];
      const tag = pickTag(tags);
      if (tag) {
        ref = `refs/tags/${tag}`;
      } else {
        const heads =
          (
            await gitMaybe(dir, [
              'for-each-ref',
              '--points-at',
              'HEAD',
              '--format=%(refname)',
              'refs/heads',
              'refs/remotes/origin'
            ])
          )?.split('\n') ?? [];
        const local = heads.find((h) => h.startsWith('refs/heads/'));
        const remote = heads.find((h) => h.startsWith('refs/remotes/origin/') && h !== 'refs/remotes/origin/HEAD');
        if (local) ref = local;
        else if (remote) ref = `refs/heads/${remote.slice('refs/remotes/origin/'.length)}`;
      }
    }
  }

  const remoteUrl = await gitMaybe(dir, ['config', '--get', 'remote.origin.url']);
  const htmlUrl = remoteUrl ? remoteToHttps(remoteUrl) : undefined;
  const fullName = htmlUrl ? new URL(htmlUrl).pathname.replace(/^\//, '') : path.basename(path.resolve(dir));
  const originHead = await gitMaybe(dir, ['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD']);
  const defaultBranch = originHead ? originHead.replace(/^refs\/remotes\/origin\//, '') : 'main';
  const commitDate = date(await gitMaybe(dir, ['log', '-1', '--format=%cI', 'HEAD']));

  return {
    eventName: 'git',
    ref,
    sha,
    repo: { fullName, htmlUrl: htmlUrl ?? '', defaultBranch },
    commitDate,
    sourceDateEpoch: parseSourceDateEpoch(env.SOURCE_DATE_EPOCH),
    runId: env.GITHUB_RUN_ID ?? `local-${Date.now().toString(36)}`,
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1'
  };
}
