/**
 * The preflight, seconds before any build minute is spent: every repository the release goes to
 * must take a push from these credentials (an upload session opened and cancelled), and with
 * `sign: key` the key must decrypt with its password. A registry that answers our client with
 * something only buildx understands is left for the push to judge, said once.
 */
import { InputError } from '../plan/errors.js';
import type { PreflightStep } from '../plan/steps.js';
import { registryHost } from '../plan/image.js';
import { GHCR_PUSH_PERMISSION, LOGIN_ADVICE } from '../plan/hosts.js';
import { setupCosign, signAndVerify } from '../tools/cosign.js';
import { ExecError } from '../tools/exec.js';
import { checkPush, RegistryRefused, requestRetry, type RegistryOptions } from '../tools/registry/client.js';
import { withRetry } from '../tools/retry.js';
import type { Inputs } from '../plan/inputs.js';
import type { Session } from './session.js';

const REFUSED = /answered 40[13]\b|asks for credentials and none are configured/;

/** The preflight's own refusal: already phrased for the user, naming every repository refused. */
export class PreflightRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreflightRefused';
  }
}

/** One refused repository, in words: who refused, and why. */
function refusal(repository: string, said: string): string {
  const host = registryHost(repository);
  if (/answered 401\b/.test(said)) return `${repository}: ${host} refused the credentials (401 Unauthorized)`;
  if (/answered 403\b/.test(said))
    return `${repository}: ${host} denied the push (403): the credentials are valid but may not push here`;
  return `${repository}: ${host} asks for credentials and none are configured for it`;
}

export async function preflight(
  session: Session,
  step: PreflightStep,
  signing: Inputs['signing'],
  retries: number,
  registry: RegistryOptions
): Promise<void> {
  const { log } = session;
  const problems: string[] = [];
  await Promise.all(
    step.repositories.map(async (repository) => {
      log.info(`[request] ${pushCheckRequest(repository)}`);
      try {
        await withRetry(() => checkPush(repository, registry), {
          ...requestRetry(retries),
          what: `checking push access to ${repository}`,
          log
        });
      } catch (error) {
        if (!(error instanceof RegistryRefused)) throw error;
        if (!REFUSED.test(error.message)) {
          log.info(`push access to ${repository} not checked before the build (${error.message}); the push will tell`);
          return;
        }
        problems.push(refusal(repository, error.message));
        log.info(`${repository}: ${error.message}`);
      }
    })
  );
  if (problems.length > 0) {
    const hosts = [...new Set(problems.map((p) => registryHost(p.slice(0, p.indexOf(': ')))))];
    throw new PreflightRefused(
      `no push access to ${problems.length === 1 ? 'this repository' : 'these repositories'}; nothing was built and no tag moved:\n` +
        problems.map((p) => `- ${p}`).join('\n') +
        `\nLog in to ${hosts.join(' and ')} before this step (${LOGIN_ADVICE}), with a token that may push (on GHCR: permissions: ${GHCR_PUSH_PERMISSION}).`
    );
  }
  if (step.key) await checkKey(session, step.key, signing, retries);
}

/** The request the push check makes, as the log and the dry run show it. */
export function pushCheckRequest(repository: string): string {
  return `POST ${repository}/blobs/uploads/ (push access; the session is cancelled at once)`;
}

/** cosign derives the public key: the key file or PEM and its password, proven before the build. */
async function checkKey(
  session: Session,
  key: NonNullable<PreflightStep['key']>,
  signing: Inputs['signing'],
  retries: number
): Promise<void> {
  const { log, runner, env } = session;
  const cosign = await setupCosign({ version: key.cosignVersion, run: runner, log, env, retries });
  try {
    await signAndVerify({
      cosign,
      run: runner,
      log,
      commands: [key.command],
      workDir: key.workDir,
      ...(key.keyFile && signing.keyPem ? { key: { pem: signing.keyPem, file: key.keyFile } } : {}),
      password: signing.password,
      env
    });
  } catch (error) {
    if (!(error instanceof ExecError)) throw error;
    const said = `${error.result.stderr}\n${error.result.stdout}`;
    const line =
      said
        .split('\n')
        .find((l) => /error|decrypt|password|no such file/i.test(l))
        ?.trim() ?? error.message;
    if (/decrypt|password/i.test(said))
      throw new InputError(
        'sign-key-password',
        '(not shown)',
        `the password sign-key was encrypted with: cosign could not decrypt the key with it (${line}); nothing was built`
      );
    throw new InputError(
      'sign-key',
      '(not shown)',
      `a cosign private key (PEM text, a file, or a KMS URI) that cosign can read: ${line}; nothing was built`
    );
  }
  log.info('sign-key decrypts with its password: the release can be signed');
}
