import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../plan/errors.js';
import { parseList } from '../plan/list.js';
import type {
  Driver,
  Inputs,
  Mode,
  NodeFallback,
  QemuMode,
  Secret,
  SecretEnv,
  SecretFile,
  Signing
} from '../plan/inputs.js';
import { KMS_URI, isKeyMaterial, isPemPrivateKey } from '../plan/sign.js';
import { nativePlatform, parsePlatforms, type Platform } from '../plan/platforms.js';
import { parseImages } from '../plan/image.js';
import { releaseTag } from '../plan/release-tag.js';
import { parseDigestRefs } from '../plan/matrix.js';
import { parseRunners } from '../plan/runners.js';
import { singlePerPlatform, splitByPlatform } from '../plan/per-platform.js';
import { parseFlavor } from '../plan/tags/flavor.js';
import { parseTagRules } from '../plan/tags/rules.js';
import { DEFAULTS, type InputName } from './specs.js';
import { readNodes } from './nodes.js';

export type InputReader = (name: string) => string;

/** The raw inputs with action.yml's defaults applied, and whether the user gave one at all. */
interface Raw {
  /** The trimmed value, or the input's default when it is empty. */
  get(name: InputName): string;
  /** The value exactly as given ('' when not given): for multi-line values that must stay as they are. */
  exact(name: InputName): string;
  given(name: InputName): boolean;
  list(name: InputName, comma?: boolean): string[];
}

function rawInputs(read: InputReader): Raw {
  const get = (name: InputName): string => {
    const value = read(name).trim();
    return value === '' ? (DEFAULTS[name] ?? '') : value;
  };
  return {
    get,
    exact: (name) => read(name),
    given: (name) => read(name).trim() !== '',
    list: (name, comma = false) => parseList(get(name), { comma })
  };
}

/** Reads and validates every input, secrets included. Throws InputError before anything is built or pushed. */
export function readInputs(
  read: InputReader,
  cwd: string = process.cwd(),
  native: Platform = nativePlatform()
): Inputs {
  const raw = rawInputs(read);
  const mode = oneOf(raw.get('mode'), 'mode', ['build', 'platform', 'merge', 'matrix'] as const);
  const push = bool(raw.get('push'), 'push');
  const load = bool(raw.get('load'), 'load');
  // Before the builder's own checks: a nodes run's conflicts are named as such.
  const nodes = readNodeInputs(raw, mode);
  const builder = readBuilder(raw);
  const images = readImages(raw, mode, push || load);
  const { platforms, digests } = readPlatforms(raw, mode, images, load, native);
  const { context, file, target, buildArgs, perPlatform } = readBuildSource(raw, mode, cwd, platforms);
  return {
    mode,
    images,
    platforms,
    tagRules: parseTagRules(raw.get('tags')),
    flavor: parseFlavor(raw.get('flavor')),
    labels: raw.list('labels'),
    annotations: raw.list('annotations'),
    context,
    file,
    target,
    buildArgs,
    perPlatform,
    buildContexts: raw.list('build-contexts'),
    ...readSecrets(raw, cwd),
    ssh: raw.list('ssh'),
    network: raw.get('network'),
    addHosts: raw.list('add-hosts', true),
    shmSize: raw.get('shm-size'),
    ulimit: raw.list('ulimit'),
    provenance: readProvenance(raw, load),
    sbom: raw.get('sbom'),
    push,
    platformTags: readPlatformTags(raw.get('platform-tags')),
    load,
    noCache: bool(raw.get('no-cache'), 'no-cache'),
    noCacheFilters: raw.list('no-cache-filters', true),
    pull: bool(raw.get('pull'), 'pull'),
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
    signing: readSigning(raw, mode, push, cwd)
  };
}

const KEY_ACCEPTED =
  'the PEM private key from `cosign generate-key-pair` (-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----, from a secret), the path of an existing key file, or a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://)';

/**
 * `sign` and its companions. sign-key and sign-key-password are secrets: no error here repeats
 * them (a value that is neither a path nor a URI may be a mangled key).
 */
function readSigning(raw: Raw, mode: Mode, push: boolean, cwd: string): Signing {
  const signMode = oneOf(raw.get('sign'), 'sign', ['false', 'keyless', 'key'] as const);
  const tlog = bool(raw.get('sign-tlog'), 'sign-tlog');
  const cosignVersion = raw.get('cosign-version');
  if (!/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(cosignVersion))
    throw new InputError('cosign-version', cosignVersion, 'a cosign release version like v2.6.1');
  const password = raw.exact('sign-key-password');
  const signing: Signing = { mode: signMode, password, tlog, cosignVersion };
  if (signMode === 'false') return signing;
  // Signing is by the digest the registry holds: nothing pushed, nothing to sign.
  if (!push && mode !== 'merge')
    throw new InputError('sign', signMode, 'false when push is false (only a pushed image can be signed)');
  const key = raw.exact('sign-key').trim();
  if (signMode === 'keyless') {
    if (key !== '')
      throw new InputError('sign-key', '(not shown)', 'empty with sign: keyless (a key is used only with sign: key)');
    return signing;
  }
  if (key === '') throw new InputError('sign-key', '', `with sign: key, ${KEY_ACCEPTED}`);
  if (isKeyMaterial(key)) {
    if (!isPemPrivateKey(key)) throw new InputError('sign-key', '(key material, not shown)', KEY_ACCEPTED);
    return { ...signing, keyPem: key };
  }
  if (KMS_URI.test(key)) return { ...signing, keyRef: key };
  const file = path.resolve(cwd, key);
  if (!existsSync(file) || !statSync(file).isFile())
    throw new InputError('sign-key', '(not shown: no such file, and not a PEM key or a KMS URI)', KEY_ACCEPTED);
  return { ...signing, keyRef: file };
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
  if (buildxVersion !== '') releaseTag(buildxVersion);
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

function readImages(raw: Raw, mode: Mode, output: boolean): string[] {
  const images = parseImages(raw.get('images'));
  // A matrix is planned before any image exists: it names none.
  if (mode !== 'matrix' && (output || mode !== 'build') && images.length === 0) {
    throw new InputError(
      'images',
      '',
      'at least one image name (e.g. ghcr.io/owner/app) when push, load or mode platform/merge is set'
    );
  }
  return images;
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

/**
 * The context and every Dockerfile must exist before a builder is started for them (a merge
 * builds nothing). `file`, `target` and `build-args` may name a platform line by line.
 */
function readBuildSource(
  raw: Raw,
  mode: Mode,
  cwd: string,
  platforms: Platform[]
): Pick<Inputs, 'context' | 'file' | 'target' | 'buildArgs' | 'perPlatform'> {
  const context = raw.get('context');
  const files = singlePerPlatform(raw.list('file'), 'file', platforms);
  const targets = singlePerPlatform(raw.list('target'), 'target', platforms);
  const args = splitByPlatform(raw.list('build-args'), 'build-args', platforms);
  const file = files.common;
  const remoteContext = /^(https?:\/\/|git@|github\.com\/)|\.git(#.*)?$/.test(context);
  // A merge builds nothing, a matrix only names where the legs will build.
  if (mode !== 'merge' && mode !== 'matrix' && !remoteContext) {
    const dir = path.resolve(cwd, context);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new InputError('context', context, 'an existing directory (relative to the workspace) or a git URL');
    const own = Object.entries(files.byPlatform).map(([id, f]) => ({ f, shown: `${id}=${f}` }));
    for (const { f, shown } of [{ f: file, shown: file }, ...own]) {
      const dockerfile = path.resolve(cwd, f || path.join(context, 'Dockerfile'));
      if (f !== '-' && !existsSync(dockerfile))
        throw new InputError('file', shown || path.join(context, 'Dockerfile'), 'an existing Dockerfile');
    }
  }
  const perPlatform: Inputs['perPlatform'] = {};
  for (const p of platforms) {
    const values = {
      ...(files.byPlatform[p.id] !== undefined ? { file: files.byPlatform[p.id] } : {}),
      ...(targets.byPlatform[p.id] !== undefined ? { target: targets.byPlatform[p.id] } : {}),
      buildArgs: args.byPlatform[p.id] ?? []
    };
    if (values.file !== undefined || values.target !== undefined || values.buildArgs.length > 0)
      perPlatform[p.id] = values;
  }
  return { context, file, target: targets.common, buildArgs: args.common, perPlatform };
}

const SECRET_ID = /^[A-Za-z0-9_.-]+$/;

/** `secrets`, `secret-envs` and `secret-files`, each split into its id and what it names. */
function readSecrets(raw: Raw, cwd: string): { secrets: Secret[]; secretEnvs: SecretEnv[]; secretFiles: SecretFile[] } {
  const secrets = secretItems(raw.exact('secrets')).map((item, index) => {
    const eq = item.indexOf('=');
    const id = eq > 0 ? item.slice(0, eq).trim() : '';
    // Never echo the item: without a valid id, any of it may be the secret itself.
    if (!SECRET_ID.test(id))
      throw new InputError(
        'secrets',
        `item ${index + 1} (value not shown)`,
        'lines of id=value, the id made of letters, digits, _ . -'
      );
    return { id, value: item.slice(eq + 1) };
  });
  const secretEnvs = raw.list('secret-envs', true).map((item) => {
    const [id, env] = idPair('secret-envs', item);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env))
      throw new InputError('secret-envs', item, 'id=ENV_NAME, the name made of letters, digits and _');
    return { id, env };
  });
  const secretFiles = raw.list('secret-files').map((item) => {
    const [id, file] = idPair('secret-files', item);
    if (!existsSync(path.resolve(cwd, file)))
      throw new InputError('secret-files', item, 'id=path of an existing file (relative to the workspace)');
    return { id, path: file };
  });
  return { secrets, secretEnvs, secretFiles };
}

/** `id=rest` of secret-envs and secret-files (they name a variable or a file, never a value, so the item may be shown). */
function idPair(input: InputName, item: string): [string, string] {
  const eq = item.indexOf('=');
  const id = eq > 0 ? item.slice(0, eq).trim() : '';
  const rest = eq > 0 ? item.slice(eq + 1).trim() : '';
  if (!SECRET_ID.test(id) || rest === '')
    throw new InputError(input, item, 'id=value pairs, the id made of letters, digits, _ . -');
  return [id, rest];
}

/**
 * The `secrets` items as build-push-action reads them: one a line, commas belonging to the value
 * (`tok=user=alice,password=s3cret` is one secret). An item that starts with a double quote runs
 * to the closing quote at the end of a line, so it may span lines (a PEM key); `""` inside it is
 * one quote. Values are kept exactly; blank lines are dropped.
 */
function secretItems(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const items: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    if (!line.trimStart().startsWith('"')) {
      items.push(line);
      continue;
    }
    // A quoted item: gather lines until one ends with a quote that is not half of a `""`.
    const start = i;
    let quoted = line.trimStart().slice(1);
    while (!closesQuote(quoted) && i + 1 < lines.length) quoted += `\n${lines[++i]}`;
    if (!closesQuote(quoted))
      throw new InputError(
        'secrets',
        `item ${items.length + 1} (value not shown)`,
        `a closing " at the end of a line for the quoted item that starts on line ${start + 1}`
      );
    items.push(quoted.trimEnd().slice(0, -1).replace(/""/g, '"'));
  }
  return items;
}

/** Whether a quoted item's text (after its opening quote) ends with its closing quote. */
function closesQuote(text: string): boolean {
  const trailing = /"+$/.exec(text.trimEnd())?.[0].length ?? 0;
  return trailing % 2 === 1;
}

/**
 * `provenance` as buildx takes it: true, false, or its attestation's key=value options. Empty:
 * mode=min, but off with load, as build-push-action leaves it: the local image store cannot take
 * the attestation's index ("docker exporter does not currently support exporting manifest lists").
 */
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

function readProvenance(raw: Raw, load: boolean): string {
  if (!raw.given('provenance')) return load ? 'false' : 'mode=min';
  const value = raw.get('provenance');
  const accepted =
    'true, false, or key=value options, comma separated: mode=min|max, builder-id=<url>, version=v0.2|v1, inline-only=, reproducible=, disabled= (true|false)';
  if (/^(true|false)$/i.test(value)) return String(bool(value, 'provenance', accepted));
  const valid = value.split(',').every((pair) => {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim();
    const option = pair.slice(eq + 1).trim();
    switch (eq > 0 ? key : '') {
      case 'mode':
        return option === 'min' || option === 'max';
      case 'builder-id':
        return option !== '';
      case 'version':
        return option === 'v0.2' || option === 'v1';
      case 'inline-only':
      case 'reproducible':
      case 'disabled':
        return option === 'true' || option === 'false';
      default:
        return false;
    }
  });
  if (!valid) throw new InputError('provenance', value, accepted);
  return value;
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

// The YAML 1.2 core schema's booleans, as @actions/core's getBooleanInput accepts them: a typo fails.
function bool(value: string, input: InputName, accepted = 'true or false'): boolean {
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(input, value, accepted);
}

function oneOf<T extends string>(value: string, input: InputName, accepted: readonly T[]): T {
  if ((accepted as readonly string[]).includes(value)) return value as T;
  throw new InputError(input, value, `one of ${accepted.join(', ')}`);
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

function integer(value: string, input: InputName, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new InputError(input, value, `a whole number from ${min} to ${max}`);
  return Number(value);
}
