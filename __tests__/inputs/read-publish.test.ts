import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import { InputError } from '../../src/plan/errors.js';
import type { Inputs } from '../../src/plan/inputs.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import { errorOf } from '../support/errors.js';

/* Issue 21: images, tags and push as a build-push-action workflow gives them. */

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'read-publish-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function read(given: Record<string, string>, event = 'push'): Inputs {
  return readInputs((name) => given[name] ?? '', workspace, nativePlatform('x64', 'linux'), event);
}

describe('images from tags written as full references (no images input)', () => {
  test('the images are the references’ repositories, once each, in order', () => {
    const inputs = read({ tags: 'ghcr.io/acme/app:latest\nghcr.io/acme/app:1.2.3\ndocker.io/acme/app:latest' });
    expect(inputs.images).toEqual(['ghcr.io/acme/app', 'docker.io/acme/app']);
    expect(inputs.push).toBe(true);
  });

  test('also with push: false and load: true', () => {
    const inputs = read({ tags: 'ghcr.io/acme/app:ci', push: 'false', load: 'true' });
    expect(inputs.images).toEqual(['ghcr.io/acme/app']);
    expect({ push: inputs.push, load: inputs.load }).toEqual({ push: false, load: true });
  });

  test('a comma list and a name without a tag count as references', () => {
    expect(read({ tags: 'reg.io/app:latest,reg.io/app:1.0.0' }).images).toEqual(['reg.io/app']);
    expect(read({ tags: 'ghcr.io/owner/app' }).images).toEqual(['ghcr.io/owner/app']);
  });

  test('a rule among the references still needs images, and the error names that line', () => {
    const error = errorOf(InputError, () => read({ tags: 'ghcr.io/acme/app:latest\ntype=sha' }));
    expect(error.input).toBe('images');
    expect(error.accepted).toContain('for the tags line "type=sha", which is a tag or rule and names no image');
  });

  test('no images and no tags: refused as before, naming both ways to give an image', () => {
    const error = errorOf(InputError, () => read({}));
    expect(error.input).toBe('images');
    expect(error.accepted).toContain('or tags written as full references (ghcr.io/owner/app:latest)');
  });

  test('images given: they stay the images, and a reference goes on its own repository only', () => {
    const inputs = read({ images: 'ghcr.io/acme/app', tags: 'docker.io/acme/other:1' });
    expect(inputs.images).toEqual(['ghcr.io/acme/app']);
  });
});

describe('push left empty', () => {
  test('a push event pushes (the one-step default)', () => {
    expect(read({ images: 'ghcr.io/acme/app' })).toMatchObject({ push: true, pushNote: '' });
  });

  test.each(['pull_request', 'pull_request_target'])('a %s event pushes nothing, and says why', (event) => {
    const inputs = read({ images: 'ghcr.io/acme/app' }, event);
    expect(inputs.push).toBe(false);
    expect(inputs.pushNote).toBe(
      `push is not set and this is a ${event} event, so nothing is pushed (set push: true to push from pull requests)`
    );
  });

  test('load: true without push loads and pushes nothing, and says why', () => {
    const inputs = read({ images: 'ghcr.io/acme/app', load: 'true' });
    expect(inputs).toMatchObject({ push: false, load: true });
    expect(inputs.pushNote).toContain('push is not set and load is true');
  });

  test('push given wins over the event and over load', () => {
    expect(read({ images: 'ghcr.io/acme/app', push: 'true' }, 'pull_request')).toMatchObject({
      push: true,
      pushNote: ''
    });
    expect(read({ images: 'ghcr.io/acme/app', push: 'true', load: 'true' })).toMatchObject({ push: true, load: true });
  });

  test('a matrix leg keeps its default (it pushes by digest, no tag moves)', () => {
    const inputs = read({ mode: 'platform', images: 'ghcr.io/acme/app', platforms: 'linux/amd64' }, 'pull_request');
    expect(inputs.push).toBe(true);
  });

  test('sign with push left off on a pull request: nothing pushed, nothing signed, not refused', () => {
    const inputs = read({ images: 'ghcr.io/acme/app', sign: 'keyless' }, 'pull_request');
    expect(inputs.signing.mode).toBe('false');
    // push: false written out with sign is still a contradiction.
    errorOf(InputError, () => read({ images: 'ghcr.io/acme/app', sign: 'keyless', push: 'false' }));
  });
});

describe("Docker's leg recipe: push: true beside an image output pushed by digest", () => {
  const leg = {
    tags: 'ghcr.io/acme/app',
    push: 'true',
    outputs: 'type=image,push-by-digest=true,name-canonical=true,push=true'
  };

  test('is the output as written: pushed by digest, no release (no tag moves), and the log says why', () => {
    const inputs = read(leg);
    expect({ push: inputs.push, outputs: inputs.outputs }).toEqual({
      push: false,
      outputs: ['type=image,push-by-digest=true,name-canonical=true,push=true']
    });
    expect(inputs.pushNote).toMatch(/by digest.*no tag moves/);
  });

  test('an image output that names tags is still refused with push: true (it would move them before the proof)', () => {
    expect(errorOf(InputError, () => read({ ...leg, outputs: 'type=image,push=true' })).input).toBe('outputs');
    expect(errorOf(InputError, () => read({ ...leg, outputs: 'type=registry' })).input).toBe('outputs');
  });
});
