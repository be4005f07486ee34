/**
 * What the build knows about where it runs: filled from the GitHub event (src/context.ts) or from a
 * local git repository, then used by the pure planners. Plain data, no behaviour.
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
  /** full commit sha the build is made of (for a pull request: the head commit when the payload has it) */
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
  /** commit time of `sha`: labels' `created` and `{{commit_date}}` use it so every rebuild agrees */
  commitDate?: Date;
  /** `SOURCE_DATE_EPOCH` when set: every date the action computes is taken from it */
  sourceDateEpoch?: Date;
  /** ids that make one run unique (matrix hand-off, builder names) */
  runId: string;
  runAttempt: string;
}
