import { InputError } from './errors.js';

/** `v0.36.1` or `0.36.1` (pre-releases too) → the release tag `v0.36.1`. Anything else, `latest` included, is refused. */
export function releaseTag(value: string): string {
  const match = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(value.trim());
  // `latest` is refused on purpose: what it installs changes under the workflow's feet.
  if (!match) throw new InputError('buildx-version', value, 'a release version like v0.36.1');
  return `v${match[1]}`;
}
