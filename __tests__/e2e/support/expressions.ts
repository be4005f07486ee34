/**
 * A small evaluator of GitHub Actions expressions (`${{ … }}`), enough for the corpus of real
 * workflows the migration test runs: contexts (github, env, secrets, vars, matrix, inputs, steps,
 * needs, runner), literals, `! == != < <= > >= && ||`, parentheses, property and index access,
 * and the functions startsWith, endsWith, contains, format, join, toJSON, fromJSON, hashFiles,
 * always, success, failure, cancelled.
 *
 * What a real run would only know from an earlier step (steps.*, needs.*, a secret) evaluates to
 * a stable placeholder, lower-case so it stays a valid image or tag name: `steps.meta.outputs.version`
 * is `steps-meta-outputs-version`. Comparisons of strings ignore case, as GitHub's do.
 */

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
export type Contexts = Record<string, Value | Placeholder>;

/** A placeholder standing for what only the run knows: property access on it stays a placeholder. */
export class Placeholder {
  /** `known`: the members a run did give (a metadata step of ours run first); the rest stay placeholders. */
  constructor(
    readonly name: string,
    readonly known: Record<string, Value> = {}
  ) {}
  toString(): string {
    return this.name
      .toLowerCase()
      .replace(/[^a-z0-9.]+/g, '-')
      .replace(/\./g, '-');
  }
}

type V = Value | Placeholder | undefined;

type Token = { kind: 'num' | 'str' | 'id' | 'op'; text: string };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= src.length) throw new Error(`unterminated string in ${src}`);
        if (src[j] === "'") {
          if (src[j + 1] === "'") {
            s += "'";
            j += 2;
            continue;
          }
          break;
        }
        s += src[j++];
      }
      tokens.push({ kind: 'str', text: s });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9.]+/.exec(src.slice(i))!;
      tokens.push({ kind: 'num', text: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i))!;
      tokens.push({ kind: 'id', text: m[0] });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
        tokens.push({ kind: 'op', text: two });
        i += 2;
      } else if ('!<>()[].,*'.includes(c)) {
        tokens.push({ kind: 'op', text: c });
        i++;
      } else throw new Error(`unexpected character ${c} in ${src}`);
    }
  }
  return tokens;
}

function truthy(v: V): boolean {
  if (v instanceof Placeholder) return true;
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  return true;
}

function str(v: V): string {
  if (v === undefined || v === null) return '';
  if (v instanceof Placeholder) return v.toString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function equal(a: V, b: V): boolean {
  if (typeof a === 'boolean' || typeof b === 'boolean' || typeof a === 'number' || typeof b === 'number')
    return String(a) === String(b);
  return str(a).toLowerCase() === str(b).toLowerCase();
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly contexts: Contexts
  ) {}

  parse(): V {
    const v = this.or();
    if (this.pos < this.tokens.length) throw new Error(`unexpected ${this.tokens[this.pos].text}`);
    return v;
  }

  private peek(text: string): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && t.kind === 'op' && t.text === text;
  }

  private expect(text: string): void {
    if (!this.peek(text)) throw new Error(`expected ${text}`);
    this.pos++;
  }

  private or(): V {
    let left = this.and();
    while (this.peek('||')) {
      this.pos++;
      const right = this.and();
      left = truthy(left) ? left : right;
    }
    return left;
  }

  private and(): V {
    let left = this.comparison();
    while (this.peek('&&')) {
      this.pos++;
      const right = this.comparison();
      left = truthy(left) ? right : left;
    }
    return left;
  }

  private comparison(): V {
    const left = this.unary();
    for (const op of ['==', '!=', '<=', '>=', '<', '>']) {
      if (this.peek(op)) {
        this.pos++;
        const right = this.unary();
        if (op === '==') return equal(left, right);
        if (op === '!=') return !equal(left, right);
        const [a, b] = [Number(str(left)), Number(str(right))];
        return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
      }
    }
    return left;
  }

  private unary(): V {
    if (this.peek('!')) {
      this.pos++;
      return !truthy(this.unary());
    }
    return this.postfix(this.primary());
  }

  private postfix(value: V): V {
    let v = value;
    for (;;) {
      if (this.peek('.')) {
        this.pos++;
        const t = this.tokens[this.pos++];
        v = this.member(v, t.text);
      } else if (this.peek('[')) {
        this.pos++;
        const key = this.or();
        this.expect(']');
        v = this.member(v, str(key));
      } else return v;
    }
  }

  private member(v: V, key: string): V {
    if (v instanceof Placeholder) return key in v.known ? v.known[key] : new Placeholder(`${v.name}.${key}`);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const hit = Object.keys(v).find((k) => k.toLowerCase() === key.toLowerCase());
      // A missing key reads through (the env context answers a placeholder for what a run step sets).
      return hit === undefined ? (v as Record<string, Value>)[key] : v[hit];
    }
    return undefined;
  }

  private primary(): V {
    const t = this.tokens[this.pos++];
    if (!t) throw new Error('unexpected end');
    if (t.kind === 'str') return t.text;
    if (t.kind === 'num') return Number(t.text);
    if (t.kind === 'op' && t.text === '(') {
      const v = this.or();
      this.expect(')');
      return v;
    }
    if (t.kind !== 'id') throw new Error(`unexpected ${t.text}`);
    if (t.text === 'true') return true;
    if (t.text === 'false') return false;
    if (t.text === 'null') return null;
    if (this.peek('(')) {
      this.pos++;
      const args: V[] = [];
      while (!this.peek(')')) {
        args.push(this.or());
        if (this.peek(',')) this.pos++;
      }
      this.pos++;
      return this.call(t.text, args);
    }
    const key = Object.keys(this.contexts).find((k) => k.toLowerCase() === t.text.toLowerCase());
    if (key === undefined) throw new Error(`unknown context ${t.text}`);
    const v = this.contexts[key];
    return v;
  }

  private call(name: string, args: V[]): V {
    switch (name.toLowerCase()) {
      case 'startswith':
        return str(args[0]).toLowerCase().startsWith(str(args[1]).toLowerCase());
      case 'endswith':
        return str(args[0]).toLowerCase().endsWith(str(args[1]).toLowerCase());
      case 'contains':
        if (Array.isArray(args[0])) return args[0].some((x) => equal(x, args[1]));
        return str(args[0]).toLowerCase().includes(str(args[1]).toLowerCase());
      case 'format':
        return str(args[0]).replace(/\{(\d+)\}/g, (_, n: string) => str(args[Number(n) + 1]));
      case 'join':
        return Array.isArray(args[0])
          ? args[0].map(str).join(args[1] === undefined ? ',' : str(args[1]))
          : str(args[0]);
      case 'tojson':
        return JSON.stringify(args[0] instanceof Placeholder ? args[0].toString() : (args[0] ?? null));
      case 'fromjson':
        if (args[0] instanceof Placeholder) return new Placeholder(`${args[0].name}`);
        return JSON.parse(str(args[0])) as Value;
      case 'hashfiles':
        return 'hashfiles';
      case 'always':
      case 'success':
        return true;
      case 'failure':
      case 'cancelled':
        return false;
      default:
        throw new Error(`unknown function ${name}`);
    }
  }
}

/** The value of one expression (the text inside `${{ }}`). */
export function evaluate(expression: string, contexts: Contexts): V {
  return new Parser(tokenize(expression), contexts).parse();
}

/** A string with every `${{ … }}` replaced by its value, as the runner does for a step's inputs. */
export function interpolate(text: string, contexts: Contexts): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr: string) => str(evaluate(expr, contexts)));
}

/** A step's or job's `if:`: an expression with or without `${{ }}`; a template with text around it is a string, so true. */
export function condition(text: string | boolean | undefined, contexts: Contexts): boolean {
  if (text === undefined) return true;
  if (typeof text === 'boolean') return text;
  const t = text.trim();
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(t);
  if (whole && !whole[1].includes('}}')) return truthy(evaluate(whole[1], contexts));
  if (t.includes('${{')) return interpolate(t, contexts) !== '';
  return truthy(evaluate(t, contexts));
}

/** A stand-in for a context whose every property is a placeholder (steps, needs, secrets…). */
export function placeholderContext(name: string): Placeholder {
  return new Placeholder(name);
}
