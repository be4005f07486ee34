import type { Plan } from '../plan/plan.js';
import type { HeldTag } from '../plan/tags/hold-back.js';
import type { BuilderInfo } from '../tools/buildx/builder.js';
import type { LegRemoval } from './merge.js';
import type { Placement } from './builds.js';
import type { EmulationSummary } from '../plan/emulation.js';

/** What a run did, for the outputs, the job summary and the command line's result table. */
export interface Result {
  plan: Plan;
  /** The pushed index (or the loaded image's id); '' when nothing was pushed or loaded. */
  digest: string;
  platformDigests: Record<string, string>;
  /** The refs the rules computed and, when pushing, the ones that moved. */
  tags: string[];
  held: HeldTag[];
  /** Refs this run moved that another run moved again after it (read back at the end of the commit). */
  superseded: Array<{ ref: string; by: string }>;
  metadata: Record<string, unknown>;
  builder: BuilderInfo;
  /** merge: what became of each leg's hand-off tag. */
  removals: LegRemoval[];
  timings: Array<[string, number]>;
  /** What the prove step read back: the `attestations` output and the summary's table. */
  verification?: { attestations: string; table: string };
  /** What the sign step did: the `signature` and `verify-command` outputs. */
  signed?: { signatures: string[]; verifyCommand: string };
  /** One build per platform (nodes): which node built which platform. */
  placements?: Placement[];
  /** Where the build time went, step by step and platform by platform (src/plan/emulation.ts). */
  emulation?: EmulationSummary;
}
