import type { NodeSpec } from './node-spec.js';
import type { PlatformValues } from './per-platform.js';
import type { Platform } from './platforms.js';
import type { Flavor } from './tags/flavor.js';
import type { TagRule } from './tags/rules.js';

export type QemuMode = 'auto' | 'binfmt-image' | 'host' | 'false';
export type Mode = 'build' | 'platform' | 'merge' | 'matrix' | 'metadata';
export type Driver = 'docker-container' | 'remote' | 'docker';

/** Every input, read once, validated and typed. Nothing else reads the raw inputs. */
export interface Inputs {
  mode: Mode;
  images: string[];
  platforms: Platform[];
  tagRules: TagRule[];
  flavor: Flavor;
  labels: string[];
  annotations: string[];
  /** The buildx build flags passed through as given: the common values (a platform's own are in perPlatform). */
  build: BuildFlags;
  /** Set when `context` was left empty and the workspace holds no checkout: the git context of the commit built instead. */
  gitContext?: string;
  /** `secrets`, and the `github-token` for the git context as GIT_AUTH_TOKEN.<host>. */
  secrets: Secret[];
  secretEnvs: SecretEnv[];
  secretFiles: SecretFile[];
  push: boolean;
  /** Why nothing is pushed when `push` was left to its default ('' when push was given or is on). */
  pushNote: string;
  /** The suffix of each platform's own tag, `{{platform}}` in it; '' for none. */
  platformTags: string;
  load: boolean;
  /** `outputs`: buildx --output values that replace the default output (none: push and load decide). */
  outputs: string[];
  /** true, false, auto (the registry cache) or gha (the GitHub Actions cache): plan/cache.ts decides reading and writing from it. */
  cache: 'auto' | 'gha' | boolean;
  cacheTag: string;
  cacheFrom: string[];
  cacheTo: string[];
  qemu: QemuMode;
  qemuImage: string;
  buildxVersion: string;
  buildxMirror: string;
  builder: string;
  driver: Driver;
  driverOpts: string[];
  endpoint: string;
  buildkitImage: string;
  buildkitdConfig: string;
  buildkitdConfigInline: string;
  buildkitdFlags: string;
  retries: number;
  stallTimeoutMs: number;
  dryRun: boolean;
  metadataSource: 'auto' | 'workflow' | 'git';
  digests: string[];
  runId: string;
  /** mode matrix: the `runners` lines, platform id → the labels its runner carries. */
  runners: Map<string, string[]>;
  /** Multi-node builds (empty: one builder as `driver` says). */
  nodes: NodeSpec[];
  /** With nodes: a platform no node declares is built under QEMU on the first node. */
  emulate: boolean;
  /** With nodes: what a node that still fails after its retries leads to. */
  nodeFallback: NodeFallback;
  /** `file`, `target` and `build-args` lines that name a platform, by platform id (file, target, buildArgs hold the common ones). */
  perPlatform: Record<string, PlatformValues>;
  /** `attestation-format`: reference adds oci-artifact=false to the image output. */
  attestationFormat: AttestationFormat;
  /** `sign` and the inputs that go with it. */
  signing: Signing;
}

/**
 * The `buildx build` flags passed through as the user gave them, one group: the spec builder
 * (plan/spec.ts) hands it to every build, one build, a platform's own and a node fallback alike,
 * and buildArgv (plan/build.ts) writes each. A new pass-through flag is one field here, one line
 * in the reader, one in the spec table and one in buildArgv.
 */
export interface BuildFlags {
  /** A path (relative to the workspace) or a git URL: buildx's last argument. */
  context: string;
  file: string;
  target: string;
  buildArgs: string[];
  buildContexts: string[];
  ssh: string[];
  network: string;
  addHosts: string[];
  shmSize: string;
  ulimit: string[];
  provenance: string;
  sbom: string;
  noCache: boolean;
  noCacheFilters: string[];
  pull: boolean;
}

export type AttestationFormat = 'oci-artifact' | 'reference';

/** How the published index is signed: never, keylessly through GitHub's OIDC token, or with a key. */
export interface Signing {
  mode: 'false' | 'keyless' | 'key';
  /** key: the private key's PEM from the input (a secret: written to a private file only while cosign runs). */
  keyPem?: string;
  /** key: the key file's absolute path, or a KMS URI. */
  keyRef?: string;
  /** The key's password (a secret: cosign gets it in COSIGN_PASSWORD). */
  password: string;
  tlog: boolean;
  cosignVersion: string;
}

export type NodeFallback = 'fail' | 'emulate';

/** A `secrets` item: the value itself, which must reach neither argv nor a log. */
export interface Secret {
  id: string;
  value: string;
}

/** A `secret-envs` item: the secret is the named variable of the step's environment. */
export interface SecretEnv {
  id: string;
  env: string;
}

/** A `secret-files` item: the secret is the file's content. */
export interface SecretFile {
  id: string;
  path: string;
}
