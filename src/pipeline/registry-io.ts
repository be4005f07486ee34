/**
 * Registry requests of our own, each retried by the one request policy, with one rule for what
 * our client cannot do (an auth scheme only buildx knows, BuildKit's registry configuration): the
 * same through `buildx imagetools`, said once in the log.
 */
import { getRequest } from '../plan/steps.js';
import type { Buildx } from '../tools/buildx/handle.js';
import * as imagetools from '../tools/buildx/imagetools.js';
import { getManifest, RegistryRefused, requestRetry } from '../tools/registry/client.js';
import type { RegistryOptions } from '../tools/registry/client.js';
import { withRetry } from '../tools/retry.js';

/** A manifest's exact bytes, its digest and media type: what a PUT by digest or by tag sends. */
export interface Bytes {
  raw: string;
  mediaType: string;
  digest: string;
}

/**
 * `call` through our client, retried (`what` names it in retry warnings); when the registry refuses
 * our client, `fallback` through buildx. `request`, when given, is logged first as `[request] …`.
 */
export async function viaRegistry<T>(
  bx: Buildx,
  what: string,
  call: () => Promise<T>,
  fallback: () => Promise<T>,
  request?: string
): Promise<T> {
  try {
    if (request) bx.log.info(`[request] ${request}`);
    return await withRetry(call, { ...requestRetry(bx.retries), what, log: bx.log });
  } catch (error) {
    if (!(error instanceof RegistryRefused)) throw error;
    bx.log.info(`${what} through buildx imagetools (${error.message})`);
    return fallback();
  }
}

/**
 * The manifest `ref` (`name@sha256:…`) names, its exact bytes: one GET, or `imagetools inspect --raw`.
 * `absent` ends the error when neither finds it.
 */
export function readBytes(
  bx: Buildx,
  builder: string,
  ref: string,
  registry: RegistryOptions,
  absent = 'is not in the registry'
): Promise<Bytes> {
  return viaRegistry(
    bx,
    `reading ${ref}`,
    () => getManifest(ref, registry),
    async () => {
      const got = await imagetools.inspectRaw(bx, builder, ref);
      if (!got) throw new Error(`${ref} ${absent}`);
      return { raw: got.raw, digest: got.digest, mediaType: got.manifest.mediaType ?? '' };
    },
    getRequest(ref)
  );
}
