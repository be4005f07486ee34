import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../plan/errors.js';
import { parseList } from '../plan/list.js';
import type { Inputs, QemuMode } from '../plan/inputs.js';
import { parsePlatforms } from '../plan/platforms.js';
import { parseImages } from '../plan/image.js';
import { releaseTag } from '../plan/versions.js';
import { parseDigestRefs } from '../plan/matrix.js';
import { parse as parseCsv } from 'csv-parse/sync';
import { parseFlavor } from '../plan/tags/flavor.js';
import { parseTagRules } from '../plan/tags/rules.js';

/** Defaults live here and in action.yml; the command line reads the same table. */
export const DEFAULTS: Record<string, string> = {
  mode: 'build',
  platforms: 'linux/amd64,linux/arm64',
  context: '.',
  file: '',
  provenance: 'mode=min',
  sbom: 'false',
  push: 'true',
  load: 'false',
  'no-cache': 'false',
  pull: 'false',
  cache: 'auto',
  'cache-tag': 'buildcache',
  qemu: 'auto',
  'qemu-image': 'tonistiigi/binfmt:qemu-v9.2.2-52',
  'buildx-mirror': 'https://github.com/docker/buildx/releases/download',
  driver: 'docker-container',
  'buildkit-image': 'moby/buildkit:v0.32.2',
  retries: '3',
  'stall-timeout': '600',
  'dry-run': 'false',
  'metadata-source': 'auto'
};

export type InputReader = (name: string) => string;

/** Reads and validates every input. Throws InputError before anything is built or pushed. */
export function readInputs(raw: InputReader, cwd: string = process.cwd()): Inputs {
  const get = (name: string): string => {
    const value = raw(name).trim();
    return value === '' ? (DEFAULTS[name] ?? '') : value;
  };
  const list = (name: string, comma = false): string[] => parseList(get(name), { comma });

  const mode = oneOf(get('mode'), 'mode', ['build', 'platform', 'merge'] as const);
  const push = bool(get('push'), 'push');
  const load = bool(get('load'), 'load');
  if (push && load)
    throw new InputError(
      'load',
      'true',
      'false when push is true: a multi-platform image cannot be pushed and loaded in one build; use two steps'
    );
  const driver = oneOf(get('driver'), 'driver', ['docker-container', 'remote', 'docker'] as const);
  const endpoint = get('endpoint');
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
    for (const name of ['buildkitd-config', 'buildkitd-config-inline', 'buildkitd-flags']) {
      if (raw(name).trim() !== '')
        throw new InputError(
          name,
          raw(name).trim().split('\n')[0],
          `empty with driver ${driver}: configure that BuildKit where it runs`
        );
    }
  }
  const buildxVersion = get('buildx-version');
  if (buildxVersion !== '') releaseTag(buildxVersion);

  const images = parseImages(get('images'));
  if ((push || load || mode !== 'build') && images.length === 0) {
    throw new InputError(
      'images',
      '',
      'at least one image name (e.g. ghcr.io/owner/app) when push, load or mode platform/merge is set'
    );
  }
  const platformsRaw = get('platforms');
  const digests = list('digests', true);
  if (mode === 'merge' && raw('platforms').trim() === '' && digests.length === 0) {
    // A default here would silently leave out a platform the matrix built: the half image users ship by accident.
    throw new InputError(
      'platforms',
      '',
      'in merge mode, the list of platforms every matrix leg built (or explicit digests)'
    );
  }
  const platformItems = parseList(platformsRaw, { comma: true });
  if (platformItems.length === 0)
    throw new InputError('platforms', platformsRaw, 'at least one platform, e.g. linux/amd64,linux/arm64');
  const platforms = parsePlatforms(platformItems);
  if (digests.length > 0) parseDigestRefs(digests, images[0]);
  if (load && platforms.length > 1) {
    throw new InputError(
      'platforms',
      platforms.map((p) => p.id).join(','),
      'one platform when load is true (the local image store holds one platform per tag)'
    );
  }

  const cacheRaw = get('cache');
  const cache = cacheRaw === 'auto' ? push : bool(cacheRaw, 'cache', 'true, false or auto');
  const cacheTag = get('cache-tag');
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/.test(cacheTag))
    throw new InputError('cache-tag', cacheTag, 'a tag name of letters, digits, _ . - (at most 101 characters)');

  const context = get('context');
  const file = get('file');
  const remoteContext = /^(https?:\/\/|git@|github\.com\/)|\.git(#.*)?$/.test(context);
  if (mode !== 'merge' && !remoteContext) {
    const dir = path.resolve(cwd, context);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new InputError('context', context, 'an existing directory (relative to the workspace) or a git URL');
    const dockerfile = path.resolve(cwd, file || path.join(context, 'Dockerfile'));
    if (file !== '-' && !existsSync(dockerfile))
      throw new InputError('file', file || path.join(context, 'Dockerfile'), 'an existing Dockerfile');
  }

  const retries = integer(get('retries'), 'retries', 0, 10);
  const stall = integer(get('stall-timeout'), 'stall-timeout', 0, 24 * 3600);

  return {
    mode,
    images,
    platforms,
    tagRules: parseTagRules(get('tags')),
    flavor: parseFlavor(get('flavor')),
    labels: list('labels'),
    annotations: list('annotations'),
    context,
    file,
    target: get('target'),
    buildArgs: list('build-args'),
    buildContexts: list('build-contexts'),
    secrets: secretItems(raw('secrets')),
    secretEnvs: list('secret-envs', true),
    secretFiles: list('secret-files'),
    ssh: list('ssh'),
    network: get('network'),
    addHosts: list('add-hosts', true),
    shmSize: get('shm-size'),
    ulimit: list('ulimit'),
    provenance: get('provenance'),
    sbom: get('sbom'),
    push,
    load,
    noCache: bool(get('no-cache'), 'no-cache'),
    noCacheFilters: list('no-cache-filters', true),
    pull: bool(get('pull'), 'pull'),
    cache,
    cacheTag,
    cacheFrom: list('cache-from'),
    cacheTo: list('cache-to'),
    qemu: qemuMode(get('qemu')),
    qemuImage: get('qemu-image'),
    buildxVersion,
    buildxMirror: get('buildx-mirror'),
    builder: get('builder'),
    driver,
    driverOpts: list('driver-opts'),
    endpoint,
    buildkitImage: get('buildkit-image'),
    buildkitdConfig: get('buildkitd-config'),
    buildkitdConfigInline: raw('buildkitd-config-inline'),
    buildkitdFlags: get('buildkitd-flags'),
    retries,
    stallTimeoutMs: stall * 1000,
    dryRun: bool(get('dry-run'), 'dry-run'),
    metadataSource: oneOf(get('metadata-source'), 'metadata-source', ['auto', 'workflow', 'git'] as const),
    digests,
    runId: runId(get('run-id'))
  };
}

// The YAML 1.2 core schema's booleans, as @actions/core's getBooleanInput accepts them: a typo fails.
function bool(value: string, input: string, accepted = 'true or false'): boolean {
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(input, value, accepted);
}

function oneOf<T extends string>(value: string, input: string, accepted: readonly T[]): T {
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

function integer(value: string, input: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new InputError(input, value, `a whole number from ${min} to ${max}`);
  return Number(value);
}

/**
 * The `secrets` items, as build-push-action reads them: one a line, or comma separated, and a
 * quoted item may span lines (a PEM key). Values are kept exactly; only blank items are dropped.
 */
function secretItems(value: string): string[] {
  if (value.trim() === '') return [];
  const rows: string[][] = parseCsv(value, {
    delimiter: ',',
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true
  });
  return rows.flat().filter((item) => item.trim() !== '');
}
