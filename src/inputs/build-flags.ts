import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { isRemoteContext } from '../plan/dockerfile.js';
import { InputError } from '../plan/errors.js';
import type { BuildFlags, Inputs, Mode } from '../plan/inputs.js';
import type { Platform } from '../plan/platforms.js';
import { singlePerPlatform, splitByPlatform } from '../plan/per-platform.js';
import { OUTPUTS_ACCEPTED, outputType } from '../plan/outputs.js';
import { bool, type Raw } from './raw.js';
import { defaultGitContext, expandDefaultContext, noCheckout, type GitHubSource } from './git-context.js';

/**
 * The pass-through buildx flags, one group (Inputs.build): each read here, one line a flag. The
 * plan hands the group to every build as it is.
 */
export function readBuildFlags(
  raw: Raw,
  mode: Mode,
  cwd: string,
  platforms: Platform[],
  /** load, or an `outputs` line of type docker: a Docker image store or archive receives the result. */
  dockerExport: boolean,
  /** The GitHub run's commit, for the git context (`{{defaultContext}}`, and the default without a checkout). */
  github?: GitHubSource
): { build: BuildFlags; perPlatform: Inputs['perPlatform']; gitContext?: string } {
  const { context, file, target, buildArgs, perPlatform, gitContext } = readBuildSource(
    raw,
    mode,
    cwd,
    platforms,
    github
  );
  const build: BuildFlags = {
    context,
    file,
    target,
    buildArgs,
    buildContexts: raw.list('build-contexts').map((line) => expandDefaultContext(line, 'build-contexts', github)),
    ssh: raw.list('ssh'),
    network: raw.get('network'),
    addHosts: raw.list('add-hosts', true),
    shmSize: raw.get('shm-size'),
    ulimit: raw.list('ulimit'),
    provenance: readProvenance(raw, dockerExport),
    sbom: raw.get('sbom'),
    noCache: bool(raw.get('no-cache'), 'no-cache'),
    noCacheFilters: raw.list('no-cache-filters', true),
    pull: bool(raw.get('pull'), 'pull')
  };
  return { build, perPlatform, ...(gitContext ? { gitContext } : {}) };
}

/**
 * The context and every Dockerfile must exist before a builder is started for them (a merge
 * builds nothing). `file`, `target` and `build-args` may name a platform line by line. No
 * `context` on GitHub with no checkout in the workspace: the git context of the commit, as
 * build-push-action defaults to (`gitContext` says so, for the log).
 */
function readBuildSource(
  raw: Raw,
  mode: Mode,
  cwd: string,
  platforms: Platform[],
  github: GitHubSource | undefined
): Pick<BuildFlags, 'context' | 'file' | 'target' | 'buildArgs'> & Pick<Inputs, 'perPlatform' | 'gitContext'> {
  let context = expandDefaultContext(raw.get('context'), 'context', github);
  const files = singlePerPlatform(raw.list('file'), 'file', platforms);
  const targets = singlePerPlatform(raw.list('target'), 'target', platforms);
  const args = splitByPlatform(raw.list('build-args'), 'build-args', platforms);
  const file = files.common;
  // A merge builds nothing, a matrix only names where the legs will build, metadata builds nothing.
  const builds = mode !== 'merge' && mode !== 'matrix' && mode !== 'metadata';
  let gitContext: string | undefined;
  const named = [file, ...Object.values(files.byPlatform)].filter((f) => f !== '');
  if (builds && github && !raw.given('context') && noCheckout(cwd, named))
    context = gitContext = defaultGitContext(github);
  const remoteContext = isRemoteContext(context);
  if (builds && !remoteContext) {
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
  return {
    context,
    file,
    target: targets.common,
    buildArgs: args.common,
    perPlatform,
    ...(gitContext ? { gitContext } : {})
  };
}

/**
 * `provenance` as buildx takes it: true, false, or its attestation's key=value options. Empty:
 * mode=min, but off with load or a type=docker output, as build-push-action leaves it: BuildKit's
 * docker exporter cannot take the attestation's index ("docker exporter does not support
 * exporting manifest lists"), even beside an image exporter in the same build.
 */
function readProvenance(raw: Raw, dockerExport: boolean): string {
  if (!raw.given('provenance')) return dockerExport ? 'false' : 'mode=min';
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

/**
 * `outputs` beside the other inputs. push: true is buildx's --push: it adds this action's own
 * image push (by digest, tags last) beside the outputs, so an output that pushes an image itself
 * would move its tags before anything is verified: refused. A merge builds nothing to output.
 */
export function checkOutputs(outputs: string[], mode: Mode, push: boolean): void {
  if (outputs.length === 0) return;
  if (mode === 'merge' || mode === 'matrix')
    throw new InputError(
      'outputs',
      outputs[0],
      `empty with mode ${mode} (it builds nothing; give outputs to the build)`
    );
  const pushed = outputs.find((out) => ['image', 'registry'].includes(outputType(out).type));
  if (push && pushed)
    throw new InputError(
      'outputs',
      pushed,
      `with push: true, outputs that do not push (type=docker, oci, local, tar, cacheonly): push: true pushes the image itself, by digest, and moves the tags last; for an image output as written, set push: false. Accepted: ${OUTPUTS_ACCEPTED}`
    );
}
