import { parse } from 'csv-parse/sync';

export interface ListOptions {
  /** Also split each line on commas (platforms, images); off for values that contain commas (build-args, labels). */
  comma?: boolean;
}

/**
 * The one parser for list inputs: one item a line (or comma separated when `comma` is set),
 * double quotes keep separators inside an item, `#` starts a comment line, blanks are dropped.
 */
export function parseList(raw: string | undefined, options: ListOptions = {}): string[] {
  if (!raw) return [];
  const items: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (!options.comma) {
      items.push(unquote(trimmed));
      continue;
    }
    const records: string[][] = parse(trimmed, {
      delimiter: ',',
      trim: true,
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true
    });
    for (const record of records) {
      for (const field of record) if (field.trim() !== '') items.push(field.trim());
    }
  }
  return items;
}

/** Parses a `key=value,key2="a,b"` record with a real CSV parser, as the tag rules and cache specs need. */
export function parseKeyValues(record: string): Array<[string, string]> {
  const rows: string[][] = parse(record, { delimiter: ',', trim: true, relax_quotes: true, relax_column_count: true });
  const pairs: Array<[string, string]> = [];
  for (const field of rows[0] ?? []) {
    if (field === '') continue;
    const eq = field.indexOf('=');
    if (eq < 0) pairs.push([field.trim(), '']);
    else pairs.push([field.slice(0, eq).trim(), unquote(field.slice(eq + 1).trim())]);
  }
  return pairs;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1);
  return value;
}
