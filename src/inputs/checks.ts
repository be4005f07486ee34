/**
 * Checks of inputs that read.ts passes through as buildx takes them, made before anything runs so
 * a value buildx would refuse (after the builder started) or read otherwise than we do is refused
 * at once, naming the input.
 */
import { InputError } from '../plan/errors.js';

/** What Go's strconv.ParseBool reads, and so buildx's `--sbom=` and `disabled=`: nothing else is a boolean. */
const GO_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

const SBOM_ACCEPTED =
  'true or false, or key=value options, comma separated, as buildx --sbom takes them: generator=<scanner image>, disabled=true|false, or another option the generator reads (e.g. generator=docker/buildkit-syft-scanner:1)';

/**
 * `sbom` as buildx reads it: a Go boolean (buildx turns it into `type=sbom,disabled=…`), or
 * `key=value` options it appends to `type=sbom,`. A word like `yes` would reach buildx as an
 * option without `=` (refused after the builder started); `type=` would change the attestation.
 */
export function checkSbom(value: string): void {
  if (value === '' || GO_TRUE.includes(value) || GO_FALSE.includes(value)) return;
  const valid = value.split(',').every((field) => {
    const eq = field.indexOf('=');
    if (eq <= 0) return false;
    const key = field.slice(0, eq).trim().toLowerCase();
    const option = field.slice(eq + 1).trim();
    if (key === 'type') return false;
    if (key === 'disabled') return GO_TRUE.includes(option) || GO_FALSE.includes(option);
    if (key === 'generator') return option !== '';
    return true;
  });
  if (!valid) throw new InputError('sbom', value, SBOM_ACCEPTED);
}
