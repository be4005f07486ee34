import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Inputs } from '../plan/inputs.js';
import type { Log, Masker } from '../ports.js';

/**
 * Hides every secret value from everything the process prints: our own log and, through the
 * runner's mask, whatever a child prints.
 */
export function maskSecrets(inputs: Inputs, masker: Masker, log: Log): void {
  for (const { value } of inputs.secrets) hide(value, masker, log);
}

/** Writes each `secrets` value to a private file in `dir` (0600) and returns id → path, for `--secret id=…,src=…`. */
export async function writeSecrets(inputs: Inputs, dir: string): Promise<Record<string, string>> {
  const paths: Record<string, string> = {};
  for (const { id, value } of inputs.secrets) {
    const file = path.join(dir, `secret-${id}`);
    await writeFile(file, value, { mode: 0o600 });
    paths[id] = file;
  }
  return paths;
}

function hide(value: string, masker: Masker, log: Log): void {
  masker.add(value);
  // The runner masks line by line: a multi-line secret (a key) is registered a line at a time too.
  for (const line of new Set([value, ...value.split(/\r?\n/)])) if (line.trim().length >= 3) log.setSecret(line);
}
