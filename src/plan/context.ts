import type { ActionsCacheAccess } from './cache.js';
/**
 * What the build knows about where it runs: filled from the GitHub event (src/inputs/github.ts) or from a
 * local git repository (src/inputs/git.ts), then used by the pure planners. Plain data, no behaviour.
 */
export interface RepoInfo {
  /** owner/name */
  fullName: string;
  /** https://github.com/owner/name, or the remote's web address outside GitHub */
  htmlUrl: string;
  description?: string;
  /** SPDX id of the licence, when the event payload carries it */
  license?: string;
  defaultBranch?: string;
}

export interface Context {
  /** push, pull_request, pull_request_target, release, schedule, workflow_dispatch, … or 'git' outside GitHub */
  eventName: string;
  /** full ref: refs/heads/main, refs/tags/v1.2.3, refs/pull/12/merge */
  ref: string;
  /**
   * more refs the same commit is published under, their tags joined with `ref`'s: a local run at a
   * commit that is a branch tip and tagged carries the tag's ref beside the branch's. Never set on GitHub,
   * where one event is one ref.
   */
  extraRefs?: string[];
  /**
   * full commit sha the build is made of; for a pull request GITHUB_SHA (the merge commit), or the head
   * commit when DOCKER_METADATA_PR_HEAD_SHA=true (as metadata-action)
   */
  sha: string;
  repo: RepoInfo;
  /** pull request number, base and head branches, when the event is a pull request */
  pr?: {
    number: number;
    baseRef: string;
    headRef: string;
    /** The head branch lives in another repository (its token cannot write packages); absent when the payload does not say. */
    fork?: boolean;
  };
  /** a tag push's branch, from the payload's `base_ref` (refs/heads/ removed), for `{{base_ref}}` */
  baseRef?: string;
  /** commit time of `sha`: labels' `created` and `{{commit_date}}` use it so every rebuild agrees */
  commitDate?: Date;
  /** `SOURCE_DATE_EPOCH` when set: every date the action computes is taken from it */
  sourceDateEpoch?: Date;
  /** ids that make one run unique (matrix hand-off, builder names) */
  runId: string;
  runAttempt: string;
  /** outside GitHub, the CI whose variables gave the ref and run id (GitLab CI, Buildkite, …) */
  ci?: string;
  /** outside GitHub: the work tree has uncommitted changes, so `sha` does not describe what is built */
  dirty?: boolean;
  /** outside GitHub: the directory is no git checkout (a source tarball); ref and sha came from flags or the CI, if at all */
  noGit?: boolean;
  /** `cache: gha`: what the job's Actions cache token allows, read before the build */
  actionsCache?: ActionsCacheAccess;
}
