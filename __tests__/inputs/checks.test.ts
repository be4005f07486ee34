import { checkSbom } from '../../src/inputs/checks.js';
import { InputError } from '../../src/plan/errors.js';

// `sbom` as buildx reads it, checked before a builder starts (the pipeline's own path through
// readAndMask is in __tests__/pipeline/prepare.test.ts).

test.each([
  '',
  'false',
  'T',
  'generator=docker/buildkit-syft-scanner:1',
  'disabled=False',
  // An option the generator reads itself, which buildx passes on as written.
  'generator=docker/buildkit-syft-scanner:1,BUILDKIT_SBOM_SCAN_STAGE=true',
  'BUILDKIT_SBOM_SCAN_CONTEXT=true'
])('sbom %j is accepted', (value) => {
  expect(() => checkSbom(value)).not.toThrow();
});

test.each([
  // `type=` in any case or spacing would change the attestation buildx makes.
  'Type=provenance',
  'generator=img, TYPE =sbom',
  // An option without a key, or no `=` at all.
  '=true',
  'generator=img,scan',
  'yes',
  'disabled=on',
  'generator= '
])('sbom %j is refused, naming the input, the value and what is accepted', (value) => {
  let error: unknown;
  try {
    checkSbom(value);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).input).toBe('sbom');
  expect((error as InputError).message).toBe(
    `input "sbom": ${JSON.stringify(value)} is not accepted; expected true or false, or key=value options, comma separated, as buildx --sbom takes them: generator=<scanner image>, disabled=true|false, or another option the generator reads (e.g. generator=docker/buildkit-syft-scanner:1)`
  );
});
