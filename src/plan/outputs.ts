import { csvRecord } from './csv.js';
import { InputError } from './errors.js';
import { repositoryOf } from './reference.js';

/**
 * The `outputs` input, with build-push-action's meaning: buildx --output values, one a line,
 * that replace the default output (the by-digest push, the load). Read as buildx reads them: a
 * CSV record of key=value fields, or a bare path for a local export.
 */

/** The exporters buildx knows (registry is image with push=true). */
export const OUTPUT_TYPES = ['image', 'registry', 'docker', 'oci', 'local', 'tar', 'cacheonly'] as const;

/** Exporters that write a file or a directory, and so need dest=. */
const NEEDS_DEST = ['local', 'tar', 'oci'];

/** Exporters whose image buildx names after --tag (we add the name= ourselves where --tag cannot go). */
const NAMED = ['image', 'registry', 'docker', 'oci'];

export const OUTPUTS_ACCEPTED =
  'buildx --output values, one a line: type=docker,dest=app.tar; type=oci,dest=app.tar; type=local,dest=DIR (or DIR alone); type=tar,dest=FILE; type=image or type=registry with its options (name=, push-by-digest=, annotation-index.KEY=…); type=cacheonly';

export interface OutputFields {
  type: string;
  dest?: string;
  name?: string;
  /** Every field, key → value. */
  fields: Record<string, string>;
}

/** The fields of one --output value; a bare path (no `=`, no `,`) is buildx's shorthand for a local export. */
export function outputType(value: string): OutputFields {
  if (!/[=,]/.test(value)) return { type: 'local', dest: value, fields: { type: 'local', dest: value } };
  const fields: Record<string, string> = {};
  for (const field of csvRecord(value) ?? []) {
    const eq = field.indexOf('=');
    if (eq > 0) fields[field.slice(0, eq).trim()] = field.slice(eq + 1).trim();
  }
  return { type: fields.type ?? '', dest: fields.dest, name: fields.name, fields };
}

/** Each `outputs` line, checked the way buildx would check it, before anything starts. */
export function parseOutputs(lines: string[]): string[] {
  return lines.map((line) => {
    if (line === '-')
      throw new InputError('outputs', line, `${OUTPUTS_ACCEPTED} (not -: stdout carries the build's log)`);
    if (!/[=,]/.test(line)) return `type=local,dest=${line}`;
    const record = csvRecord(line);
    if (record === undefined || record.some((field) => field.indexOf('=') <= 0))
      throw new InputError('outputs', line, `key=value fields, comma separated (quoted as CSV): ${OUTPUTS_ACCEPTED}`);
    const { type, dest } = outputType(line);
    if (!(OUTPUT_TYPES as readonly string[]).includes(type))
      throw new InputError('outputs', line, `a type= among ${OUTPUT_TYPES.join(', ')}: ${OUTPUTS_ACCEPTED}`);
    if (NEEDS_DEST.includes(type) && !dest)
      throw new InputError(
        'outputs',
        line,
        `dest= with type=${type} (where the ${type === 'local' ? 'files go' : 'archive is written'})`
      );
    if (dest === '-')
      throw new InputError('outputs', line, `a dest file or directory (not -: stdout carries the build's log)`);
    return line;
  });
}

/**
 * The output with its image named after `names`, as buildx's --tag would name it, unless it
 * names one itself. An image pushed by digest is named by its repositories alone: a by-digest
 * push refuses a tagged name (Docker's leg recipe gives `tags` a bare name for this). Quoted: a
 * CSV field holding commas.
 */
export function namedOutput(value: string, names: string[]): string {
  const { type, name, fields } = outputType(value);
  if (names.length === 0 || name !== undefined || !NAMED.includes(type)) return value;
  const byDigest = /^true$/i.test(fields['push-by-digest'] ?? '');
  const named = byDigest ? [...new Set(names.map(repositoryOf))] : names;
  return `${value},"name=${named.join(',')}"`;
}
