import type { Context } from './context.js';
import type { Inputs } from './inputs.js';
import type { KeylessIdentity } from './sign.js';
import type { Platform } from './platforms.js';
import type { Step } from './steps.js';
import type { CachePlan } from './cache.js';
import type { TagResult } from './tags/compute.js';

export interface PlanIds {
  builderName: string;
  metadataFile: string;
  /** Where each `secrets` value was written (id → private file): values never enter the plan. */
  secretPaths: Record<string, string>;
  /** Groups one run's matrix legs and its merge. */
  runId: string;
  /** Where buildkitd-config-inline was written, when given (it wins over buildkitd-config). */
  inlineBuildkitdConfig?: string;
  /** A private directory (under the run's temp dir) where a PEM sign-key is written while cosign runs. */
  cosignDir?: string;
  /** sign: keyless: who signs (this workflow), for the verification of the signature. */
  signer?: KeylessIdentity;
}

/** What every planner is given: the inputs, and the values makePlan computed once for all modes. */
export interface Planning {
  inputs: Inputs;
  context: Context;
  native: Platform;
  ids: PlanIds;
  tags: TagResult;
  labels: Record<string, string>;
  /** Every annotation, each with its level (`index:`, `manifest:`). */
  annotations: string[];
  builder: string;
}

/** What a planner adds to the values common to every mode. */
export interface Planned {
  emulated: Platform[];
  cache: CachePlan;
  steps: Step[];
}

/** A planner: one mode's steps (one build, one build per platform, a merge). */
export type Planner = (planning: Planning) => Planned;
