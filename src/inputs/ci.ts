/*
 * Where the command line runs when a CI other than GitHub Actions runs it: read from that CI's own
 * variables, because its checkout is a detached HEAD and git alone cannot tell a branch build from
 * a tag build or a merge request. Pure: a function of the environment.
 *
 * env-ci (semantic-release's normaliser) was weighed and not used: for GitLab it gives the
 * instance-wide CI_MERGE_REQUEST_ID where the tag must be the project's `!42` (the IID), it
 * ignores Jenkins' TAG_NAME (a tag build reads as a branch named after the tag), it starts git
 * synchronously outside the process seam, and it has no default branch, commit time or registry
 * image, which would have to be read here anyway.
 */

/** What a CI's variables say about the build; every field absent when that CI does not say. */
export interface CiContext {
  /** The CI's name, for the log. */
  name: string;
  eventName: 'push' | 'pull_request' | 'schedule';
  /** refs/heads/<branch>, refs/tags/<tag> or refs/pull/<n>/merge (a merge or pull request). */
  ref?: string;
  sha?: string;
  pr?: { number: number; baseRef: string; headRef: string; fork?: boolean };
  defaultBranch?: string;
  commitDate?: Date;
  /** One pipeline's id: every matrix leg of the pipeline and its merge share it. */
  runId?: string;
  /** owner/name (GitLab: group/subgroup/name). */
  fullName?: string;
  htmlUrl?: string;
  /** The image a pipeline pushes to when no `images` is given (GitLab's CI_REGISTRY_IMAGE). */
  image?: string;
}

type Env = NodeJS.ProcessEnv;

/** A value that is set and not empty. */
function val(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A full commit sha (Buildkite's BUILDKITE_COMMIT may be `HEAD` before its checkout resolves it). */
function sha(value: string | undefined): string | undefined {
  return value && /^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(value) ? value.toLowerCase() : undefined;
}

function date(value: string | undefined): Date | undefined {
  const parsed = value ? new Date(value) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined;
}

function number(value: string | undefined): number | undefined {
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

interface Fields {
  tag?: string;
  branch?: string;
  pr?: number;
  baseRef?: string;
  headRef?: string;
  fork?: boolean;
  scheduled?: boolean;
}

/** The ref and event of a build: a tag wins over a merge request, which wins over a branch. */
function refOf(f: Fields): Pick<CiContext, 'ref' | 'eventName' | 'pr'> {
  if (f.tag) return { ref: `refs/tags/${f.tag}`, eventName: 'push' };
  if (f.pr !== undefined) {
    const pr = { number: f.pr, baseRef: f.baseRef ?? '', headRef: f.headRef ?? f.branch ?? '' };
    return {
      ref: `refs/pull/${f.pr}/merge`,
      eventName: 'pull_request',
      pr: f.fork === undefined ? pr : { ...pr, fork: f.fork }
    };
  }
  const eventName = f.scheduled ? 'schedule' : 'push';
  return f.branch ? { ref: `refs/heads/${f.branch}`, eventName } : { eventName };
}

/** Drops the fields a CI left undefined, so a caller's fallbacks apply with `??`. */
function defined(context: CiContext): CiContext {
  return Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined)) as unknown as CiContext;
}

/** https://docs.gitlab.com/ci/variables/predefined_variables/ */
function gitlab(env: Env): CiContext {
  const source = val(env, 'CI_MERGE_REQUEST_SOURCE_PROJECT_ID');
  const target = val(env, 'CI_MERGE_REQUEST_PROJECT_ID');
  return defined({
    name: 'GitLab CI',
    ...refOf({
      tag: val(env, 'CI_COMMIT_TAG'),
      branch: val(env, 'CI_COMMIT_BRANCH'),
      pr: number(val(env, 'CI_MERGE_REQUEST_IID')),
      baseRef: val(env, 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME'),
      headRef: val(env, 'CI_MERGE_REQUEST_SOURCE_BRANCH_NAME'),
      fork: source && target ? source !== target : undefined,
      scheduled: val(env, 'CI_PIPELINE_SOURCE') === 'schedule'
    }),
    sha: sha(val(env, 'CI_COMMIT_SHA')),
    defaultBranch: val(env, 'CI_DEFAULT_BRANCH'),
    commitDate: date(val(env, 'CI_COMMIT_TIMESTAMP')),
    runId: val(env, 'CI_PIPELINE_ID'),
    fullName: val(env, 'CI_PROJECT_PATH'),
    htmlUrl: val(env, 'CI_PROJECT_URL'),
    image: val(env, 'CI_REGISTRY_IMAGE')
  });
}

/** https://buildkite.com/docs/pipelines/configure/environment-variables */
function buildkite(env: Env): CiContext {
  const pr = val(env, 'BUILDKITE_PULL_REQUEST');
  const repo = val(env, 'BUILDKITE_REPO');
  return defined({
    name: 'Buildkite',
    ...refOf({
      tag: val(env, 'BUILDKITE_TAG'),
      branch: val(env, 'BUILDKITE_BRANCH'),
      pr: number(pr),
      baseRef: val(env, 'BUILDKITE_PULL_REQUEST_BASE_BRANCH'),
      headRef: val(env, 'BUILDKITE_BRANCH'),
      scheduled: val(env, 'BUILDKITE_SOURCE') === 'schedule'
    }),
    sha: sha(val(env, 'BUILDKITE_COMMIT')),
    defaultBranch: val(env, 'BUILDKITE_PIPELINE_DEFAULT_BRANCH'),
    runId: val(env, 'BUILDKITE_BUILD_NUMBER'),
    // The repository's address is read by the caller, which knows remote forms (git@host:o/r.git).
    htmlUrl: repo
  });
}

/** https://woodpecker-ci.org/docs/usage/environment */
function woodpecker(env: Env): CiContext {
  const event = val(env, 'CI_PIPELINE_EVENT');
  return defined({
    name: 'Woodpecker',
    ...refOf({
      tag: val(env, 'CI_COMMIT_TAG'),
      branch: val(env, 'CI_COMMIT_BRANCH'),
      pr: event === 'pull_request' ? number(val(env, 'CI_COMMIT_PULL_REQUEST')) : undefined,
      baseRef: val(env, 'CI_COMMIT_TARGET_BRANCH'),
      headRef: val(env, 'CI_COMMIT_SOURCE_BRANCH'),
      scheduled: event === 'cron'
    }),
    sha: sha(val(env, 'CI_COMMIT_SHA')),
    defaultBranch: val(env, 'CI_REPO_DEFAULT_BRANCH'),
    runId: val(env, 'CI_PIPELINE_NUMBER'),
    fullName: val(env, 'CI_REPO'),
    htmlUrl: val(env, 'CI_REPO_URL')
  });
}

/** https://docs.drone.io/pipeline/environment/reference/ */
function drone(env: Env): CiContext {
  const event = val(env, 'DRONE_BUILD_EVENT');
  return defined({
    name: 'Drone',
    ...refOf({
      tag: val(env, 'DRONE_TAG'),
      branch: val(env, 'DRONE_BRANCH'),
      pr: event === 'pull_request' ? number(val(env, 'DRONE_PULL_REQUEST')) : undefined,
      baseRef: val(env, 'DRONE_TARGET_BRANCH'),
      headRef: val(env, 'DRONE_SOURCE_BRANCH'),
      scheduled: event === 'cron'
    }),
    sha: sha(val(env, 'DRONE_COMMIT_SHA') ?? val(env, 'DRONE_COMMIT')),
    defaultBranch: val(env, 'DRONE_REPO_BRANCH'),
    runId: val(env, 'DRONE_BUILD_NUMBER'),
    fullName: val(env, 'DRONE_REPO'),
    htmlUrl: val(env, 'DRONE_REPO_LINK')
  });
}

/** Jenkins multibranch pipelines: https://www.jenkins.io/doc/book/pipeline/multibranch/ */
function jenkins(env: Env): CiContext {
  const change = number(val(env, 'CHANGE_ID'));
  // A tag build's BRANCH_NAME is the tag's name: TAG_NAME says which it is.
  const tag = val(env, 'TAG_NAME');
  const branch =
    val(env, 'BRANCH_NAME') ?? val(env, 'GIT_LOCAL_BRANCH') ?? val(env, 'GIT_BRANCH')?.replace(/^origin\//, '');
  return defined({
    name: 'Jenkins',
    ...refOf({
      tag,
      branch: tag ? undefined : branch,
      pr: change,
      baseRef: val(env, 'CHANGE_TARGET'),
      headRef: val(env, 'CHANGE_BRANCH')
    }),
    sha: sha(val(env, 'GIT_COMMIT')),
    runId: val(env, 'BUILD_NUMBER'),
    htmlUrl: val(env, 'GIT_URL')
  });
}

const CIS: Array<{ detect: (env: Env) => boolean; read: (env: Env) => CiContext }> = [
  // Set at all, not `true`: gitlab-ci-local sets GITLAB_CI=false beside GitLab's own variables.
  { detect: (env) => val(env, 'GITLAB_CI') !== undefined, read: gitlab },
  { detect: (env) => val(env, 'BUILDKITE') !== undefined, read: buildkite },
  { detect: (env) => val(env, 'CI') === 'woodpecker', read: woodpecker },
  { detect: (env) => val(env, 'DRONE') !== undefined, read: drone },
  { detect: (env) => val(env, 'JENKINS_URL') !== undefined || val(env, 'JENKINS_HOME') !== undefined, read: jenkins }
];

/** The context a CI's variables give, or undefined when no CI this knows runs the command. */
export function ciContext(env: Env): CiContext | undefined {
  return CIS.find((ci) => ci.detect(env))?.read(env);
}
