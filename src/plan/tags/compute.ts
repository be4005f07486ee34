import type { Context } from '../context.js';
import { InputError } from '../errors.js';
import { safeTag } from '../image.js';
import { globalResolver, prNumber, refName, SHORT_SHA } from './expressions.js';
import type { Flavor } from './flavor.js';
import { compileMatch, type TagRule } from './rules.js';
import { render, usedNames, type Resolver } from './template.js';
import { isVersionPreRelease, pep440Info, semverInfo, type VersionInfo } from './versions.js';

/* Applying the rules to where the build runs: the tags, in order, and which of them float. */

const FLOATING_LITERAL = /^(latest|\d+|\d+\.\d+)$/;

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
  // One commit published under several refs (a local branch tip that is also tagged) gets the tags of
  // each ref, rule by rule, so priorities still order the union and the version comes from the tag.
  const sources = [context, ...(context.extraRefs ?? []).map((ref) => ({ ...context, ref, extraRefs: undefined }))].map(
    (ctx) => ({ ctx, globals: ctx === context ? globals : globalResolver(ctx, now) })
  );
  const rules = input.rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => b.rule.priority - a.rule.priority || a.index - b.index)
    .map(({ rule }) => rule);

  const warnings: string[] = [];
  const order: string[] = [];
  // Tags that go on every image; a tag only a literal reference gave goes on that reference alone.
  const everyImage = new Set<string>();
  const literalRefs: string[] = [];
  const floating = new Set<string>();
  // Under latest=auto, as metadata-action: the first rule (by priority) that gives a tag decides, for
  // each ref; a commit published under two refs gets `latest` when either ref alone would.
  const wantsLatest: Array<boolean | undefined> = sources.map(() => undefined);
  let versionInfo: VersionInfo | undefined;
  for (const rule of rules) if (rule.note) warnings.push(rule.note);

  for (const rule of rules) {
    for (const [source, { ctx, globals: resolve }] of sources.entries()) {
      const enable = render(rule.enable, resolve).trim().toLowerCase();
      if (enable !== 'true' && enable !== 'false') {
        throw new InputError('tags', rule.raw, `enable= to give true or false; it gave "${enable}"`);
      }
      if (enable === 'false') continue;
      const out = applyRule(rule, ctx, resolve, warnings);
      if (out.versionInfo && !versionInfo) versionInfo = out.versionInfo;
      for (const produced of out.produced) {
        if (rule.image !== undefined) {
          // A full reference the user wrote is published as written: no flavor prefix or suffix.
          if (!order.includes(produced.tag)) order.push(produced.tag);
          literalRefs.push(`${rule.image}:${produced.tag}`);
          // `latest`, `N` and `N.M` written out (metadata-action's output passed through) float too.
          if (FLOATING_LITERAL.test(produced.tag)) floating.add(produced.tag);
          continue;
        }
        const prefix = rule.prefix ?? flavor.prefix;
        const suffix = rule.suffix ?? flavor.suffix;
        const tag = safeTag(`${render(prefix, resolve)}${produced.tag}${render(suffix, resolve)}`);
        if (tag === '') continue;
        if (!order.includes(tag)) order.push(tag);
        everyImage.add(tag);
        if (produced.floating) floating.add(tag);
        wantsLatest[source] ??= produced.wantsLatest;
      }
    }
  }

  // Like metadata-action: no rule produced a tag, so there is no version and no `latest` either.
  const isLatest =
    order.length > 0 && (flavor.latest === 'true' || (flavor.latest === 'auto' && wantsLatest.includes(true)));
  let latestTag: string | undefined;
  if (isLatest) {
    latestTag = safeTag(
      `${flavor.prefixLatest ? render(flavor.prefix, globals) : ''}latest${flavor.suffixLatest ? render(flavor.suffix, globals) : ''}`
    );
    if (!order.includes(latestTag)) order.push(latestTag);
    everyImage.add(latestTag);
    floating.add(latestTag);
  }

  return {
    version: order[0] ?? '',
    tags: order,
    refs: [
      ...new Set([
        ...input.images.flatMap((image) => order.filter((tag) => everyImage.has(tag)).map((tag) => `${image}:${tag}`)),
        ...literalRefs
      ])
    ],
    floating: order.filter((tag) => floating.has(tag)),
    isLatest,
    latestTag,
    versionInfo,
    warnings: [...new Set(warnings)]
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
      const given = rule.value ? render(rule.value, globals) : tagName;
      if (given === '') return none;
      const source = versionPart(rule, given, warnings).replace(/\//g, '-');
      const info = rule.type === 'semver' ? semverInfo(source) : pep440Info(source);
      if (!info) {
        warnings.push(
          `${rule.raw}: "${source}" is not a ${rule.type === 'semver' ? 'semantic version (https://semver.org)' : 'PEP 440 version'}; no tag`
        );
        return none;
      }
      const pattern = rule.pattern ?? '{{version}}';
      if (info.prerelease !== '') {
        // A pre-release gets only its full version, whatever the pattern, as metadata-action gives it;
        // a pattern of exactly {{raw}} keeps the version as written.
        const tag = pattern.trim() === '{{raw}}' ? source : info.version;
        return { produced: [{ tag, floating: false, wantsLatest: false }], versionInfo: info };
      }
      const names = usedNames(pattern);
      const partial = names.has('major') || names.has('minor') || names.has('patch');
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
      if (!match) {
        warnings.push(`${rule.raw}: no match in "${source}"; no tag`);
        return none;
      }
      const group = rule.group ?? 0;
      if (group >= match.length) {
        warnings.push(`${rule.raw}: the pattern has no group ${group}; no tag`);
        return none;
      }
      const value = match[group];
      if (value === undefined || value === '') {
        warnings.push(`${rule.raw}: no match in "${source}"; no tag`);
        return none;
      }
      return plain(value, !isVersionPreRelease(source) && !isVersionPreRelease(value));
    }

    case 'ref':
      if (rule.event === 'branch') return plain(branchName);
      if (rule.event === 'tag') return plain(tagName, tagName !== '' && !isVersionPreRelease(tagName));
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

/** semver/pep440 `match=`: its first group (else the whole match) is the version; no match keeps the value. */
function versionPart(rule: TagRule, given: string, warnings: string[]): string {
  if (rule.match === undefined) return given;
  const match = compileMatch(rule.match).exec(given);
  if (!match) {
    warnings.push(`${rule.raw}: match= does not match "${given}"`);
    return given;
  }
  return match[1] ?? match[0];
}
