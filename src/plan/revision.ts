import type { Inputs } from './inputs.js';
import { InputError } from './errors.js';
import { defaultTagRules } from './tags/rules.js';

/*
 * Building without git: a source tarball, or a CI that drops `.git`. Nothing needs git unless a
 * value needs the commit (a `type=sha` rule, a `{{sha}}` template) or the ref (the branch and tag
 * rules); the command line's --revision and --ref, or the CI's variables, give them instead.
 */

const SHA_TEMPLATE = /\{\{\s*sha\s*\}\}/;

/** What needs the commit's id, as the user would find it in their inputs; undefined when nothing does. */
export function needsRevision(inputs: Inputs): string | undefined {
  const rule = inputs.tagRules.find((r) => r.type === 'sha' || SHA_TEMPLATE.test(r.raw));
  const defaults = defaultTagRules()
    .map((r) => r.raw)
    .join('\n');
  if (rule)
    return inputs.tagRules.map((r) => r.raw).join('\n') === defaults
      ? `the default tag rules' ${rule.raw} (tags is empty)`
      : `the tag rule ${rule.raw}`;
  if (SHA_TEMPLATE.test(inputs.flavor.prefix) || SHA_TEMPLATE.test(inputs.flavor.suffix)) return 'the flavor’s {{sha}}';
  const lists: Array<[string, string[]]> = [
    ['labels', inputs.labels],
    ['annotations', inputs.annotations],
    ['build-args', [...inputs.build.buildArgs, ...Object.values(inputs.perPlatform).flatMap((v) => v.buildArgs)]]
  ];
  for (const [input, lines] of lists) {
    const line = lines.find((l) => SHA_TEMPLATE.test(l));
    if (line) return `${input}: ${line}`;
  }
  return undefined;
}

/** `--revision`: a commit id, 7 to 64 hex digits (a short id is what type=sha publishes). */
export function parseRevision(value: string): string {
  const trimmed = value.trim();
  if (!/^[0-9a-f]{7,64}$/i.test(trimmed))
    throw new InputError('revision', value, 'a commit id: 7 to 64 hexadecimal digits (git rev-parse HEAD prints one)');
  return trimmed.toLowerCase();
}

/** `--ref`: a full ref, as GITHUB_REF holds it. */
export function parseRef(value: string): string {
  const trimmed = value.trim();
  if (!/^refs\/(heads|tags)\/[^\s]+$|^refs\/pull\/\d+\/(merge|head)$/.test(trimmed))
    throw new InputError('ref', value, 'a full ref: refs/heads/<branch>, refs/tags/<tag> or refs/pull/<number>/merge');
  return trimmed;
}

/** The refusal when the commit is needed and no one said which: names what needs it and what to pass. */
export function revisionRefusal(what: string, dir: string): InputError {
  return new InputError(
    'revision',
    '',
    `the commit the image is built from, because ${what} needs it and ${dir} is not a git checkout with a commit: ` +
      'pass --revision <commit id> (a CI gives it in its own variable: CI_COMMIT_SHA, GIT_COMMIT, …), or a --tags that needs no commit'
  );
}
