import { outputType } from '../plan/outputs.js';
import { InputError } from '../plan/errors.js';
import { parseImages } from '../plan/image.js';
import type { Inputs, Mode } from '../plan/inputs.js';
import { parseFlavor } from '../plan/tags/flavor.js';
import { parseTagRules, type TagRule } from '../plan/tags/rules.js';
import { bool, type Raw } from './raw.js';

/* What is published and where: `images`, `tags`, `flavor`, `push` and `load`. */

export type PublishInputs = Pick<Inputs, 'images' | 'tagRules' | 'flavor' | 'push' | 'pushNote' | 'load'>;

/** Events whose runs never push unless `push` says so: code from a pull request is not published by default. */
const PULL_REQUEST_EVENTS = ['pull_request', 'pull_request_target'];

/**
 * `push` as given; left empty: off for a pull request (mode build) and when `load` is set, as
 * build-push-action never pushes unasked; on otherwise (one step publishes). `pushNote` says why
 * nothing is pushed when the default decided it.
 */
function readPush(
  raw: Raw,
  mode: Mode,
  load: boolean,
  eventName: string,
  outputs: string[]
): Pick<Inputs, 'push' | 'pushNote'> {
  const byDigest = outputs.some((out) => {
    const { type, fields } = outputType(out);
    return ['image', 'registry'].includes(type) && /^(true|1)$/i.test(fields['push-by-digest'] ?? '');
  });
  // Docker's leg recipe (push: true beside an image output pushed by digest): buildx pushes that
  // output by digest and names nothing, so no tag moves here; the merge job publishes.
  const given = raw.given('push') ? bool(raw.get('push'), 'push') : undefined;
  if (byDigest && given === true)
    return {
      push: false,
      pushNote:
        'outputs pushes the image by digest (push-by-digest=true): it is pushed as written and no tag moves; publish the digests with a merge (mode: merge, digests)'
    };
  if (given !== undefined) return { push: given, pushNote: '' };
  // build-push-action's default: with `outputs` and no `push`, the outputs say where the result goes.
  if (outputs.length > 0)
    return {
      push: false,
      pushNote: 'push is not set and outputs is, so the result goes where outputs says (set push: true to publish too)'
    };
  if (mode === 'build' && PULL_REQUEST_EVENTS.includes(eventName))
    return {
      push: false,
      pushNote: `push is not set and this is a ${eventName} event, so nothing is pushed (set push: true to push from pull requests)`
    };
  if (load)
    return {
      push: false,
      pushNote: 'push is not set and load is true, so the image is loaded, not pushed (set push: true to push it too)'
    };
  return { push: true, pushNote: '' };
}

/**
 * The images, tag rules, flavor and push. With `images` empty and every `tags` line a full reference
 * (`ghcr.io/acme/app:1.2.3`, build-push-action's form), the images are those references' repositories.
 */
export function readPublish(raw: Raw, mode: Mode, eventName = '', outputs: string[] = []): PublishInputs {
  const load = bool(raw.get('load'), 'load');
  const { push, pushNote } = readPush(raw, mode, load, eventName, outputs);
  const tagRules = parseTagRules(raw.get('tags'));
  const flavor = parseFlavor(raw.get('flavor'));
  const images = readImages(raw, mode, push || load, tagRules);
  return { images, tagRules, flavor, push, pushNote, load };
}

function readImages(raw: Raw, mode: Mode, output: boolean, rules: TagRule[]): string[] {
  const images = parseImages(raw.get('images'));
  if (images.length > 0) return images;
  const named = rules.filter((rule) => rule.image !== undefined);
  if (raw.given('tags') && named.length === rules.length)
    return [...new Set(named.map((rule) => rule.image as string))];
  // A matrix is planned before any image exists: it names none; metadata gives bare tags without one.
  if (mode !== 'matrix' && mode !== 'metadata' && (output || mode !== 'build')) {
    const rule = rules.find((r) => r.image === undefined && named.length > 0);
    throw new InputError(
      'images',
      '',
      rule
        ? `at least one image name (e.g. ghcr.io/owner/app) for the tags line "${rule.raw}", which is a tag or rule and names no image (write it as a full reference, or give images)`
        : 'at least one image name (e.g. ghcr.io/owner/app) when push, load or mode platform/merge is set, or tags written as full references (ghcr.io/owner/app:latest)'
    );
  }
  return images;
}
