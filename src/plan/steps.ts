/**
 * The steps a plan is made of, each with the exact buildx arguments or registry request it
 * stands for. The pipeline runs them and the dry run prints them; both take the argv from the
 * functions here, so what is printed is what runs.
 */
import type { QemuMode } from './inputs.js';
import type { Platform } from './platforms.js';
import type { CosignStep, SignMode } from './sign.js';
import { tagOf } from './reference.js';
import type { HeldTag } from './tags/hold-back.js';

/** buildx's own arguments; the binary (docker CLI plugin or standalone) is found at run time. */
export type Argv = string[];

/** Register QEMU handlers for the platforms this host cannot run, only those still missing. */
export interface QemuStep {
  kind: 'qemu';
  mode: QemuMode;
  image: string;
  platforms: Platform[];
}

/** The installed buildx, or `version` installed and verified against its release checksums. */
export interface BuildxStep {
  kind: 'buildx';
  version: string;
  mirror: string;
}

/** Create (when the run owns it) and bootstrap the builder. */
export interface BuilderStep {
  kind: 'builder';
  name: string;
  create?: Argv;
  /** A nodes builder: `create --append` of each node after the first (`create` makes the first). */
  append?: Argv[];
  bootstrap: Argv;
  /** The post step's clean-up; only for a builder this run created. */
  remove?: Argv;
  /** A nodes builder's nodes, as buildx names them: `buildx inspect` reports each. */
  nodes?: Array<{ name: string; endpoint: string; platforms: string[] }>;
}

/** One `buildx build`; with `pushTo`, everything is pushed by digest and no tag moves yet. */
export interface BuildStep {
  kind: 'build';
  argv: Argv;
  metadataFile: string;
  platforms: Platform[];
  pushTo?: string;
}

/**
 * One build per platform, run concurrently (nodes, or per-platform file/target/build-args): each
 * on its node with its own registry cache, pushed by digest; the stage step merges them into one index.
 */
export interface BuildsStep {
  kind: 'builds';
  builder: string;
  builds: PlatformBuild[];
}

export interface PlatformBuild {
  platform: Platform;
  /** The node that builds it, as buildx names it ('' on a builder of one node). */
  node: string;
  /** That node's endpoint as given ('' for none). */
  endpoint: string;
  /** Built under QEMU: no node declares the platform. */
  emulated: boolean;
  argv: Argv;
  metadataFile: string;
  pushTo?: string;
  cacheRefs: string[];
  /** node-fallback: emulate: what builds it when its node still fails after its retries. */
  fallback?: NodeFallbackPlan;
}

/** A one-node builder on another node's endpoint, made for this platform, used under QEMU, then removed. */
export interface NodeFallbackPlan {
  node: string;
  endpoint: string;
  builder: string;
  create: Argv;
  argv: Argv;
  metadataFile: string;
  remove: Argv;
}

/** merge: the hand-off tag each matrix leg left, one per platform, each read by one inspect. */
export interface FindLegsStep {
  kind: 'find-legs';
  builder: string;
  legs: Array<{ platform: Platform; ref: string }>;
  /** What the prove step will ask of every platform: a leg without it is refused before anything is staged. */
  attestations: { provenance: boolean; sbom: boolean };
}

/** merge with explicit `digests`: each is read, and the platforms they hold must be exactly the requested ones. */
export interface CheckDigestsStep {
  kind: 'check-digests';
  builder: string;
  platforms: Platform[];
  refs: string[];
  attestations: { provenance: boolean; sbom: boolean };
}

/**
 * Before any build minute is spent: push access to every repository (an upload session opened and
 * cancelled: the registry's own answer to "may these credentials push here"), and with `sign: key`
 * the key decrypted with its password (cosign derives the public key).
 */
export interface PreflightStep {
  kind: 'preflight';
  repositories: string[];
  /** sign: key: the sign step's key check, run now. */
  key?: { command: CosignStep; cosignVersion: string; keyFile?: string; workDir: string };
}

/**
 * Stage: content only, nothing named. The index is in the first repository by digest (pushed there
 * by the build, or, for a new index of several sources, computed by `imagetools create --dry-run`
 * and PUT by its digest), then copied by digest to every other repository. No tag moves.
 */
export interface StageStep {
  kind: 'stage';
  builder: string;
  /** Where the sources were pushed (the first image). */
  image: string;
  /** The other images' repositories: the index is copied to each by digest. */
  mirrors: string[];
  /** build: one by-digest push; legs, digests, builds: several sources merged into one new index. */
  source: 'build' | 'legs' | 'digests' | 'builds';
  /** A new index's annotations (`index:` ones). */
  annotations: string[];
  /** A matrix leg: it stages its own push for the merge. */
  handOff: boolean;
}

/**
 * Prove: the staged index read back by digest in every repository (one request, then one per
 * manifest it lists) and checked at the level of platform manifests; then each floating tag read
 * (`inspectRawArgv` of its ref) to decide which would move backwards and stay.
 */
export interface ProveStep {
  kind: 'prove';
  builder: string;
  /** Every repository the index was staged in, the first image first. */
  repositories: string[];
  /** The platforms asked for, canonical (linux/arm/v7). */
  platforms: string[];
  /** Which attestations each platform manifest must carry. */
  attestations: { provenance: boolean; sbom: boolean };
  /** The floating tags (latest, 1, 1.2; literal ones too) and the ref each is read by. */
  floating: Array<{ tag: string; ref: string }>;
  handOff: boolean;
}

/**
 * Commit: tags last, in one short phase. Every ref is one PUT of the staged index's exact bytes in
 * its repository (where the registry refuses our client, `imagetools create` of the staged digest),
 * then each is read back: one another run moved after ours is reported superseded, not failed.
 */
export interface CommitStep {
  kind: 'commit';
  builder: string;
  /** The index's refs, every repository, in order; the floating ones held back are dropped at run time. */
  refs: string[];
  /** `platform-tags`: each platform's own image under `ref`; it moves and is held back with the tag `of`. */
  platformTags: Array<{ platform: string; ref: string; of: string }>;
  /** Tags the plan already holds back, whatever the registry says (a pre-release never moves `latest`). */
  held: HeldTag[];
  /** A matrix leg: the only ref is the hand-off tag, and no tag is an output. */
  handOff: boolean;
}

/**
 * After a merge, each leg's own index (what its hand-off tag points at) is deleted by digest, so
 * hand-off tags do not pile up. A leg the published index references itself (a single manifest,
 * not an index) is kept: the index must never lose a child.
 */
export interface RemoveLegsStep {
  kind: 'remove-legs';
  legs: string[];
  /**
   * merge with explicit `digests`: `legs` are the hand-off tags this run's legs may have left;
   * each is removed only when it names one of the given digests (none of them is required).
   */
  ofDigests?: boolean;
}

/**
 * After prove, before commit, when `sign` asks for it: cosign signs the staged index and every
 * manifest in it, by digest, then verifies the signature it made; so no tag ever names an unsigned
 * release. The index digest is known only at run time: the commands carry INDEX_DIGEST where it goes.
 */
export interface SignStep {
  kind: 'sign';
  mode: SignMode;
  image: string;
  /** The other repositories the index was staged in: each is signed too. */
  mirrors: string[];
  /** The cosign release installed when none is on the PATH. */
  cosignVersion: string;
  /** cosign's arguments, in order: the key check (key mode), sign, verify. */
  commands: CosignStep[];
  /** A PEM sign-key is written here (0600, in a 0700 directory) while cosign runs, and removed after. */
  keyFile?: string;
  /** The directory the run's key material lives in, removed after signing. */
  workDir: string;
  /** The `cosign verify` command for users, with INDEX_DIGEST in it. */
  verifyCommand: string;
}

export type Step =
  | QemuStep
  | BuildxStep
  | BuilderStep
  | BuildStep
  | BuildsStep
  | FindLegsStep
  | CheckDigestsStep
  | PreflightStep
  | StageStep
  | ProveStep
  | SignStep
  | CommitStep
  | RemoveLegsStep;

/** `--builder NAME` when a builder is in use; imagetools also works without one. */
function builderFlag(builder: string): Argv {
  return builder ? ['--builder', builder] : [];
}

export function bootstrapArgv(name: string): Argv {
  return ['inspect', '--bootstrap', '--builder', name];
}

/** Reads the builder's nodes without starting them: one that cannot be reached shows as inactive. */
export function inspectBuilderArgv(name: string): Argv {
  return ['inspect', '--builder', name];
}

export function removeBuilderArgv(name: string): Argv {
  return ['rm', '--force', name];
}

/** The manifest or index a reference points at, exactly as the registry stores it. */
export function inspectRawArgv(builder: string, ref: string): Argv {
  return ['imagetools', 'inspect', ...builderFlag(builder), '--raw', ref];
}

/** The image config(s) of a reference: where a version label is when the index carries no annotation. */
export function inspectConfigArgv(builder: string, ref: string): Argv {
  return ['imagetools', 'inspect', ...builderFlag(builder), '--format', '{{json .Image}}', ref];
}

/** Points `refs` at `sources` (one copied as it is; several merged into one new index). */
export function imagetoolsCreateArgv(
  builder: string,
  refs: string[],
  sources: string[],
  annotations: string[],
  dryRun = false
): Argv {
  const argv = ['imagetools', 'create', ...builderFlag(builder), ...(dryRun ? ['--dry-run'] : [])];
  for (const annotation of annotations) argv.push('--annotation', annotation);
  for (const ref of refs) argv.push('--tag', ref);
  return [...argv, ...sources];
}

/** The registry requests that move `put` refs, as the log shows them. */
export function getRequest(source: string): string {
  return `GET ${source}`;
}

export function putRequest(ref: string, source: string): string {
  return `PUT ${ref} (the bytes of ${source})`;
}

export function deleteRequest(source: string): string {
  return `DELETE ${source}`;
}

/**
 * The refs a commit step moves, in order, less those whose tag is held back (by the plan, or by
 * what the registry holds): the index's, then the platform tags that go with them.
 */
export function commitRefs(
  step: CommitStep,
  held: string[] = []
): { refs: string[]; platformTags: CommitStep['platformTags'] } {
  const stays = new Set([...held, ...step.held.map((h) => h.tag)]);
  return {
    refs: step.refs.filter((ref) => !stays.has(tagOf(ref))),
    platformTags: step.platformTags.filter((p) => !stays.has(tagOf(p.of)))
  };
}

/** Every ref a commit step moves, platform tags included: the `tags` output. */
export function movedRefs(step: CommitStep, held: string[] = []): string[] {
  const { refs, platformTags } = commitRefs(step, held);
  return [...refs, ...platformTags.map((p) => p.ref)];
}

/** `linux/arm/v7` → `arm-v7`, `windows/amd64` → `windows-amd64`: a platform as a tag suffix names it. */
export function platformTagName(platform: string): string {
  return platform.replace(/^linux\//, '').replace(/\//g, '-');
}

/** The registry request that reads a tag back, as the log shows it. */
export function headRequest(ref: string): string {
  return `HEAD ${ref}`;
}

/** A sign step's cosign arguments with the index digest in place of INDEX_DIGEST. */
export function withDigest(args: string[], placeholder: string, digest: string): string[] {
  return args.map((arg) => arg.split(placeholder).join(digest));
}
