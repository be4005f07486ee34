import semver, { type SemVer } from 'semver';
import type { Context } from './context.js';
import { DEFAULT_DATE_FORMAT, formatDate, isValidTimeZone } from './dates.js';
import { InputError } from './errors.js';
import { safeTag, validateTag } from './image.js';
import { parseKeyValues, parseList } from './list.js';

/*
 * The tag-rule engine: docker/metadata-action's `tags` and `flavor` syntax, so a workflow migrates by
 * renaming one `uses:` line. Pure: the context and the clock come in as values.
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
  /** only the built-in `{{major}}` default rule: a 0.x release gets no major tag (0.x is unstable by semver) */
  skipMajorZero?: boolean;
}

export interface Flavor {
  latest: 'auto' | 'true' | 'false';
  prefix: string;
  /** apply the prefix to `latest` too */
  prefixLatest: boolean;
  suffix: string;
  suffixLatest: boolean;
}

export interface VersionInfo {
  /** the version as cleaned (no `v`), e.g. 1.2.3, 2.0.0-rc.1, 1.2.3rc2 */
  version: string;
  major: number;
  minor: number;
  patch: number;
  /** '' for a release; e.g. `rc.1` (semver) or `rc2`, `post1`, `dev4` (PEP 440) */
  prerelease: string;
}

export interface TagResult {
  /** the tag of the highest-priority rule that produced one ('' when none did) */
  version: string;
  /** bare tags, priority order, once each; `latest` last */
  tags: string[];
  /** every image × tag, one full reference each */
  refs: string[];
  /** the tags that move between releases: `latest`, `{{major}}`, `{{major}}.{{minor}}` */
  floating: string[];
  isLatest: boolean;
  /** the `latest` tag as emitted (flavor prefix/suffix included) when isLatest */
  latestTag?: string;
  versionInfo?: VersionInfo;
  /** rules that did not apply for a reason worth telling the user (not a semver tag, no match, …) */
  warnings: string[];
}

export const DEFAULT_PRIORITIES: Record<TagType, number> = {
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
const SHORT_SHA = 7;

const ACCEPTED_RULE =
  'one rule a line: type=semver|pep440,pattern=… | type=match,pattern=…[,group=N] | type=ref,event=branch|tag|pr | type=sha[,format=short|long] | type=raw,value=… | type=edge[,branch=…] | type=schedule[,pattern=…], with enable=true|false, priority=<integer>, prefix=, suffix=; or a bare tag';

const COMMON_ATTRS = ['type', 'enable', 'priority', 'prefix', 'suffix'];
const TYPE_ATTRS: Record<TagType, string[]> = {
  schedule: ['pattern'],
  semver: ['pattern', 'value'],
  pep440: ['pattern', 'value'],
  match: ['pattern', 'group', 'value'],
  edge: ['branch'],
  ref: ['event'],
  raw: ['value'],
  sha: ['format']
};

const GLOBAL_EXPRESSIONS = ['branch', 'tag', 'sha', 'base_ref', 'is_default_branch', 'date', 'commit_date'];
const VERSION_EXPRESSIONS = ['raw', 'version', 'major', 'minor', 'patch'];
const DATE_EXPRESSIONS = ['date', 'commit_date'];

// ---------------------------------------------------------------------------------------------
// Templates: the subset of Handlebars that metadata-action patterns use: {{name}} and
// {{name 'positional' key='value'}}.

interface Expression {
  name: string;
  args: string[];
  hash: Record<string, string>;
}
type TemplatePart = string | Expression;

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
function checkTemplate(text: string, allowed: string[]): void {
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

type Resolver = (expression: Expression) => string;

function render(text: string, resolve: Resolver): string {
  return parseTemplate(text)
    .map((part) => (typeof part === 'string' ? part : resolve(part)))
    .join('');
}

/** Which names a template uses, e.g. to tell `{{major}}.{{minor}}` from `{{version}}`. */
function usedNames(text: string): Set<string> {
  return new Set(parseTemplate(text).flatMap((part) => (typeof part === 'string' ? [] : [part.name])));
}

// ---------------------------------------------------------------------------------------------
// Global expressions ({{branch}}, {{sha}}, {{date …}}, …), also used for labels and annotations.

function refName(ref: string, kind: 'heads' | 'tags'): string {
  const prefix = `refs/${kind}/`;
  return ref.startsWith(prefix) ? ref.slice(prefix.length) : '';
}

function prNumber(context: Context): string {
  const fromRef = /^refs\/pull\/(\d+)\//.exec(context.ref);
  if (fromRef) return fromRef[1];
  return context.pr ? String(context.pr.number) : '';
}

// Events that always run on the default branch's last commit (as metadata-action).
const DEFAULT_BRANCH_EVENTS = /^(schedule|create|issues|issue_comment|discussion|discussion_comment)$/;

function isDefaultBranch(context: Context): boolean {
  const branch = refName(context.ref, 'heads');
  if (branch === '') return false;
  if (context.repo.defaultBranch !== undefined && branch === context.repo.defaultBranch) return true;
  return DEFAULT_BRANCH_EVENTS.test(context.eventName);
}

/** The build's clock: SOURCE_DATE_EPOCH when set, as reproducible builds expect; else `now`. */
export function buildDate(context: Context, now: Date): Date {
  return context.sourceDateEpoch ?? now;
}

/** The commit's time (SOURCE_DATE_EPOCH wins), falling back to `now` when unknown. */
export function commitDate(context: Context, now: Date): Date {
  return context.sourceDateEpoch ?? context.commitDate ?? now;
}

function globalResolver(context: Context, now: Date): Resolver {
  return (e) => {
    switch (e.name) {
      case 'branch':
        return refName(context.ref, 'heads');
      case 'tag':
        return refName(context.ref, 'tags');
      case 'sha':
        return context.sha.slice(0, SHORT_SHA);
      case 'base_ref':
        return context.pr?.baseRef ?? '';
      case 'is_default_branch':
        return String(isDefaultBranch(context));
      case 'date':
        return formatDate(buildDate(context, now), e.args[0] ?? DEFAULT_DATE_FORMAT, e.hash.tz ?? 'UTC');
      case 'commit_date':
        return formatDate(commitDate(context, now), e.args[0] ?? DEFAULT_DATE_FORMAT, e.hash.tz ?? 'UTC');
      default:
        throw new Error(`unknown expression {{${e.name}}}`);
    }
  };
}

/**
 * Expands the global expressions ({{branch}}, {{tag}}, {{sha}}, {{base_ref}}, {{is_default_branch}},
 * {{date 'fmt' tz='…'}}, {{commit_date 'fmt'}}) in a label or annotation value. Throws an Error naming
 * the bad expression; callers wrap it in an InputError for their input.
 */
export function expandExpressions(text: string, context: Context, now: Date): string {
  checkTemplate(text, GLOBAL_EXPRESSIONS);
  return render(text, globalResolver(context, now));
}

// ---------------------------------------------------------------------------------------------
// Versions

/** PEP 440, as the spec's appendix defines it (case-insensitive, optional leading v). */
const PEP440 =
  /^\s*v?(?:(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?)(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

export interface Pep440Version {
  epoch: number;
  release: number[];
  pre?: { label: 'a' | 'b' | 'rc'; number: number };
  post?: number;
  dev?: number;
  local?: string;
  /** normalized form, e.g. `1.2.3rc2`, `1.2.3.post1`, `1.0.dev4` */
  normalized: string;
}

/** Parses and normalizes a PEP 440 version; undefined when it does not conform. */
export function parsePep440(text: string): Pep440Version | undefined {
  const m = PEP440.exec(text);
  if (!m) return undefined;
  const epoch = m[1] ? Number(m[1]) : 0;
  const release = m[2].split('.').map(Number);
  const preLabel = m[3]?.toLowerCase();
  const pre = preLabel
    ? {
        label: ({ a: 'a', alpha: 'a', b: 'b', beta: 'b' } as const)[preLabel as 'a'] ?? ('rc' as const),
        number: Number(m[4] ?? 0)
      }
    : undefined;
  const post = m[5] !== undefined ? Number(m[5]) : m[6] !== undefined ? Number(m[7] ?? 0) : undefined;
  const dev = m[8] !== undefined ? Number(m[9] ?? 0) : undefined;
  const local = m[10]?.toLowerCase().replace(/[-_]/g, '.');
  let normalized = `${epoch ? `${epoch}!` : ''}${release.join('.')}`;
  if (pre) normalized += `${pre.label}${pre.number}`;
  if (post !== undefined) normalized += `.post${post}`;
  if (dev !== undefined) normalized += `.dev${dev}`;
  if (local) normalized += `+${local}`;
  return { epoch, release, pre, post, dev, local, normalized };
}

function semverInfo(raw: string): VersionInfo | undefined {
  if (!semver.valid(raw)) return undefined;
  const v = semver.parse(raw, { loose: true });
  if (!v) return undefined;
  return { version: v.version, major: v.major, minor: v.minor, patch: v.patch, prerelease: v.prerelease.join('.') };
}

function pep440Info(raw: string): VersionInfo | undefined {
  const v = parsePep440(raw);
  if (!v) return undefined;
  const prerelease = [
    v.pre ? `${v.pre.label}${v.pre.number}` : '',
    v.post !== undefined ? `post${v.post}` : '',
    v.dev !== undefined ? `dev${v.dev}` : ''
  ]
    .filter((s) => s !== '')
    .join('.');
  return { version: v.normalized, major: v.release[0], minor: v.release[1] ?? 0, patch: v.release[2] ?? 0, prerelease };
}

/** A git tag or value that names a pre-release (semver `-rc.1`, PEP 440 `rc1`/`dev1`) must not become latest. */
function looksPreRelease(text: string): boolean {
  const sv = semver.parse(text, { loose: true });
  if (sv) return sv.prerelease.length > 0;
  const pv = parsePep440(text);
  return pv !== undefined && (pv.pre !== undefined || pv.dev !== undefined);
}

// ---------------------------------------------------------------------------------------------
// Parsing the inputs

/** The rules used when `tags` is empty: branch, PR, semver release tags and the sha. */
export function defaultTagRules(): TagRule[] {
  return [
    makeRule('type=ref,event=branch', { type: 'ref', event: 'branch' }),
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
 * comma, e.g. `"pattern=\d{1,3}"`); a line without `type=` is a raw tag. Empty input gives the
 * defaults. Throws InputError('tags', line, …) for an unknown type or attribute, a missing or bad value.
 */
export function parseTagRules(raw: string): TagRule[] {
  const lines = parseList(raw);
  if (lines.length === 0) return defaultTagRules();
  return lines.map(parseTagRule);
}

/**
 * A tag written out literally must already be valid: a typo is reported, not silently rewritten.
 * Values with `{{…}}` expressions are made safe when computed, as their result is not known yet.
 */
function literalTag(value: string): string {
  return value.includes('{{') ? value : validateTag(value, 'tags');
}

function parseTagRule(line: string): TagRule {
  const fail = (why: string): never => {
    throw new InputError('tags', line, `${ACCEPTED_RULE} (${why})`);
  };
  // A line without `=` is a tag as is (`foo` ≡ `type=raw,value=foo`); a line without `type=` is raw too.
  if (!line.includes('=')) return makeRule(line, { type: 'raw', value: literalTag(line) });
  const pairs = parseKeyValues(line);
  const typePair = pairs.find(([key]) => key.toLowerCase() === 'type');
  const type = typePair ? typePair[1].toLowerCase() : 'raw';
  if (!(type in TYPE_ATTRS)) fail(`unknown type "${typePair?.[1]}"`);
  const rule = makeRule(line, { type: type as TagType });
  const allowed = [...COMMON_ATTRS, ...TYPE_ATTRS[rule.type]];
  const seen = new Set<string>();

  for (const [rawKey, rawValue] of pairs) {
    let key = rawKey.toLowerCase();
    let value = rawValue;
    // `type=raw,foo`: a field without `=` is the value, as metadata-action reads it.
    if (rule.type === 'raw' && !allowed.includes(key) && value === '' && !line.includes(`${rawKey}=`)) {
      key = 'value';
      value = rawKey;
    }
    if (!allowed.includes(key))
      fail(`unknown attribute "${rawKey}" for type=${rule.type}; known: ${allowed.join(', ')}`);
    if (seen.has(key)) fail(`"${key}" given twice`);
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
      break;
    case 'match': {
      if (!rule.pattern) throw new Error('type=match needs pattern=<regular expression>');
      const regex = compileMatch(rule.pattern);
      rule.group ??= 0;
      // An always-matching alternative reveals how many groups the pattern has.
      const groups = new RegExp(`${regex.source}|`, regex.flags).exec('')!.length - 1;
      if (rule.group > groups)
        throw new Error(`group ${rule.group} does not exist: the pattern has ${groups} capture group(s)`);
      break;
    }
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
function compileMatch(pattern: string): RegExp {
  const literal = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  try {
    return literal ? new RegExp(literal[1], literal[2]) : new RegExp(pattern);
  } catch (err) {
    throw new Error(`invalid regular expression: ${(err as Error).message}`);
  }
}

const ACCEPTED_FLAVOR =
  'one setting a line: latest=auto|true|false, prefix=<text>[,onlatest=true|false], suffix=<text>[,onlatest=true|false]';

/** Parses the `flavor` input (metadata-action syntax). Throws InputError('flavor', line, …). */
export function parseFlavor(raw: string): Flavor {
  const flavor: Flavor = { latest: 'auto', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false };
  for (const line of parseList(raw)) {
    const fail = (why: string): never => {
      throw new InputError('flavor', line, `${ACCEPTED_FLAVOR} (${why})`);
    };
    const pairs = parseKeyValues(line);
    const [first, ...rest] = pairs;
    if (!first) continue;
    const key = first[0].toLowerCase();
    const value = first[1];
    switch (key) {
      case 'latest':
        if (!['auto', 'true', 'false'].includes(value)) fail(`latest must be auto, true or false, not "${value}"`);
        if (rest.length > 0) fail('latest takes no other attribute');
        flavor.latest = value as Flavor['latest'];
        break;
      case 'prefix':
      case 'suffix': {
        try {
          checkTemplate(value, GLOBAL_EXPRESSIONS);
        } catch (err) {
          fail((err as Error).message);
        }
        let onLatest = false;
        for (const [k, v] of rest) {
          if (k.toLowerCase() !== 'onlatest') fail(`unknown attribute "${k}"`);
          if (!/^(true|false)$/i.test(v)) fail(`onlatest must be true or false, not "${v}"`);
          onLatest = v.toLowerCase() === 'true';
        }
        if (key === 'prefix') {
          flavor.prefix = value;
          flavor.prefixLatest = onLatest;
        } else {
          flavor.suffix = value;
          flavor.suffixLatest = onLatest;
        }
        break;
      }
      default:
        fail(`unknown setting "${first[0]}"`);
    }
  }
  return flavor;
}

// ---------------------------------------------------------------------------------------------
// Computing the tags

interface Produced {
  tag: string;
  /** moves from release to release: {{major}} or {{major}}.{{minor}} of a version rule */
  floating: boolean;
  /** under latest=auto, this rule asks for `latest` */
  wantsLatest: boolean;
}

export interface ComputeTagsInput {
  /** normalized image names (see parseImage) */
  images: string[];
  rules: TagRule[];
  flavor: Flavor;
  context: Context;
  /** the clock; SOURCE_DATE_EPOCH in the context wins over it */
  now: Date;
}

/**
 * Applies the rules to the context: the tags in priority order (ties keep the input order), once
 * each, `latest` when the flavor asks for it; plus the full references for every image.
 * Throws InputError('tags', …) only for an enable= expression that does not give true/false.
 */
export function computeTags(input: ComputeTagsInput): TagResult {
  const { context, flavor, now } = input;
  const globals = globalResolver(context, now);
  const rules = input.rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => b.rule.priority - a.rule.priority || a.index - b.index)
    .map(({ rule }) => rule);

  const warnings: string[] = [];
  const order: string[] = [];
  const floating = new Set<string>();
  let wantsLatest = false;
  let versionInfo: VersionInfo | undefined;

  for (const rule of rules) {
    const enable = render(rule.enable, globals).trim().toLowerCase();
    if (enable !== 'true' && enable !== 'false') {
      throw new InputError('tags', rule.raw, `enable= to give true or false; it gave "${enable}"`);
    }
    if (enable === 'false') continue;
    const out = applyRule(rule, context, globals, warnings);
    if (out.versionInfo && !versionInfo) versionInfo = out.versionInfo;
    for (const produced of out.produced) {
      const prefix = rule.prefix ?? flavor.prefix;
      const suffix = rule.suffix ?? flavor.suffix;
      const tag = safeTag(`${render(prefix, globals)}${produced.tag}${render(suffix, globals)}`);
      if (tag === '') continue;
      if (!order.includes(tag)) order.push(tag);
      if (produced.floating) floating.add(tag);
      if (produced.wantsLatest) wantsLatest = true;
    }
  }

  // Like metadata-action: no rule produced a tag, so there is no version and no `latest` either.
  const isLatest = order.length > 0 && (flavor.latest === 'true' || (flavor.latest === 'auto' && wantsLatest));
  let latestTag: string | undefined;
  if (isLatest) {
    latestTag = safeTag(
      `${flavor.prefixLatest ? render(flavor.prefix, globals) : ''}latest${flavor.suffixLatest ? render(flavor.suffix, globals) : ''}`
    );
    if (!order.includes(latestTag)) order.push(latestTag);
    floating.add(latestTag);
  }

  return {
    version: order[0] ?? '',
    tags: order,
    refs: input.images.flatMap((image) => order.map((tag) => `${image}:${tag}`)),
    floating: order.filter((tag) => floating.has(tag)),
    isLatest,
    latestTag,
    versionInfo,
    warnings
  };
}

interface RuleOutput {
  produced: Produced[];
  versionInfo?: VersionInfo;
}

function applyRule(rule: TagRule, context: Context, globals: Resolver, warnings: string[]): RuleOutput {
  const tagName = refName(context.ref, 'tags');
  const branchName = refName(context.ref, 'heads');
  const plain = (tag: string, latest = false): RuleOutput => ({
    produced: tag === '' ? [] : [{ tag, floating: false, wantsLatest: latest }]
  });
  const none: RuleOutput = { produced: [] };

  switch (rule.type) {
    case 'schedule':
      if (context.eventName !== 'schedule') return none;
      return plain(render(rule.pattern ?? 'nightly', globals));

    case 'semver':
    case 'pep440': {
      const source = rule.value ? render(rule.value, globals) : tagName.replace(/\//g, '-');
      if (source === '') return none;
      const info = rule.type === 'semver' ? semverInfo(source) : pep440Info(source);
      if (!info) {
        warnings.push(
          `${rule.raw}: "${source}" is not a ${rule.type === 'semver' ? 'semantic version (https://semver.org)' : 'PEP 440 version'}; no tag`
        );
        return none;
      }
      const pattern = rule.pattern ?? '{{version}}';
      const names = usedNames(pattern);
      const partial = names.has('major') || names.has('minor') || names.has('patch');
      if (info.prerelease !== '' && partial) return { produced: [], versionInfo: info }; // pre-releases get only their full version
      if (rule.skipMajorZero && info.major === 0) return { produced: [], versionInfo: info };
      const tag = render(pattern, (e) => {
        switch (e.name) {
          case 'raw':
            return source;
          case 'version':
            return info.version;
          case 'major':
            return String(info.major);
          case 'minor':
            return String(info.minor);
          case 'patch':
            return String(info.patch);
          default:
            return globals(e);
        }
      });
      const isFloating = partial && !names.has('patch') && !names.has('version') && !names.has('raw');
      return {
        produced: tag === '' ? [] : [{ tag, floating: isFloating, wantsLatest: info.prerelease === '' }],
        versionInfo: info
      };
    }

    case 'match': {
      const source = rule.value ? render(rule.value, globals) : tagName;
      if (source === '') return none;
      const match = compileMatch(rule.pattern ?? '').exec(source);
      const value = match?.[rule.group ?? 0];
      if (value === undefined || value === '') {
        warnings.push(`${rule.raw}: no match in "${source}"; no tag`);
        return none;
      }
      return plain(value, !looksPreRelease(source) && !looksPreRelease(value));
    }

    case 'ref':
      if (rule.event === 'branch') return plain(branchName);
      if (rule.event === 'tag') return plain(tagName, tagName !== '' && !looksPreRelease(tagName));
      return plain(prNumber(context));

    case 'edge': {
      const edgeBranch = rule.branch || context.repo.defaultBranch;
      return branchName !== '' && branchName === edgeBranch ? plain('edge') : none;
    }

    case 'raw':
      return plain(render(rule.value ?? '', globals));

    case 'sha':
      if (!context.sha) return none;
      return plain(rule.format === 'long' ? context.sha : context.sha.slice(0, SHORT_SHA));
  }
}

// ---------------------------------------------------------------------------------------------
// Floating tags only move forward

export interface HeldTag {
  tag: string;
  /** the version the tag points to now (undefined when unknown) */
  current: string | undefined;
  /** the version this build would have moved it to */
  ours: string;
  /** `newer`: the tag points to a higher version; `prerelease`: ours is a pre-release and the tag is latest */
  reason: 'newer' | 'prerelease';
}

function comparable(version: string): SemVer | null {
  return semver.parse(version, { loose: true }) ?? semver.coerce(version, { includePrerelease: true });
}

/**
 * Keeps floating tags (`latest`, `1`, `1.2`) from moving backwards: given the version each tag points
 * to now (the `org.opencontainers.image.version` the registry holds for it), drops the floating tags
 * whose current version is higher than ours: releasing v1.1.9 after 1.2.3 leaves `1` and `latest` on
 * 1.2.3 and still moves `1.1`. A pre-release never becomes `latest`, even with flavor latest=true.
 * Tags absent from `current`, or whose version does not read as a version, move as computed.
 */
export function holdBackFloating(
  result: TagResult,
  current: Map<string, string | undefined>
): { tags: string[]; held: HeldTag[] } {
  // Compare like with like: `current` holds earlier `version` outputs, so ours is our `version` output
  // when it reads as a version (it may carry the flavor's prefix/suffix), else the parsed rule version.
  const ours = semver.parse(result.version, { loose: true })
    ? result.version
    : (result.versionInfo?.version ?? result.version);
  const oursParsed = result.versionInfo ? comparable(ours) : null;
  const preRelease = result.versionInfo !== undefined && result.versionInfo.prerelease !== '';
  const held: HeldTag[] = [];
  const tags = result.tags.filter((tag) => {
    if (!result.floating.includes(tag)) return true;
    const theirs = current.get(tag);
    if (tag === result.latestTag && preRelease) {
      held.push({ tag, current: theirs, ours, reason: 'prerelease' });
      return false;
    }
    if (theirs === undefined || !oursParsed) return true;
    const theirsParsed = comparable(theirs);
    if (theirsParsed && semver.gt(theirsParsed, oursParsed)) {
      held.push({ tag, current: theirs, ours, reason: 'newer' });
      return false;
    }
    return true;
  });
  return { tags, held };
}
