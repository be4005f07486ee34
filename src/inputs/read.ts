import { InputError } from '../plan/errors.js';
import { parseList } from '../plan/list.js';
import type { Driver, Inputs, Mode, NodeFallback, QemuMode } from '../plan/inputs.js';
import { nativePlatform, parsePlatforms, type Platform } from '../plan/platforms.js';
import { releaseTag } from '../plan/release-tag.js';
import { parseDigestRefs } from '../plan/matrix.js';
import { parseRunners } from '../plan/runners.js';
import { outputType, parseOutputs } from '../plan/outputs.js';
import { checkOutputs, readBuildFlags } from './build-flags.js';
import { readNodes } from './nodes.js';
import { bool, integer, oneOf, rawInputs, type InputReader, type Raw } from './raw.js';
import { readPublish } from './read-publish.js';
import { readSecrets } from './read-secrets.js';
import { readSigning } from './read-signing.js';
import { gitAuthSecret, type GitHubSource } from './git-context.js';

export type { InputReader } from './raw.js';

/** Reads and validates every input, secrets included. Throws InputError before anything is built or pushed. */
export function readInputs(
  read: InputReader,
  cwd: string = process.cwd(),
  native: Platform = nativePlatform(),
  /** GITHUB_EVENT_NAME: a pull request pushes nothing unless push says so. */
  eventName = '',
  /** The GitHub run's commit (inputs/git-context.ts): the git context without a checkout. */
  github?: GitHubSource
): Inputs {
  const raw = rawInputs(read);
  const mode = oneOf(raw.get('mode'), 'mode', ['build', 'platform', 'merge', 'matrix', 'metadata'] as const);
  const outputs = parseOutputs(raw.list('outputs'));
  const publish = readPublish(raw, mode, eventName, outputs);
  const { images, push, load } = publish;
  checkOutputs(outputs, mode, push);
  // Before the builder's own checks: a nodes run's conflicts are named as such.
  const nodes = readNodeInputs(raw, mode);
  const builder = readBuilder(raw);
  const { platforms, digests } = readPlatforms(raw, mode, images, load, native);
  const dockerExport = load || outputs.some((out) => outputType(out).type === 'docker');
  const { build, perPlatform, gitContext } = readBuildFlags(raw, mode, cwd, platforms, dockerExport, github);
  const secrets = readSecrets(raw, cwd);
  const given = [...secrets.secrets, ...secrets.secretEnvs, ...secrets.secretFiles].map((s) => s.id);
  const gitAuth = gitAuthSecret(raw.exact('github-token').trim(), build.context, github, given);
  if (gitAuth) secrets.secrets.push(gitAuth);
  return {
    mode,
    ...publish,
    platforms,
    labels: raw.list('labels'),
    annotations: raw.list('annotations'),
    build,
    ...(gitContext ? { gitContext } : {}),
    perPlatform,
    ...secrets,
    platformTags: readPlatformTags(raw.get('platform-tags')),
    outputs,
    ...readCache(raw),
    ...builder,
    ...nodes,
    digests,
    runId: runId(raw.get('run-id')),
    runners: parseRunners(raw.list('runners')),
    ...readLimits(raw),
    dryRun: bool(raw.get('dry-run'), 'dry-run'),
    metadataSource: oneOf(raw.get('metadata-source'), 'metadata-source', ['auto', 'workflow', 'git'] as const),
    attestationFormat: oneOf(raw.get('attestation-format'), 'attestation-format', [
      'oci-artifact',
      'reference'
    ] as const),
    signing: readSigning(raw, mode, push, cwd, publish.pushNote)
  };
}

type BuilderInputs = Pick<
  Inputs,
  | 'qemu'
  | 'qemuImage'
  | 'buildxVersion'
  | 'buildxMirror'
  | 'builder'
  | 'driver'
  | 'driverOpts'
  | 'endpoint'
  | 'buildkitImage'
  | 'buildkitdConfig'
  | 'buildkitdConfigInline'
  | 'buildkitdFlags'
>;

/** QEMU, buildx and the builder: the driver decides which of the others may be set. */
function readBuilder(raw: Raw): BuilderInputs {
  const driver: Driver = oneOf(raw.get('driver'), 'driver', ['docker-container', 'remote', 'docker'] as const);
  const endpoint = raw.get('endpoint');
  if (driver === 'remote' && endpoint === '')
    throw new InputError(
      'endpoint',
      '',
      'the BuildKit address (tcp://host:1234 or unix:///path) when driver is remote'
    );
  if (driver !== 'remote' && endpoint !== '')
    throw new InputError('endpoint', endpoint, 'empty unless driver is remote');
  if (driver !== 'docker-container') {
    // Only a builder the action starts itself can be given a buildkitd configuration.
    for (const name of ['buildkitd-config', 'buildkitd-config-inline', 'buildkitd-flags'] as const) {
      if (raw.given(name))
        throw new InputError(
          name,
          raw.get(name).split('\n')[0],
          `empty with driver ${driver}: configure that BuildKit where it runs`
        );
    }
  }
  const buildxVersion = raw.get('buildx-version');
  // `latest` is resolved when buildx is installed, from the release list setup-buildx reads.
  if (buildxVersion !== '' && buildxVersion !== 'latest') releaseTag(buildxVersion);
  return {
    qemu: qemuMode(raw.get('qemu')),
    qemuImage: raw.get('qemu-image'),
    buildxVersion,
    buildxMirror: raw.get('buildx-mirror'),
    builder: raw.get('builder'),
    driver,
    driverOpts: raw.list('driver-opts'),
    endpoint,
    buildkitImage: raw.get('buildkit-image'),
    buildkitdConfig: raw.get('buildkitd-config'),
    buildkitdConfigInline: raw.exact('buildkitd-config-inline'),
    buildkitdFlags: raw.get('buildkitd-flags')
  };
}

/**
 * `nodes` (read from its raw text: the YAML form spans lines), `emulate` and `node-fallback`. A
 * nodes builder is made of the nodes alone, so the inputs that describe another builder are refused.
 */
function readNodeInputs(raw: Raw, mode: Mode): Pick<Inputs, 'nodes' | 'emulate' | 'nodeFallback'> {
  const emulate = bool(raw.get('emulate'), 'emulate');
  const nodeFallback = oneOf<NodeFallback>(raw.get('node-fallback'), 'node-fallback', ['fail', 'emulate']);
  if (!raw.given('nodes')) return { nodes: [], emulate, nodeFallback };
  const text = raw.exact('nodes');
  const shown = text.trim().split('\n')[0];
  if (mode !== 'build')
    throw new InputError(
      'nodes',
      shown,
      `empty with mode ${mode} (nodes build every platform in one step: mode build)`
    );
  for (const other of ['builder', 'endpoint', 'driver-opts', 'buildkitd-flags'] as const) {
    if (raw.given(other))
      throw new InputError(
        other,
        raw.get(other).split('\n')[0],
        'empty when nodes is set (the builder is made of the nodes; give endpoint, driver-opts and buildkitd-flags per node)'
      );
  }
  if (raw.given('driver') && raw.get('driver') !== 'docker-container')
    throw new InputError(
      'driver',
      raw.get('driver'),
      'empty when nodes is set (each node names its driver, or its endpoint implies one)'
    );
  return { nodes: readNodes(text), emulate, nodeFallback };
}

/** What `platforms` left empty builds, unless load asks for the native platform. */
const DEFAULT_PLATFORMS = 'linux/amd64,linux/arm64';

/**
 * The platforms to build (with load and none given: the native one, the only kind the local image
 * store takes), and the merge's explicit digests.
 */
function readPlatforms(
  raw: Raw,
  mode: Mode,
  images: string[],
  load: boolean,
  native: Platform
): { platforms: Platform[]; digests: string[] } {
  const digests = raw.list('digests', true);
  if (mode === 'merge' && !raw.given('platforms') && digests.length === 0) {
    // A default here would silently leave out a platform the matrix built: the half image users ship by accident.
    throw new InputError(
      'platforms',
      '',
      'in merge mode, the list of platforms every matrix leg built (or explicit digests)'
    );
  }
  if (load && !raw.given('platforms')) return { platforms: [native], digests };
  const platformsRaw = raw.given('platforms') ? raw.get('platforms') : DEFAULT_PLATFORMS;
  const items = parseList(platformsRaw, { comma: true });
  if (items.length === 0)
    throw new InputError('platforms', platformsRaw, 'at least one platform, e.g. linux/amd64,linux/arm64');
  const platforms = parsePlatforms(items);
  if (digests.length > 0) parseDigestRefs(digests, images[0]);
  if (load && platforms.length > 1) {
    throw new InputError(
      'platforms',
      platforms.map((p) => p.id).join(','),
      'one platform when load is true (the local image store holds one platform per tag); leave platforms empty for the native one'
    );
  }
  return { platforms, digests };
}

/** `platform-tags`: false, true (`-{{platform}}`), or a suffix of tag characters holding `{{platform}}`. */
function readPlatformTags(value: string): string {
  if (['false', 'False', 'FALSE'].includes(value)) return '';
  if (['true', 'True', 'TRUE'].includes(value)) return '-{{platform}}';
  if (/^[A-Za-z0-9_.-]*\{\{platform\}\}[A-Za-z0-9_.-]*$/.test(value)) return value;
  throw new InputError(
    'platform-tags',
    value,
    'true, false, or a suffix of letters, digits, _ . - holding {{platform}} (e.g. -{{platform}})'
  );
}

function readCache(raw: Raw): Pick<Inputs, 'cache' | 'cacheTag' | 'cacheFrom' | 'cacheTo'> {
  const cache = cacheSetting(raw.get('cache'));
  const cacheTag = raw.get('cache-tag');
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/.test(cacheTag))
    throw new InputError('cache-tag', cacheTag, 'a tag name of letters, digits, _ . - (at most 101 characters)');
  return { cache, cacheTag, cacheFrom: raw.list('cache-from'), cacheTo: raw.list('cache-to') };
}

/** `registry` is auto's registry cache by name, `off` is false: the names the cache section uses. */
function cacheSetting(value: string): Inputs['cache'] {
  const named: Record<string, Inputs['cache']> = { auto: 'auto', registry: 'auto', gha: 'gha', off: false };
  return named[value] ?? bool(value, 'cache', 'auto, registry, gha, off, true or false');
}

function readLimits(raw: Raw): Pick<Inputs, 'retries' | 'stallTimeoutMs'> {
  return {
    retries: integer(raw.get('retries'), 'retries', 0, 10),
    stallTimeoutMs: integer(raw.get('stall-timeout'), 'stall-timeout', 0, 24 * 3600) * 1000
  };
}

function qemuMode(value: string): QemuMode {
  if (['true', 'True', 'TRUE'].includes(value)) return 'auto';
  if (['false', 'False', 'FALSE'].includes(value)) return 'false';
  return oneOf(value, 'qemu', ['auto', 'binfmt-image', 'host', 'false'] as const);
}

function runId(value: string): string {
  if (value !== '' && !/^[A-Za-z0-9_.-]{1,40}$/.test(value))
    throw new InputError('run-id', value, 'letters, digits, _ . - (at most 40)');
  return value;
}
