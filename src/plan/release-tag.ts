import { InputError } from './errors.js';

/** `v0.36.1` or `0.36.1` (pre-releases too) → the release tag `v0.36.1`; anything else is refused (`latest` is resolved before). */
export function releaseTag(value: string): string {
  const match = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(value.trim());
  if (!match) throw new InputError('buildx-version', value, 'a release version like v0.36.1, or latest');
  return `v${match[1]}`;
}
