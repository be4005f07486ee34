/**
 * The cosign command lines for signing a published index and verifying the signature. Always by
 * digest, never by tag (a tag can move between signing and verifying), and recursive, so the
 * index and every platform manifest carry a signature: registries with an "only signed images"
 * policy judge the platform manifests a client actually pulls.
 */
import { isLoopbackHost, registryHost } from './image.js';
import { withDigest, withTag } from './reference.js';

export type SignMode = 'keyless' | 'key';

/** GitHub Actions' OIDC issuer: what Fulcio writes into keyless certificates made on GitHub. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

export interface SignTarget {
  /** The image repository, with or without a tag (`registry/app`, `registry/app:1.2.3`): the tag is dropped. */
  image: string;
  /** The index digest, `sha256:<64 hex>`. */
  digest: string;
}

export interface SignSpec extends SignTarget {
  mode: SignMode;
  /** Key mode: the path of the private key file (never its content). */
  keyFile?: string;
  /** Whether the signature is recorded in the transparency log. */
  tlog: boolean;
}

export interface VerifySpec extends SignTarget {
  mode: SignMode;
  /** Key mode: the path (or KMS URI) of the public key. */
  publicKey?: string;
  tlog: boolean;
  /** Keyless: who must have signed. */
  identity?: KeylessIdentity;
}

export interface KeylessIdentity {
  /** A regular expression the certificate's subject must match. */
  identityRegexp: string;
  issuer: string;
}

/** Stands for the index digest in a plan's cosign commands: the digest exists only once the build has pushed. */
export const INDEX_DIGEST = '<digest of the index>';

/** What a KMS key reference starts with: cosign reads the key from the service, never a file. */
export const KMS_URI = /^(awskms|gcpkms|azurekms|hashivault|k8s|pkcs11):\/\//;

/** Whether a `sign-key` value is the key itself (PEM text) rather than a path or a KMS URI. */
export function isKeyMaterial(value: string): boolean {
  return value.includes('-----BEGIN') || value.includes('PRIVATE KEY') || value.includes('\n');
}

/** A PEM private key as `cosign generate-key-pair` writes it (any label ending in PRIVATE KEY). */
export function isPemPrivateKey(value: string): boolean {
  return /^-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n[\s\S]+\r?\n-----END [A-Z ]*PRIVATE KEY-----$/.test(value.trim());
}

/** `registry/repo@sha256:…`: the reference cosign is given, with any tag dropped. */
export function digestRef(target: SignTarget): string {
  if (target.digest !== INDEX_DIGEST && !/^sha256:[0-9a-f]{64}$/.test(target.digest)) {
    throw new Error(`cannot sign ${target.image}: "${target.digest}" is not a sha256 digest`);
  }
  return withDigest(target.image, target.digest);
}

/** Whether the image's registry is on this machine (see isLoopbackHost). */
export function isLoopbackRegistry(image: string): boolean {
  return isLoopbackHost(registryHost(image));
}

function insecure(image: string): string[] {
  return isLoopbackRegistry(image) ? ['--allow-insecure-registry'] : [];
}

/**
 * `cosign sign` arguments. Key mode names the key file; its password goes in COSIGN_PASSWORD
 * (see signEnv), never here. Keyless takes the GitHub OIDC token from the runner's environment.
 */
export function signArgs(spec: SignSpec): string[] {
  const args = ['sign', '--yes', '--recursive'];
  if (spec.mode === 'key') {
    if (!spec.keyFile) throw new Error('signing with a key needs the key file');
    args.push('--key', spec.keyFile);
  }
  if (!spec.tlog) args.push('--tlog-upload=false');
  args.push(...insecure(spec.image), digestRef(spec));
  return args;
}

/**
 * The environment cosign needs on top of the process's own. Key mode always sets
 * COSIGN_PASSWORD (empty for a key without one), or cosign would stop to ask for it.
 */
export function signEnv(mode: SignMode, password: string | undefined): Record<string, string> {
  return mode === 'key' ? { COSIGN_PASSWORD: password ?? '' } : {};
}

/** `cosign verify` arguments for the signature just made. */
export function verifyArgs(spec: VerifySpec): string[] {
  const args = ['verify'];
  if (spec.mode === 'key') {
    if (!spec.publicKey) throw new Error('verifying a key signature needs the public key');
    args.push('--key', spec.publicKey);
  } else {
    if (!spec.identity) throw new Error('verifying a keyless signature needs the signer identity');
    args.push(
      `--certificate-identity-regexp=${spec.identity.identityRegexp}`,
      `--certificate-oidc-issuer=${spec.identity.issuer}`
    );
  }
  if (!spec.tlog) args.push('--insecure-ignore-tlog=true');
  args.push(...insecure(spec.image), digestRef(spec));
  return args;
}

/**
 * Who signs keylessly from this workflow: GitHub writes `<server>/<owner>/<repo>/.github/workflows/<file>@<ref>`
 * into the certificate. The expression pins the repository and workflow file and accepts any
 * ref, so the same command verifies this release and the next.
 * @param workflowRef GITHUB_WORKFLOW_REF: `owner/repo/.github/workflows/release.yml@refs/tags/v1.2.3`
 * @param serverUrl GITHUB_SERVER_URL
 */
export function workflowIdentity(workflowRef: string, serverUrl = 'https://github.com'): KeylessIdentity {
  const at = workflowRef.indexOf('@');
  const workflow = at < 0 ? workflowRef : workflowRef.slice(0, at);
  if (!/^[^/]+\/[^/]+\/\.github\/workflows\/[^@]+$/.test(workflow)) {
    throw new Error(
      `cannot tell the signing workflow from GITHUB_WORKFLOW_REF "${workflowRef}" (expected owner/repo/.github/workflows/file.yml@ref)`
    );
  }
  const server = serverUrl.replace(/\/+$/, '');
  return { identityRegexp: `^${escapeRegExp(`${server}/${workflow}@`)}refs/.+$`, issuer: GITHUB_OIDC_ISSUER };
}

/** The `cosign verify` command users can paste, quoted for a POSIX shell. */
export function verifyCommand(spec: VerifySpec): string {
  return ['cosign', ...verifyArgs(spec)].map(shellQuote).join(' ');
}

/**
 * Where cosign stores the signature of one manifest when the registry is used without the
 * referrers API: a tag in the same repository named after the digest.
 */
export function signatureTag(target: SignTarget): string {
  digestRef(target);
  return withTag(target.image, `${target.digest.replace(':', '-')}.sig`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@=,+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Keyless signing needs the workflow's OIDC token, which GitHub hands out only to jobs granted
 * `permissions: id-token: write`: without it these variables are absent. Returns the problem, or
 * undefined when signing can go ahead.
 */
export function keylessProblem(env: Record<string, string | undefined>): string | undefined {
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) return undefined;
  if (env.GITHUB_ACTIONS !== 'true') {
    return 'sign: keyless signs with the GitHub Actions OIDC token, which exists only in a GitHub Actions job; use sign: key with sign-key here';
  }
  return 'sign: keyless needs the job to grant `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL is not set); add it to the job, or use sign: key';
}

/** One cosign invocation of the signing sequence, as the plan shows it and the runner runs it. */
export interface CosignStep {
  what: 'check-key' | 'sign' | 'verify';
  args: string[];
  /** Whether the step gets COSIGN_PASSWORD (see signEnv); the others run without it. */
  password: boolean;
}

/**
 * The whole sequence for one index: in key mode the public key is derived first (which proves the
 * key and its password before anything reaches the registry), then the recursive signature, then
 * a verification of what was just signed.
 */
export function signingSteps(spec: SignSpec & { publicKeyFile?: string; identity?: KeylessIdentity }): CosignStep[] {
  const steps: CosignStep[] = [];
  if (spec.mode === 'key') {
    if (!spec.keyFile || !spec.publicKeyFile)
      throw new Error('signing with a key needs the key file and where to put its public key');
    steps.push({
      what: 'check-key',
      args: ['public-key', '--key', spec.keyFile, '--outfile', spec.publicKeyFile],
      password: true
    });
  }
  steps.push({ what: 'sign', args: signArgs(spec), password: spec.mode === 'key' });
  steps.push({
    what: 'verify',
    args: verifyArgs({ ...spec, publicKey: spec.publicKeyFile, identity: spec.identity }),
    password: false
  });
  return steps;
}
