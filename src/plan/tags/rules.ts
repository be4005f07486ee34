import { InputError } from '../errors.js';
import { parseImage, registryHost, validateTag } from '../image.js';
import { parseKeyValues, parseList } from '../list.js';
import { parseReference } from '../reference.js';
import { GLOBAL_EXPRESSIONS } from './expressions.js';
import { checkTemplate } from './template.js';

/*
 * The `tags` input: docker/metadata-action's rule syntax, one rule a line, parsed and checked while the
 * inputs are read so a bad rule fails before any build.
 */

export type TagType = 'schedule' | 'semver' | 'pep440' | 'match' | 'edge' | 'ref' | 'raw' | 'sha';
export type RefEvent = 'branch' | 'tag' | 'pr';

/** One line of the `tags` input, parsed and validated; templates are kept as written. */
export interface TagRule {
  type: TagType;
  /** the line as the user wrote it, for error messages */
  raw: string;
  /** `true`, `false` or an expression such as `{{is_default_branch}}` */
  enable: string;
  /** higher first; also decides which tag is the `version` output */
  priority: number;
  /** own prefix/suffix; when unset, the flavor's apply */
  prefix?: string;
  suffix?: string;
  /** semver/pep440: `{{version}}`…; schedule: `nightly` or a date pattern; match: a regex */
  pattern?: string;
  /** raw: the tag; semver/pep440/match: a version to use instead of the git tag */
  value?: string;
  /** ref */
  event?: RefEvent;
  /** sha */
  format?: 'short' | 'long';
  /** edge: the branch that gets `edge` (default: the repository's default branch) */
  branch?: string;
  /** match: capture group, 0 = whole match */
  group?: number;
  /** semver/pep440: a regex whose first group (else whole match) is the version, e.g. `v(\d.\d.\d)$` */
  match?: string;
  /** only the built-in `{{major}}` default rule: a 0.x release gets no major tag (0.x is unstable by semver) */
  skipMajorZero?: boolean;
  /** what the user should be told about how the line was read (an attribute ignored, `:latest` added) */
  note?: string;
  /**
   * raw only: the line was a full image reference (`ghcr.io/acme/app:1.2.3`, as build-push-action's
   * `tags` takes them): its tag goes on this repository alone, as written
   */
  image?: string;
}

const DEFAULT_PRIORITIES: Record<TagType, number> = {
  schedule: 1000,
  semver: 900,
  pep440: 900,
  match: 800,
  edge: 700,
  ref: 600,
  raw: 200,
  sha: 100
};
const REF_PRIORITIES: Record<RefEvent, number> = { branch: 600, tag: 500, pr: 400 };

const ACCEPTED_RULE =
  'one rule a line: type=semver|pep440,pattern=…[,match=…][,value=…] | type=match,pattern=…[,group=N] | type=ref,event=branch|tag|pr | type=sha[,format=short|long] | type=raw,value=… | type=edge[,branch=…] | type=schedule[,pattern=…], with enable=true|false, priority=<integer>, prefix=, suffix=; or a bare tag; or a full image reference such as ghcr.io/acme/app:1.2.3';

const COMMON_ATTRS = ['type', 'enable', 'priority', 'prefix', 'suffix'];
const TYPE_ATTRS: Record<TagType, string[]> = {
  schedule: ['pattern'],
  semver: ['pattern', 'value', 'match'],
  pep440: ['pattern', 'value', 'match'],
  match: ['pattern', 'group', 'value'],
  edge: ['branch'],
  ref: ['event'],
  raw: ['value'],
  sha: ['format']
};

const VERSION_EXPRESSIONS = ['raw', 'version', 'major', 'minor', 'patch'];

/**
 * The rules used when `tags` is empty: metadata-action's defaults (schedule, branch, tag, pull request)
 * plus the semver expansions of a release tag and the sha.
 */
export function defaultTagRules(): TagRule[] {
  return [
    makeRule('type=schedule', { type: 'schedule', pattern: 'nightly' }),
    makeRule('type=ref,event=branch', { type: 'ref', event: 'branch' }),
    // The git tag as written (`v1.2.3`) beside the version tags: what metadata-action's defaults publish.
    makeRule('type=ref,event=tag', { type: 'ref', event: 'tag' }),
    makeRule('type=ref,event=pr', { type: 'ref', event: 'pr', prefix: 'pr-' }),
    makeRule('type=semver,pattern={{version}}', { type: 'semver', pattern: '{{version}}' }),
    makeRule('type=semver,pattern={{major}}.{{minor}}', { type: 'semver', pattern: '{{major}}.{{minor}}' }),
    makeRule('type=semver,pattern={{major}}', { type: 'semver', pattern: '{{major}}', skipMajorZero: true }),
    makeRule('type=sha', { type: 'sha', prefix: 'sha-', format: 'short' })
  ];
}

function makeRule(raw: string, rule: Partial<TagRule> & { type: TagType }): TagRule {
  const priority = rule.type === 'ref' && rule.event ? REF_PRIORITIES[rule.event] : DEFAULT_PRIORITIES[rule.type];
  return { raw, enable: 'true', priority, ...rule };
}

/**
 * Parses the `tags` input: one metadata-action rule a line (real CSV: quote a field that holds a
 * comma, e.g. `"pattern=\d{1,3}"`); a line without `=` is build-push-action's list, one tag or full
 * reference a line or several separated by commas. Empty input gives the defaults. Throws
 * InputError('tags', …) for an unknown type, a missing or bad value.
 */
export function parseTagRules(raw: string): TagRule[] {
  const lines = parseList(raw);
  if (lines.length === 0) return defaultTagRules();
  return lines.flatMap((line) => (line.includes('=') ? [parseTagRule(line)] : parseLiterals(line)));
}

/**
 * A line of tags or references, comma separated as build-push-action splits its lists (quotes keep
 * a comma in an item). An item that is refused names the line it came from, so a comma that split
 * the wrong thing is seen.
 */
function parseLiterals(line: string): TagRule[] {
  const items = parseList(line, { comma: true });
  if (!line.includes(',')) return items.map((item) => parseLiteral(item));
  return items.map((item, index) => {
    try {
      return parseLiteral(item);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      throw new InputError(
        'tags',
        item,
        `${err.accepted}; it is item ${index + 1} of ${items.length} of the line "${line}", split at its commas as build-push-action splits tags (one reference a line, or comma separated)`
      );
    }
  });
}

/** A bare tag, or a full reference when it holds `:` or `@`, or names a registry host (`ghcr.io/owner/app`). */
function parseLiteral(item: string): TagRule {
  if (/[:@]/.test(item) || namesRegistry(item)) return parseTagReference(item);
  try {
    return makeRule(item, { type: 'raw', value: literalTag(item) });
  } catch (err) {
    if (!(err instanceof InputError) || !item.includes('/')) throw err;
    // `owner/app` may be a Docker Hub image or a tag with a slash: the reading is not guessed.
    throw new InputError(
      'tags',
      item,
      `${err.accepted}; for the Docker Hub image write docker.io/${item} (published as :latest) or ${item}:latest`
    );
  }
}

/** `ghcr.io/owner/app`, `localhost:5000/app`: a first component that is a registry host. */
function namesRegistry(item: string): boolean {
  return item.includes('/') && item.startsWith(`${registryHost(item)}/`);
}

/**
 * A tag written out literally must already be valid: a typo is reported, not silently rewritten.
 * Values with `{{…}}` expressions are made safe when computed, as their result is not known yet.
 */
function literalTag(value: string): string {
  return value.includes('{{') ? value : validateTag(value, 'tags');
}

const ACCEPTED_REFERENCE =
  'a full image reference [registry[:port]/]name[:tag] such as ghcr.io/acme/app:1.2.3 (the name lower-case, the tag 1 to 128 characters from [A-Za-z0-9_.-]; no digest), a bare tag, or a rule with type=';

/**
 * `ghcr.io/acme/app:latest` is that one reference, as build-push-action reads `tags`; a name without a
 * tag (`ghcr.io/acme/app`) is `:latest`, as build-push-action reads it, and says so. The name is
 * checked as the `images` input is, not lower-cased: a reference written out must already be right.
 */
function parseTagReference(line: string): TagRule {
  const fail = (why: string): never => {
    throw new InputError('tags', line, `${ACCEPTED_REFERENCE} (${why})`);
  };
  if (line.includes('@')) fail('a digest cannot be a tag');
  const written = parseReference(line);
  const tagged = written.tag !== undefined;
  const { name, tag = 'latest' } = written;
  if (name !== name.toLowerCase()) fail(`"${name}" must be lower-case`);
  const valid = (check: () => unknown): boolean => {
    try {
      check();
      return true;
    } catch {
      return false;
    }
  };
  if (!valid(() => parseImage(name, 'tags'))) fail(`"${name}" is not a valid image name`);
  if (!valid(() => validateTag(tag, 'tags'))) fail(`"${tag}" is not a valid tag`);
  const note = tagged ? undefined : `"${line}" has no tag: published as ${name}:latest, as build-push-action reads it`;
  return makeRule(line, { type: 'raw', value: tag, image: name, ...(note ? { note } : {}) });
}

function parseTagRule(line: string): TagRule {
  const fail = (why: string): never => {
    throw new InputError('tags', line, `${ACCEPTED_RULE} (${why})`);
  };
  // A line without `=` is a tag as is (`foo` ≡ `type=raw,value=foo`), or a full image reference when it
  // holds a `:` or `@` (no tag may); a line without `type=` is raw too.
  if (!line.includes('=')) {
    if (/[:@]/.test(line)) return parseTagReference(line);
    return makeRule(line, { type: 'raw', value: literalTag(line) });
  }
  const pairs = parseKeyValues(line);
  const typePair = pairs.find(([key]) => key.toLowerCase() === 'type');
  const type = typePair ? typePair[1].toLowerCase() : 'raw';
  if (!(type in TYPE_ATTRS)) fail(`unknown type "${typePair?.[1]}"`);
  const rule = makeRule(line, { type: type as TagType });
  const allowed = [...COMMON_ATTRS, ...TYPE_ATTRS[rule.type]];
  const seen = new Set<string>();
  const notes: string[] = [];

  for (const [rawKey, rawValue] of pairs) {
    let key = rawKey.toLowerCase();
    let value = rawValue;
    // `type=raw,foo`: a field without `=` is the value, as metadata-action reads it.
    if (rule.type === 'raw' && !allowed.includes(key) && value === '' && !line.includes(`${rawKey}=`)) {
      key = 'value';
      value = rawKey;
    }
    if (!allowed.includes(key)) {
      // metadata-action ignores an attribute it does not know: so do we, and say so.
      notes.push(`"${rawKey}" is not an attribute of type=${rule.type} and is ignored (known: ${allowed.join(', ')})`);
      continue;
    }
    if (seen.has(key))
      fail(
        key === 'type'
          ? 'two rules on one line: a comma separates the attributes of one rule, so write each rule on its own line'
          : `"${key}" given twice (a comma separates attributes: quote a field that holds one, e.g. "${key}=a,b")`
      );
    seen.add(key);
    try {
      switch (key) {
        case 'type':
          break;
        case 'enable':
          if (value.includes('{{')) checkTemplate(value, GLOBAL_EXPRESSIONS);
          else if (!/^(true|false)$/i.test(value))
            fail(`enable must be true, false or an expression such as {{is_default_branch}}, not "${value}"`);
          rule.enable = value;
          break;
        case 'priority':
          if (!/^-?\d+$/.test(value)) fail(`priority must be an integer, not "${value}"`);
          rule.priority = Number(value);
          break;
        case 'prefix':
        case 'suffix':
        case 'value':
          checkTemplate(value, GLOBAL_EXPRESSIONS);
          rule[key] = value;
          break;
        case 'pattern':
          rule.pattern = value;
          break;
        case 'event':
          if (!['branch', 'tag', 'pr'].includes(value)) fail(`event must be branch, tag or pr, not "${value}"`);
          rule.event = value as RefEvent;
          break;
        case 'format':
          if (value !== 'short' && value !== 'long') fail(`format must be short or long, not "${value}"`);
          rule.format = value as 'short' | 'long';
          break;
        case 'branch':
          rule.branch = value;
          break;
        case 'match':
          rule.match = value;
          break;
        case 'group':
          if (!/^\d+$/.test(value)) fail(`group must be a capture group number, not "${value}"`);
          rule.group = Number(value);
          break;
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      fail((err as Error).message);
    }
  }

  try {
    finishRule(rule, seen);
  } catch (err) {
    if (err instanceof InputError) throw err;
    fail((err as Error).message);
  }
  if (notes.length > 0) rule.note = `${line}: ${notes.join('; ')}`;
  return rule;
}

/** Per-type defaults and required attributes, once every field is read. */
function finishRule(rule: TagRule, seen: Set<string>): void {
  switch (rule.type) {
    case 'schedule':
      rule.pattern ??= 'nightly';
      checkTemplate(rule.pattern, GLOBAL_EXPRESSIONS);
      break;
    case 'semver':
    case 'pep440':
      if (!rule.pattern) throw new Error(`type=${rule.type} needs pattern=, e.g. pattern={{version}}`);
      checkTemplate(rule.pattern, [...VERSION_EXPRESSIONS, ...GLOBAL_EXPRESSIONS]);
      if (rule.match !== undefined) compileMatch(rule.match);
      break;
    case 'match':
      if (!rule.pattern) throw new Error('type=match needs pattern=<regular expression>');
      compileMatch(rule.pattern);
      // A group the pattern lacks is not refused here: as in metadata-action, that rule then gives no tag.
      rule.group ??= 0;
      break;
    case 'ref':
      if (!rule.event) throw new Error('type=ref needs event=branch, event=tag or event=pr');
      if (!seen.has('priority')) rule.priority = REF_PRIORITIES[rule.event];
      if (rule.event === 'pr' && !seen.has('prefix')) rule.prefix = 'pr-';
      break;
    case 'raw':
      if (rule.value === undefined || rule.value === '') throw new Error('type=raw needs value=<tag>');
      literalTag(rule.value);
      break;
    case 'sha':
      rule.format ??= 'short';
      if (!seen.has('prefix')) rule.prefix = 'sha-';
      break;
    case 'edge':
      break;
  }
}

/** `/regex/flags` or a plain pattern, as metadata-action; a bad regex is an input error. */
export function compileMatch(pattern: string): RegExp {
  const literal = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  try {
    return literal ? new RegExp(literal[1], literal[2]) : new RegExp(pattern);
  } catch (err) {
    throw new Error(`invalid regular expression: ${(err as Error).message}`);
  }
}
