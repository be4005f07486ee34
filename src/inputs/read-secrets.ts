import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../plan/errors.js';
import type { Secret, SecretEnv, SecretFile } from '../plan/inputs.js';
import type { Raw } from './raw.js';
import type { InputName } from './specs.js';

/* `secrets`, `secret-envs` and `secret-files`: values never echoed in an error. */

const SECRET_ID = /^[A-Za-z0-9_.-]+$/;

/** `secrets`, `secret-envs` and `secret-files`, each split into its id and what it names. */
export function readSecrets(
  raw: Raw,
  cwd: string
): { secrets: Secret[]; secretEnvs: SecretEnv[]; secretFiles: SecretFile[] } {
  const secrets = secretItems(raw.exact('secrets')).map((item, index) => {
    const eq = item.indexOf('=');
    const id = eq > 0 ? item.slice(0, eq).trim() : '';
    // Never echo the item: without a valid id, any of it may be the secret itself.
    if (!SECRET_ID.test(id))
      throw new InputError(
        'secrets',
        `item ${index + 1} (value not shown)`,
        'lines of id=value, the id made of letters, digits, _ . -'
      );
    return { id, value: item.slice(eq + 1) };
  });
  const secretEnvs = raw.list('secret-envs', true).map((item) => {
    const [id, env] = idPair('secret-envs', item);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env))
      throw new InputError('secret-envs', item, 'id=ENV_NAME, the name made of letters, digits and _');
    return { id, env };
  });
  const secretFiles = raw.list('secret-files').map((item) => {
    const [id, file] = idPair('secret-files', item);
    if (!existsSync(path.resolve(cwd, file)))
      throw new InputError('secret-files', item, 'id=path of an existing file (relative to the workspace)');
    return { id, path: file };
  });
  return { secrets, secretEnvs, secretFiles };
}

/** `id=rest` of secret-envs and secret-files (they name a variable or a file, never a value, so the item may be shown). */
function idPair(input: InputName, item: string): [string, string] {
  const eq = item.indexOf('=');
  const id = eq > 0 ? item.slice(0, eq).trim() : '';
  const rest = eq > 0 ? item.slice(eq + 1).trim() : '';
  if (!SECRET_ID.test(id) || rest === '')
    throw new InputError(input, item, 'id=value pairs, the id made of letters, digits, _ . -');
  return [id, rest];
}

/**
 * The `secrets` items as build-push-action reads them: one a line, commas belonging to the value
 * (`tok=user=alice,password=s3cret` is one secret). An item that starts with a double quote runs
 * to the closing quote at the end of a line, so it may span lines (a PEM key); `""` inside it is
 * one quote. Values are kept exactly; blank lines are dropped.
 */
function secretItems(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const items: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    if (!line.trimStart().startsWith('"')) {
      items.push(line);
      continue;
    }
    // A quoted item: gather lines until one ends with a quote that is not half of a `""`.
    const start = i;
    let quoted = line.trimStart().slice(1);
    while (!closesQuote(quoted) && i + 1 < lines.length) quoted += `\n${lines[++i]}`;
    if (!closesQuote(quoted))
      throw new InputError(
        'secrets',
        `item ${items.length + 1} (value not shown)`,
        `a closing " at the end of a line for the quoted item that starts on line ${start + 1}`
      );
    items.push(quoted.trimEnd().slice(0, -1).replace(/""/g, '"'));
  }
  return items;
}

/** Whether a quoted item's text (after its opening quote) ends with its closing quote. */
function closesQuote(text: string): boolean {
  const trailing = /"+$/.exec(text.trimEnd())?.[0].length ?? 0;
  return trailing % 2 === 1;
}
