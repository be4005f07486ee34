import { readFileSync } from 'node:fs';
import type { Context, RepoInfo } from '../plan/context.js';
import type { Runner } from '../ports.js';
import { gitCommitDate, parseDate, parseSourceDateEpoch } from './git.js';

/*
 * Where the build runs on GitHub Actions: read once from the environment and the event payload (no API
 * calls) into a plain Context value.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- event payloads are untyped JSON, read defensively */
type Payload = Record<string, any>;

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

/** `NOASSERTION` and `other` are GitHub's "unknown licence", not an SPDX id worth a label. */
function spdx(value: unknown): string | undefined {
  const id = str(value);
  return id && !/^(NOASSERTION|other)$/i.test(id) ? id : undefined;
}

/**
 * The context of a GitHub Actions run: GITHUB_EVENT_NAME, GITHUB_REF, GITHUB_SHA, GITHUB_REPOSITORY,
 * GITHUB_SERVER_URL, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, SOURCE_DATE_EPOCH and the payload at
 * GITHUB_EVENT_PATH. For pull requests the ref is `refs/pull/<n>/merge` (pull_request_target runs on
 * the base branch's ref, which must not give the base branch's tags) and the sha GITHUB_SHA, the head
 * commit's with DOCKER_METADATA_PR_HEAD_SHA=true.
 * The commit date comes from the push payload, else from the checkout in GITHUB_WORKSPACE when it has
 * the commit (for a pull request whose head is not fetched: the merge commit GITHUB_SHA).
 */
export async function contextFromGitHub(env: NodeJS.ProcessEnv, run: Runner): Promise<Context> {
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
    // GITHUB_SHA (the merge commit) as metadata-action, unless the user asks for the head commit.
    if (/^true$/i.test(env.DOCKER_METADATA_PR_HEAD_SHA ?? '')) sha = str(pull.head?.sha) ?? sha;
  }
  // A tag push names the branch it came from in the payload's base_ref: {{base_ref}} reads it.
  const baseRef = ref.startsWith('refs/tags/') ? str(payload.base_ref)?.replace(/^refs\/heads\//, '') : undefined;
  const release: Payload | undefined = payload.release;
  if (ref === '' && str(release?.tag_name)) ref = `refs/tags/${release!.tag_name}`;

  const headCommit: Payload | undefined = payload.head_commit;
  let commitDate =
    headCommit && (!sha || headCommit.id === sha || !headCommit.id) ? parseDate(headCommit.timestamp) : undefined;
  if (!commitDate && env.GITHUB_WORKSPACE) {
    // A pull request's checkout is the merge commit, often without the head's history: its date
    // still agrees across matrix legs, which is what `created` needs.
    for (const candidate of new Set([sha, env.GITHUB_SHA ?? ''])) {
      if (candidate && !commitDate) commitDate = await gitCommitDate(run, env.GITHUB_WORKSPACE, candidate);
    }
  }

  return {
    eventName,
    ref,
    sha,
    repo,
    pr,
    ...(baseRef ? { baseRef } : {}),
    commitDate,
    sourceDateEpoch: parseSourceDateEpoch(env.SOURCE_DATE_EPOCH),
    runId: env.GITHUB_RUN_ID ?? '',
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1'
  };
}
