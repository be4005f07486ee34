import type { Inputs } from './inputs.js';
import { INDEX_DIGEST, KMS_URI, signingSteps, verifyCommand } from './sign.js';
import { validateTag } from './image.js';
import {
  platformTagName,
  type CommitStep,
  type PreflightStep,
  type ProveStep,
  type SignStep,
  type StageStep,
  type Step
} from './steps.js';
import { repositoryOf, tagOf, withTag } from './reference.js';
import { heldByPlan, type HeldTag } from './tags/hold-back.js';
import type { TagResult } from './tags/compute.js';
import type { PlanIds, Planning } from './planning.js';
import { attestationsOf } from './spec.js';

/**
 * A release, all or nothing: the preflight before any build, then after it stage (content by
 * digest in every repository), prove (verified there, floating tags decided), sign (by digest,
 * when `sign` asks) and commit (tags last). A matrix leg stages, proves and commits its hand-off
 * tag only, and does not sign: the merge signs the index and, recursively, the same manifests.
 */
export function releaseSteps(
  { inputs, ids, tags, builder }: Planning,
  source: Pick<StageStep, 'source' | 'annotations'>,
  handOffRef?: string
): { preflight: Step[]; steps: Step[] } {
  const image = inputs.images[0];
  const handOff = handOffRef !== undefined;
  const refs = handOff ? [handOffRef] : tags.refs;
  const mirrors = [...new Set(refs.map(repositoryOf))].filter((repo) => repo !== image);
  const repositories = [image, ...mirrors];
  const held = handOff ? [] : heldByPlan(tags);
  const stage: StageStep = { kind: 'stage', builder, image, mirrors, ...source, handOff };
  const prove: ProveStep = {
    kind: 'prove',
    builder,
    repositories,
    platforms: inputs.platforms.map((p) => p.id),
    attestations: attestationsOf(inputs),
    floating: handOff ? [] : floatingRefs(tags, refs, held),
    handOff
  };
  const commit: CommitStep = {
    kind: 'commit',
    builder,
    refs,
    platformTags: handOff ? [] : platformTags(inputs, refs),
    held,
    handOff
  };
  const sign = handOff || inputs.signing.mode === 'false' ? undefined : signStep(inputs, ids, image, mirrors);
  const checkKey = sign?.commands.find((c) => c.what === 'check-key');
  const preflight: PreflightStep = {
    kind: 'preflight',
    repositories,
    ...(sign && checkKey
      ? {
          key: {
            command: checkKey,
            cosignVersion: sign.cosignVersion,
            ...(sign.keyFile ? { keyFile: sign.keyFile } : {}),
            workDir: sign.workDir
          }
        }
      : {})
  };
  return { preflight: [preflight], steps: [stage, prove, ...(sign ? [sign] : []), commit] };
}

/** Each floating tag the registry decides (not one the plan already holds), read by its first ref. */
function floatingRefs(tags: TagResult, refs: string[], held: HeldTag[]): ProveStep['floating'] {
  return tags.floating
    .filter((tag) => !held.some((h) => h.tag === tag))
    .flatMap((tag) => {
      const ref = refs.find((r) => tagOf(r) === tag);
      return ref ? [{ tag, ref }] : [];
    });
}

/** The cosign commands that sign the index by digest and verify the signature, as the run will start them. */
function signStep(inputs: Inputs, ids: PlanIds, image: string, mirrors: string[]): SignStep {
  const { signing } = inputs;
  const mode = signing.mode === 'keyless' ? 'keyless' : 'key';
  // Beside the metadata file, in the run's private temp dir, unless the workspace names one.
  const workDir = ids.cosignDir ?? `${ids.metadataFile.slice(0, ids.metadataFile.lastIndexOf('/'))}/cosign`;
  const keyFile = signing.keyPem ? `${workDir}/cosign.key` : undefined;
  const target = { image, digest: INDEX_DIGEST, tlog: signing.tlog };
  if (mode === 'keyless' && !ids.signer)
    throw new Error('sign: keyless needs the signing workflow (GITHUB_WORKFLOW_REF)');
  // Every repository holds its own signatures (a policy on either registry finds them); the key is checked once.
  const commands = [image, ...mirrors].flatMap((repo, i) =>
    signingSteps({
      ...target,
      image: repo,
      mode,
      keyFile: keyFile ?? signing.keyRef,
      publicKeyFile: mode === 'key' ? `${workDir}/cosign.pub` : undefined,
      identity: ids.signer
    }).filter((c) => i === 0 || c.what !== 'check-key')
  );
  return {
    kind: 'sign',
    mode,
    image,
    mirrors,
    cosignVersion: signing.cosignVersion,
    commands,
    ...(keyFile ? { keyFile } : {}),
    workDir,
    verifyCommand: verifyCommand({
      ...target,
      mode,
      identity: ids.signer,
      // Users verify with the public key they keep beside the private one.
      publicKey:
        mode === 'key' ? (signing.keyRef && KMS_URI.test(signing.keyRef) ? signing.keyRef : 'cosign.pub') : undefined
    })
  };
}

/** `platform-tags`: for every tag, one per platform (`1.2.3-arm64`), each a valid tag or an error naming the input. */
function platformTags(inputs: Inputs, refs: string[]): CommitStep['platformTags'] {
  if (!inputs.platformTags) return [];
  return refs.flatMap((of) =>
    inputs.platforms.map((p) => {
      const tag = tagOf(of) + inputs.platformTags.replace('{{platform}}', platformTagName(p.id));
      return { platform: p.id, ref: withTag(of, validateTag(tag, 'platform-tags')), of };
    })
  );
}
