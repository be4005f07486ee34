import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readInputs } from '../inputs/read.js';
import { nativePlatform } from '../plan/platforms.js';
import { contextFromGitHub } from '../inputs/github.js';
import { contextFromGit } from '../inputs/git.js';
import { githubSource } from '../inputs/git-context.js';
import { readActionsCacheAccess } from '../inputs/actions-cache.js';
import type { Context } from '../plan/context.js';
import type { Inputs } from '../plan/inputs.js';
import type { PlanIds } from '../plan/plan.js';
import { InputError } from '../plan/errors.js';
import { needsRevision, revisionRefusal } from '../plan/revision.js';
import { keylessProblem, workflowIdentity } from '../plan/sign.js';
import { checkSecretEnvs, maskSecrets, writeSecrets } from './secrets.js';
import { checkSbom } from '../inputs/checks.js';
import type { Session } from './session.js';

/** Every input, read and validated once; secret values are masked before anything can print them. */
export async function readAndMask(session: Session): Promise<Inputs> {
  const { env } = session;
  const inputs = readInputs(
    session.edges.input,
    session.cwd,
    nativePlatform(),
    env.GITHUB_EVENT_NAME ?? '',
    githubSource(env)
  );
  await maskSecrets(inputs, { env, cwd: session.cwd }, session.masker, session.log);
  if (inputs.gitContext)
    session.log.info(
      `context: not given, and the workspace holds no checkout (no Dockerfile, no .git): building the git context of the commit, ${inputs.gitContext}, as build-push-action does. Check the repository out (actions/checkout) to build the workspace instead.`
    );
  checkKeyless(inputs, session.env);
  checkSbom(inputs.build.sbom);
  if (inputs.mode === 'build' || inputs.mode === 'platform') checkSecretEnvs(inputs, session.env, session.log);
  if (inputs.load && !inputs.dryRun) await checkEngine(session);
  return inputs;
}

/**
 * load: buildx hands the image to the Docker engine only once the build is done; with none
 * answering it fails there (`failed to copy to tar: … closed pipe`). Asked first, as the docker
 * CLI finds its engine (DOCKER_HOST, the context, else the default socket). Without a docker CLI
 * the build itself will tell.
 */
async function checkEngine(session: Session): Promise<void> {
  const { env, runner } = session;
  const result = await runner('docker', ['version', '--format', '{{.Server.Version}}'], {
    env,
    quiet: true,
    allowFailure: true
  }).catch(() => undefined);
  if (!result || result.code === 0) return;
  const where = env.DOCKER_HOST
    ? `DOCKER_HOST=${env.DOCKER_HOST}`
    : env.DOCKER_CONTEXT
      ? `the docker context ${env.DOCKER_CONTEXT}`
      : 'unix:///var/run/docker.sock (DOCKER_HOST is not set)';
  const said =
    result.stderr
      .trim()
      .split('\n')
      .find((l) => l.trim()) ?? `docker version exited ${result.code}`;
  throw new InputError(
    'load',
    'true',
    `false here, or a Docker engine to load the image into: none answers at ${where} (${said.trim()}); nothing was built. Start one, point DOCKER_HOST at one, or push instead`
  );
}

/** sign: keyless cannot work without the job's OIDC token: say so before anything is built. */
function checkKeyless(inputs: Inputs, env: NodeJS.ProcessEnv): void {
  if (inputs.signing.mode !== 'keyless') return;
  const problem = keylessProblem(env);
  if (problem) throw new InputError('sign', 'keyless', `key or false here, because ${problem}`);
  if (!env.GITHUB_WORKFLOW_REF)
    throw new InputError(
      'sign',
      'keyless',
      'key or false here: GITHUB_WORKFLOW_REF is not set, so the signer cannot be named'
    );
}

/** The commit, ref and repository: from the GitHub event, or from the local checkout. */
export async function readContext(session: Session, inputs: Inputs): Promise<Context> {
  const { env, cwd, log, runner } = session;
  const source =
    inputs.metadataSource === 'auto' ? (env.GITHUB_EVENT_PATH ? 'workflow' : 'git') : inputs.metadataSource;
  const dir = path.resolve(cwd, env.GITHUB_WORKSPACE || '.');
  const context =
    source === 'workflow'
      ? await contextFromGitHub(env, runner)
      : await contextFromGit(dir, env, runner, session.source);
  // Which refs the tags come from: two when a local commit is both a branch tip and tagged.
  const refs = [context.ref, ...(context.extraRefs ?? [])].join(' + ') || '(no ref)';
  const commit = context.sha ? context.sha.slice(0, 12) : 'no known commit';
  const from = context.noGit ? 'no git checkout' : source;
  log.info(`${context.eventName} ${refs} at ${commit} (${from}${context.ci ? `, ${context.ci} variables` : ''})`);
  // Without git, only what needs the commit is refused, naming what to pass.
  const needs = context.sha ? undefined : needsRevision(inputs);
  if (needs) throw revisionRefusal(needs, dir);
  if (context.dirty) {
    log.warning(
      `the working tree has uncommitted changes: the image is tagged sha-${context.sha.slice(0, 7)} but is not that commit`
    );
  }
  if (inputs.cache === 'gha') {
    // buildx reads the token from the environment; it must never be printed, whatever prints it.
    session.masker.add(env.ACTIONS_RUNTIME_TOKEN);
    context.actionsCache = readActionsCacheAccess(env, context.eventName);
    if (context.actionsCache.note) log.info(context.actionsCache.note);
  }
  return context;
}

/** A private directory for this run (secret files, the metadata file) and the names the plan uses. */
export interface Workspace {
  tempDir: string;
  ids: PlanIds;
}

export async function makeWorkspace(session: Session, inputs: Inputs, context: Context): Promise<Workspace> {
  const tempRoot = session.env.RUNNER_TEMP || os.tmpdir();
  await mkdir(tempRoot, { recursive: true });
  const tempDir = await mkdtemp(path.join(tempRoot, 'multiarch-'));
  const suffix = randomBytes(3).toString('hex');
  const builderName = `multiarch-${context.runId || 'local'}-${context.runAttempt || '1'}-${suffix}`;
  let inlineBuildkitdConfig: string | undefined;
  if (inputs.buildkitdConfigInline) {
    inlineBuildkitdConfig = path.join(tempDir, 'buildkitd.toml');
    await writeFile(inlineBuildkitdConfig, inputs.buildkitdConfigInline);
  }
  const secretPaths = await writeSecrets(inputs, tempDir);
  return {
    tempDir,
    ids: {
      builderName,
      metadataFile: path.join(tempDir, 'metadata.json'),
      secretPaths,
      runId: inputs.runId || context.runId,
      cosignDir: path.join(tempDir, 'cosign'),
      ...(inputs.signing.mode === 'keyless'
        ? { signer: workflowIdentity(session.env.GITHUB_WORKFLOW_REF ?? '', session.env.GITHUB_SERVER_URL) }
        : {}),
      inlineBuildkitdConfig
    }
  };
}
