/** buildx --driver-opt values as buildx reads them: CSV records of key=value fields. */
import { csvRecord } from './csv.js';

export interface DriverOptField {
  /** The --driver-opt value it came from. */
  opt: string;
  key: string;
  value: string;
}

/**
 * The key=value fields of one --driver-opt value, read as buildx reads it: a CSV record (so
 * `image=x,network=host` is two options and `"nodeselector=a=b,c=d"` one), each field split at
 * its first `=`. Undefined when the CSV is malformed or a field has no key.
 */
export function driverOptFields(opt: string): DriverOptField[] | undefined {
  const record = csvRecord(opt);
  if (record === undefined) return undefined;
  const out: DriverOptField[] = [];
  for (const field of record) {
    const eq = field.indexOf('=');
    if (eq <= 0) return undefined;
    out.push({ opt, key: field.slice(0, eq).trim(), value: field.slice(eq + 1).trim() });
  }
  return out;
}

/** Whether any of the driver-opts sets `key`. */
export function hasOpt(opts: string[], key: string): boolean {
  return opts.some((opt) => driverOptFields(opt)?.some((f) => f.key === key));
}

/** Options buildx's remote driver takes; anything else makes `buildx create` fail. */
const REMOTE_OPTS = ['cacert', 'cert', 'key', 'servername', 'default-load'];
/** The driver-opts that name files on this machine (remote mTLS). */
export const TLS_FILE_OPTS = ['cacert', 'cert', 'key'] as const;

/** What buildx would refuse in a node's driver-opts (the value and what is accepted), or undefined. */
export function driverOptsProblem(driver: string, opts: string[]): { value: string; accepted: string } | undefined {
  const fields: DriverOptField[] = [];
  for (const opt of opts) {
    const read = driverOptFields(opt);
    if (read === undefined)
      return { value: opt, accepted: 'driver-opts as key=value (several comma separated, quoted as CSV)' };
    fields.push(...read);
  }
  if (driver !== 'remote') return undefined;
  for (const { opt, key, value } of fields) {
    if (!REMOTE_OPTS.includes(key))
      return { value: opt, accepted: `a remote driver option: ${REMOTE_OPTS.join(', ')}` };
    if ((TLS_FILE_OPTS as readonly string[]).includes(key) && !value.startsWith('/'))
      return { value: opt, accepted: `${key}= an absolute path (buildx refuses relative ones)` };
  }
  const keys = new Set(fields.map((f) => f.key));
  const tls = ['cacert', 'cert', 'key', 'servername'].some((k) => keys.has(k));
  // buildx's own rules for mTLS, checked here so they fail before anything starts.
  if (tls && !keys.has('cacert'))
    return { value: opts.join(' '), accepted: 'cacert=/path/ca.pem whenever cert, key or servername is set' };
  if (keys.has('cert') !== keys.has('key'))
    return { value: opts.join(' '), accepted: 'cert and key together (mutual TLS needs both)' };
  return undefined;
}
