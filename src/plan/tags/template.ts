import { isValidTimeZone } from '../dates.js';

/*
 * Templates: the subset of Handlebars that metadata-action patterns use: {{name}} and
 * {{name 'positional' key='value'}}. Parsing and rendering only; what a name means is the caller's.
 */

export interface Expression {
  name: string;
  args: string[];
  hash: Record<string, string>;
}
type TemplatePart = string | Expression;

/** The expressions that take a format and a `tz=` (all others take no argument). */
const DATE_EXPRESSIONS = ['date', 'commit_date'];

function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let rest = text;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) break;
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) throw new Error(`"{{" without "}}" in ${JSON.stringify(text)}`);
    if (open > 0) parts.push(rest.slice(0, open));
    parts.push(parseExpression(rest.slice(open + 2, close)));
    rest = rest.slice(close + 2);
  }
  if (rest !== '') parts.push(rest);
  return parts;
}

function parseExpression(body: string): Expression {
  const tokens =
    body.match(/[A-Za-z_][\w-]*='[^']*'|[A-Za-z_][\w-]*="[^"]*"|[A-Za-z_][\w-]*=\S+|'[^']*'|"[^"]*"|\S+/g) ?? [];
  const [name, ...rest] = tokens;
  if (!name || !/^[A-Za-z_]\w*$/.test(name)) throw new Error(`empty or malformed expression {{${body}}}`);
  const args: string[] = [];
  const hash: Record<string, string> = {};
  for (const token of rest) {
    const eq = /^([A-Za-z_][\w-]*)=(.*)$/.exec(token);
    if (eq) hash[eq[1]] = unquote(eq[2]);
    else args.push(unquote(token));
  }
  return { name, args, hash };
}

function unquote(token: string): string {
  return /^'.*'$|^".*"$/.test(token) ? token.slice(1, -1) : token;
}

/** Checks names and arguments without rendering, so a bad rule fails while inputs are read. */
export function checkTemplate(text: string, allowed: string[]): void {
  for (const part of parseTemplate(text)) {
    if (typeof part === 'string') continue;
    if (!allowed.includes(part.name))
      throw new Error(`unknown expression {{${part.name}}}; known here: ${allowed.join(', ')}`);
    const isDate = DATE_EXPRESSIONS.includes(part.name);
    if (!isDate && (part.args.length > 0 || Object.keys(part.hash).length > 0))
      throw new Error(`{{${part.name}}} takes no arguments`);
    if (isDate) {
      if (part.args.length > 1) throw new Error(`{{${part.name}}} takes one format, e.g. {{${part.name} 'YYYYMMDD'}}`);
      for (const [key, value] of Object.entries(part.hash)) {
        if (key !== 'tz') throw new Error(`{{${part.name}}} knows only tz=, not ${key}=`);
        if (!isValidTimeZone(value)) throw new Error(`unknown time zone ${JSON.stringify(value)}`);
      }
    }
  }
}

export type Resolver = (expression: Expression) => string;

export function render(text: string, resolve: Resolver): string {
  return parseTemplate(text)
    .map((part) => (typeof part === 'string' ? part : resolve(part)))
    .join('');
}

/** Which names a template uses, e.g. to tell `{{major}}.{{minor}}` from `{{version}}`. */
export function usedNames(text: string): Set<string> {
  return new Set(parseTemplate(text).flatMap((part) => (typeof part === 'string' ? [] : [part.name])));
}
