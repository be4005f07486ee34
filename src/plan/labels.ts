import type { Context } from './context.js';
import { InputError, type InputName } from './errors.js';
import { commitDate } from './tags/expressions.js';
import { expandAll } from './templates.js';

/*
 * OCI image labels and annotations (https://github.com/opencontainers/image-spec/blob/main/annotations.md),
 * the same eight docker/metadata-action writes, computed from the context so that every matrix leg and
 * every rebuild of a commit agree.
 */

export type AnnotationLevel = 'index' | 'manifest';

const OCI = 'org.opencontainers.image';
const KEY = /^[^\s=]+$/;
// buildx --annotation's own level syntax: type[platform]:key=value
const LEVEL_PREFIX = /^((?:index|manifest|index-descriptor|manifest-descriptor)(?:\[[^\]]*\])?):(.+)$/;

function splitPair(line: string, input: InputName, given = line): [string, string] {
  const eq = line.indexOf('=');
  const key = eq < 0 ? '' : line.slice(0, eq).trim();
  if (!KEY.test(key))
    throw new InputError(
      input,
      given,
      'one key=value a line, the key without spaces (e.g. org.opencontainers.image.vendor=ACME)'
    );
  return [key, line.slice(eq + 1)];
}

/**
 * The OCI labels: title (repository name), description, url and source (repository web address),
 * version (the `version` output), created (the commit's time; SOURCE_DATE_EPOCH wins; `now` when
 * unknown), revision (sha) and licenses (SPDX id). `userLabels` (`key=value` a line, with the same
 * expressions as tags and `{{version}}`, e.g. `{{commit_date 'YYYY'}}`) override them; `key=` with nothing after the `=`
 * removes a label. Labels with no value are left out. Keys are sorted.
 */
export function computeLabels(
  context: Context,
  version: string,
  userLabels: string[],
  now: Date = new Date()
): Record<string, string> {
  const { repo } = context;
  const merged: Record<string, string> = {
    [`${OCI}.title`]: repo.fullName.split('/').pop() ?? '',
    [`${OCI}.description`]: repo.description ?? '',
    [`${OCI}.url`]: repo.htmlUrl,
    [`${OCI}.source`]: repo.htmlUrl,
    [`${OCI}.version`]: version,
    [`${OCI}.created`]: commitDate(context, now).toISOString(),
    [`${OCI}.revision`]: context.sha,
    [`${OCI}.licenses`]: repo.license ?? ''
  };
  for (const line of userLabels) {
    const [key, value] = splitPair(line, 'labels');
    try {
      merged[key] = expandAll(value, context, version, now);
    } catch (err) {
      throw new InputError('labels', line, `key=value with known expressions (${(err as Error).message})`);
    }
  }
  return sortedNonEmpty(merged);
}

function sortedNonEmpty(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) if (record[key] !== '') out[key] = record[key];
  return out;
}

/**
 * buildx `--annotation` values: every label at each requested level (`index:key=value`,
 * `manifest:key=value`), then `userAnnotations` (`key=value` a line) over them. A user annotation
 * may name its own level as buildx does (`index:key=value`, `manifest[linux/amd64]:key=value`); it then
 * applies there only. `key=` removes an annotation. Output: level by level, keys sorted.
 */
export function computeAnnotations(
  labels: Record<string, string>,
  userAnnotations: string[],
  levels: AnnotationLevel[]
): string[] {
  const byLevel = new Map<string, Record<string, string>>();
  const levelOf = (level: string): Record<string, string> => {
    if (!byLevel.has(level)) byLevel.set(level, {});
    return byLevel.get(level)!;
  };
  for (const level of levels) Object.assign(levelOf(level), labels);
  const explicit: Array<[string, string, string]> = [];
  for (const line of userAnnotations) {
    const scoped = LEVEL_PREFIX.exec(line);
    if (scoped) {
      const [key, value] = splitPair(scoped[2], 'annotations', line);
      explicit.push([scoped[1], key, value]);
    } else {
      const [key, value] = splitPair(line, 'annotations');
      for (const level of levels) levelOf(level)[key] = value;
    }
  }
  // A level named in the annotation beats the unscoped form, whatever the line order.
  for (const [level, key, value] of explicit) levelOf(level)[key] = value;
  const out: string[] = [];
  for (const [level, record] of byLevel) {
    for (const [key, value] of Object.entries(sortedNonEmpty(record))) out.push(`${level}:${key}=${value}`);
  }
  return out;
}
