/**
 * The sign step: cosign (the one on the PATH, else the pinned release, checksum-verified and
 * cached) signs the staged, proven index and every manifest in it by digest, before any tag
 * moves, then verifies the signature it just made: no tag ever names an unsigned release. Key material reaches cosign only as a private file
 * removed afterwards; the password only in its environment.
 */
import type { Inputs } from '../plan/inputs.js';
import { INDEX_DIGEST, signatureTag } from '../plan/sign.js';
import { withDigest, type SignStep } from '../plan/steps.js';
import { setupCosign, signAndVerify } from '../tools/cosign.js';
import type { Session } from './session.js';

export interface Signed {
  /** Where the signatures are stored: the index's first, then each listed manifest's. */
  signatures: string[];
  /** The `cosign verify` command users can paste. */
  verifyCommand: string;
}

export async function sign(
  session: Session,
  step: SignStep,
  signing: Inputs['signing'],
  digest: string,
  children: string[],
  retries: number
): Promise<Signed> {
  const { log, runner, env } = session;
  const cosign = await setupCosign({ version: step.cosignVersion, run: runner, log, env, retries });
  log.info(`cosign ${cosign.version} (${cosign.source})`);
  const commands = step.commands.map((c) => ({ ...c, args: withDigest(c.args, INDEX_DIGEST, digest) }));
  await signAndVerify({
    cosign,
    run: runner,
    log,
    commands,
    workDir: step.workDir,
    ...(step.keyFile && signing.keyPem ? { key: { pem: signing.keyPem, file: step.keyFile } } : {}),
    password: signing.password,
    env
  });
  const signatures = [step.image, ...step.mirrors].flatMap((image) =>
    [digest, ...children].map((d) => signatureTag({ image, digest: d }))
  );
  const ref = `${step.image}@${digest}`;
  const verifyCommand = step.verifyCommand
    .split(`'${step.image}@${INDEX_DIGEST}'`)
    .join(ref)
    .split(INDEX_DIGEST)
    .join(digest);
  const elsewhere = step.mirrors.length > 0 ? `, and the same in ${step.mirrors.join(', ')}` : '';
  log.info(`signed ${ref} and ${children.length} manifest(s) in it${elsewhere}; the signature verifies`);
  log.info(`verify it with: ${verifyCommand}`);
  return { signatures, verifyCommand };
}
