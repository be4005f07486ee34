/**
 * Every input of the action, in action.yml's order: its name, kind, default and description. The
 * command line's flags, --help and defaults come from this table (the bundle ships without
 * action.yml), and the action reads the same defaults. A unit test checks that it and action.yml
 * agree on names, defaults and descriptions.
 */
import { REJECT_OCI_ARTIFACTS } from '../plan/hosts.js';
import type { InputSpec } from './spec-types.js';

export type { InputKind, InputSpec } from './spec-types.js';
export type { InputName } from './input-name.js';
import type { InputName } from './input-name.js';

export const INPUTS = [
  {
    name: 'mode',
    kind: 'string',
    default: 'build',
    description:
      "build: build every platform and publish the index (one job). platform: one leg of a matrix, pushed by digest for a later merge. merge: publish the legs' digests as one index. matrix: build nothing; set the output matrix, one leg per platform with its runner (see runners). metadata: build nothing; set the outputs tags, labels, annotations, version and json as docker/metadata-action does, for steps before the build."
  },
  {
    name: 'images',
    kind: 'list',
    default: '',
    description:
      "Image names, one a line or comma separated (e.g. ghcr.io/owner/app). Lower-cased. The first one also holds the registry cache and the by-digest push. Empty with every tags line a full reference: the references' repositories."
  },
  {
    name: 'platforms',
    kind: 'list',
    default: '',
    description:
      "Target platforms, comma or newline separated (linux/amd64, linux/arm64, linux/arm/v7, linux/riscv64, \u2026). Empty: linux/amd64,linux/arm64; with load, the runner's own platform."
  },
  {
    name: 'tags',
    kind: 'list',
    default: '',
    description:
      "Tag rules, one a line, in docker/metadata-action's syntax (type=semver,pattern={{version}}, type=ref,event=branch, type=sha, type=raw,value=…), or build-push-action's full references (one a line or comma separated; a name with a registry host and no tag is :latest). Empty: branch, pull request, git tag, {{version}}, {{major}}.{{minor}}, {{major}} (not for 0.x) and sha."
  },
  {
    name: 'flavor',
    kind: 'list',
    default: '',
    description: 'Global tag options: latest=auto|true|false, prefix=, suffix= (each with ,onlatest=true|false).'
  },
  {
    name: 'labels',
    kind: 'list',
    default: '',
    description:
      'Extra image labels, one key=value a line, values with the tag templates ({{version}}, {{sha}}, …); they override the computed OCI labels.'
  },
  {
    name: 'annotations',
    kind: 'list',
    default: '',
    description:
      'Extra annotations, one a line, in buildx form ([index:|manifest:]key=value), values with the tag templates ({{version}}, {{sha}}, …); they override the computed ones.'
  },
  {
    name: 'metadata-source',
    kind: 'string',
    default: 'auto',
    description:
      'Where the commit, ref and repository come from: workflow (the GitHub event), git (the local repository, for runs outside GitHub) or auto.'
  },
  {
    name: 'context',
    kind: 'string',
    default: '.',
    description:
      "Build context: a path (relative to the workspace) or a git URL; {{defaultContext}} is the run's git context ({{defaultContext}}:subdir). Empty on GitHub with no checkout in the workspace (no Dockerfile, no .git): the git context of the commit, as build-push-action."
  },
  {
    name: 'file',
    kind: 'list',
    default: '',
    description:
      'Path to the Dockerfile. Default: Dockerfile in the context. A line PLATFORM=path (linux/arm/v6=Dockerfile.armv6) gives that platform its own; each platform is then built on its own.'
  },
  {
    name: 'target',
    kind: 'list',
    default: '',
    description:
      'Build stage to stop at. A line PLATFORM=stage (linux/arm64=runtime) gives that platform its own; each platform is then built on its own.'
  },
  {
    name: 'build-args',
    kind: 'list',
    default: '',
    description:
      "Build arguments, one KEY=value a line; values may use the tag templates ({{version}}, {{sha}}, {{branch}}, {{tag}}, {{date 'YYYYMMDD'}}, …). A line PLATFORM=KEY=value (linux/arm64=KEY=value) applies to that platform only; each platform is then built on its own."
  },
  {
    name: 'build-contexts',
    kind: 'list',
    default: '',
    description: 'Additional named build contexts, one name=path|url a line.'
  },
  {
    name: 'secrets',
    kind: 'list',
    default: '',
    description:
      'Build secrets, one id=value a line. Written to a private file and passed by path: the value never reaches argv or the log.'
  },
  {
    name: 'secret-envs',
    kind: 'list',
    default: '',
    description:
      'Build secrets from environment variables, id=ENV_NAME, comma or newline separated. A variable that is not set is refused before anything runs; one set but empty (a pull request from a fork) is a warning.'
  },
  { name: 'secret-files', kind: 'list', default: '', description: 'Build secrets from files, one id=path a line.' },
  {
    name: 'github-token',
    kind: 'string',
    default: '${{ github.token }}',
    description:
      'Token for the git context (no checkout and no context, or {{defaultContext}}): passed to BuildKit as the secret GIT_AUTH_TOKEN.<host> of GITHUB_SERVER_URL, from a private file, never argv; masked. Unused for a workspace context.'
  },
  {
    name: 'ssh',
    kind: 'list',
    default: '',
    description: 'SSH agent sockets or keys to expose to the build, one default|id=path a line.'
  },
  { name: 'network', kind: 'string', default: '', description: 'Network mode for RUN steps (default, none, host).' },
  {
    name: 'add-hosts',
    kind: 'list',
    default: '',
    description: 'Extra host:ip entries for RUN steps, comma or newline separated.'
  },
  { name: 'shm-size', kind: 'string', default: '', description: 'Size of /dev/shm for RUN steps (e.g. 2g).' },
  { name: 'ulimit', kind: 'list', default: '', description: 'Ulimits for RUN steps, one type=soft:hard a line.' },
  {
    name: 'provenance',
    kind: 'string',
    default: '',
    description:
      "Provenance attestation: false, true, mode=min, mode=max, or buildx's other options (e.g. mode=max,builder-id=\u2026). Empty: mode=min, or false with load or a type=docker output (BuildKit's docker exporter cannot take attestations). Attestations add an unknown/unknown entry to the index; false gives a plain index."
  },
  {
    name: 'sbom',
    kind: 'string',
    default: 'false',
    description:
      "SBOM attestation: true or false (buildx also reads 1 and 0), or buildx's key=value options (generator=IMAGE). Anything else is refused before anything runs."
  },
  // Attestations and signing: what users verify a release with.
  {
    name: 'attestation-format',
    kind: 'string',
    default: 'oci-artifact',
    description:
      "How BuildKit writes attestation manifests: oci-artifact (BuildKit 0.32's form, with an artifactType and a subject) or reference (the older form, for registries that reject OCI artifacts, such as " +
      `${REJECT_OCI_ARTIFACTS.join(' and ')}).`
  },
  {
    name: 'sign',
    kind: 'string',
    default: 'false',
    description:
      'Sign the index and every platform manifest with cosign, by digest, once it is staged and verified and before any tag moves: false, keyless (GitHub OIDC through sigstore; the job needs permissions: id-token: write) or key (with sign-key). Needs push.'
  },
  {
    name: 'sign-key',
    kind: 'string',
    default: '',
    description:
      "sign: key: the cosign private key's PEM (pass it from a secret), a path to the key file, or a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://). Masked in the log; written only to a private file that is removed after signing."
  },
  {
    name: 'sign-key-password',
    kind: 'string',
    default: '',
    description:
      'Password of sign-key, if it has one (from a secret). Passed to cosign in its environment, never on the command line.'
  },
  {
    name: 'sign-tlog',
    kind: 'boolean',
    default: 'true',
    description:
      'Record the signature in the transparency log (Rekor). false for private setups without one: cosign verify then needs --insecure-ignore-tlog=true, as the verify-command output says.'
  },
  {
    name: 'cosign-version',
    kind: 'string',
    default: 'v2.6.1',
    description:
      "cosign release installed when none is on the PATH, verified against the release's checksums and cached."
  },
  {
    name: 'push',
    kind: 'boolean',
    default: '',
    description:
      'Push the image and its tags. Platform images go first, then the index, tags last. Empty: true, except on pull_request and pull_request_target events (mode build) and when load is true, where nothing is pushed unless push is set.'
  },
  {
    name: 'load',
    kind: 'boolean',
    default: 'false',
    description:
      "Load the single-platform result into the local Docker image store (the runner's platform unless platforms names one); with push, it is pushed as well. Refused before anything runs when no Docker engine answers (DOCKER_HOST, the docker context, or the default socket)."
  },
  {
    name: 'outputs',
    kind: 'list',
    default: '',
    description:
      "buildx --output values, one a line, with build-push-action's meaning: type=docker,dest=app.tar; type=oci,dest=app.tar; type=local,dest=DIR; type=tar,dest=FILE; type=cacheonly; type=image,… (annotation-index.KEY=… and the other exporter options kept). They replace the default output. With outputs and no push, nothing is pushed (build-push-action's default); push: true adds this action's own push beside them (by digest, tags last), so an output of type image or registry is then refused."
  },
  {
    name: 'platform-tags',
    kind: 'string',
    default: 'false',
    description:
      "Also tag every platform's own image under each tag, for clients that cannot read an index: true gives 1.2.3-amd64, 1.2.3-arm64, 1.2.3-arm-v7; a suffix containing {{platform}} (e.g. _{{platform}}) sets the form; false (default) adds none. Moved last, with the other tags."
  },
  { name: 'no-cache', kind: 'boolean', default: 'false', description: 'Build without any cache.' },
  {
    name: 'no-cache-filters',
    kind: 'list',
    default: '',
    description: 'Stages to build without cache, comma separated.'
  },
  { name: 'pull', kind: 'boolean', default: 'false', description: 'Always pull newer versions of base images.' },
  {
    name: 'cache',
    kind: 'string',
    default: 'auto',
    description:
      "auto (the default): the registry layer cache at <first image>:<cache-tag>, mode=max, read whenever there is an image, written when pushing, except from a pull request of a fork (registry names the same). gha: the GitHub Actions cache (v2 service), one scope per platform for matrix legs and per-platform builds, mode=max; read only, with an info line naming the fix, when the job's token may not write. true: the registry cache read and written always; off or false: none. A cache that cannot be read or written warns, naming the platform and the cause, and never fails the build."
  },
  {
    name: 'cache-tag',
    kind: 'string',
    default: 'buildcache',
    description:
      'Tag of the registry cache ref; with cache: gha, the cache scope (a platform is added for legs and per-platform builds).'
  },
  {
    name: 'cache-from',
    kind: 'list',
    default: '',
    description: 'Explicit cache sources in buildx form, one a line; replaces the registry cache.'
  },
  {
    name: 'cache-to',
    kind: 'list',
    default: '',
    description: 'Explicit cache destinations in buildx form, one a line; replaces the registry cache.'
  },
  {
    name: 'qemu',
    kind: 'string',
    default: 'auto',
    description:
      "QEMU handlers for non-native platforms: auto (binfmt image when a Docker engine runs, else the host's qemu-user-static), binfmt-image, host, or false. Only missing handlers are installed; nothing is done when every platform is native."
  },
  {
    name: 'qemu-image',
    kind: 'string',
    default: 'tonistiigi/binfmt:qemu-v9.2.2-52',
    description: 'binfmt installer image, pinned to a known-good QEMU; point it at a mirror to avoid Docker Hub limits.'
  },
  {
    name: 'buildx-version',
    kind: 'string',
    default: '',
    description:
      "buildx release to install (e.g. v0.36.1, or latest: the newest, from setup-buildx's release list or <buildx-mirror>/buildx-releases.json), verified against the release's checksums and cached. Empty: use the installed buildx."
  },
  {
    name: 'buildx-mirror',
    kind: 'string',
    default: 'https://github.com/docker/buildx/releases/download',
    description: 'Base address of buildx release downloads.'
  },
  {
    name: 'builder',
    kind: 'string',
    default: '',
    description: 'Use this existing builder instead of creating one (it is not removed afterwards).'
  },
  {
    name: 'driver',
    kind: 'string',
    default: 'docker-container',
    description: 'Builder driver: docker-container, remote (with endpoint) or docker.'
  },
  {
    name: 'driver-opts',
    kind: 'list',
    default: '',
    description: 'Driver options, one key=value a line (e.g. network=host, image=…).'
  },
  {
    name: 'endpoint',
    kind: 'string',
    default: '',
    description: 'BuildKit address for the remote driver (tcp://host:1234, unix:///run/buildkit/buildkitd.sock).'
  },
  {
    name: 'buildkit-image',
    kind: 'string',
    default: 'moby/buildkit:v0.32.2',
    description:
      'BuildKit image for the docker-container driver, pinned; point it at a mirror to avoid Docker Hub limits.'
  },
  { name: 'buildkitd-config', kind: 'string', default: '', description: 'Path to a buildkitd.toml for the builder.' },
  {
    name: 'buildkitd-config-inline',
    kind: 'list',
    default: '',
    description: 'buildkitd.toml content for the builder.'
  },
  {
    name: 'buildkitd-flags',
    kind: 'string',
    default: '',
    description: 'Extra buildkitd flags (docker-container driver).'
  },
  // Multi-node builds: one BuildKit node per machine, each building its own platforms.
  {
    name: 'nodes',
    kind: 'list',
    default: '',
    description:
      'BuildKit nodes, one builder of them all, each building the platforms it declares natively: one PLATFORM[,PLATFORM\u2026]=ENDPOINT a line (linux/arm64=tcp://pi.lan:1234, linux/amd64=ssh://me@xeon), or a YAML list of name, endpoint, driver (remote, docker-container, kubernetes), driver-opts, buildkitd-flags, platforms. Each platform is built on its node, concurrently, with its own registry cache, then merged into one index. Not with builder, endpoint, driver-opts, buildkitd-flags or driver: docker.'
  },
  {
    name: 'emulate',
    kind: 'boolean',
    default: 'true',
    description:
      'With nodes: a platform no node declares is built under QEMU on the first node (the summary says "emulated"). false refuses such a platform before anything starts.'
  },
  {
    name: 'node-fallback',
    kind: 'string',
    default: 'fail',
    description:
      'With nodes, when a node fails after its retries: fail (the step fails naming the node, its endpoint and its platform; no tag moves), or emulate (that platform is built again under QEMU on another node).'
  },
  {
    name: 'retries',
    kind: 'string',
    default: '3',
    description:
      'Attempts after the first for steps that are safe to repeat (pulls, downloads, bootstrap, push, imagetools), on transient registry faults only.'
  },
  {
    name: 'stall-timeout',
    kind: 'string',
    default: '600',
    description: 'Seconds a build or push may print nothing before it is cancelled and retried (0: never).'
  },
  {
    name: 'dry-run',
    kind: 'boolean',
    default: 'false',
    description:
      'Resolve platforms, tags, labels, cache refs and the exact commands, print them and set the outputs; build, push and install nothing.'
  },
  {
    name: 'digests',
    kind: 'list',
    default: '',
    description:
      'merge mode: explicit image@digest references of the legs, overriding discovery. A hand-off tag of this run that names one of them is removed with it once the index is published.'
  },
  {
    name: 'run-id',
    kind: 'string',
    default: '',
    description:
      "Groups one run's matrix legs and its merge, so concurrent runs never mix. Default: GITHUB_RUN_ID (set it when running legs outside GitHub)."
  },
  {
    name: 'runners',
    kind: 'list',
    default: '',
    description:
      'mode matrix: the runner of each platform, one PLATFORM=RUNNER a line (linux/s390x=ubuntu-24.04-s390x), or PLATFORM=LABEL,LABEL for a runner that must carry every label (becomes a JSON array). Unlisted: linux/amd64 on ubuntu-24.04, linux/arm64 on ubuntu-24.04-arm, any other platform on ubuntu-24.04 under QEMU (the summary says which).'
  }
] as const satisfies readonly InputSpec[];

/** Input name → its default, for the inputs that have one. */
export const DEFAULTS: Readonly<Partial<Record<InputName, string>>> = Object.fromEntries(
  INPUTS.filter((input) => input.default !== '').map((input) => [input.name, input.default])
);
