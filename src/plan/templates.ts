import type { Context } from './context.js';
import { InputError, type InputName } from './errors.js';
import type { Inputs } from './inputs.js';
import { GLOBAL_EXPRESSIONS, globalResolver } from './tags/expressions.js';
import { checkTemplate, render, type Resolver } from './tags/template.js';

/*
 * The tag templates in what goes into the build: `build-args`, `labels` and `annotations` may say
 * `{{version}}`, `{{sha}}`, `{{branch}}`, `{{tag}}`, `{{date 'YYYYMMDD'}}`, … and get the values
 * the tag rules get, so a workflow needs no metadata step before the build to pass its version in.
 * The expressions are the tag rules' own (src/plan/tags), used as they are, plus `{{version}}`:
 * the `version` output.
 */

export const METADATA_EXPRESSIONS = [...GLOBAL_EXPRESSIONS, 'version'];

function resolver(context: Context, version: string, now: Date): Resolver {
  const globals = globalResolver(context, now);
  return (e) => (e.name === 'version' ? version : globals(e));
}

/** Every expression must be known (labels: as before, an unknown one is refused). Throws an Error naming it. */
export function expandAll(text: string, context: Context, version: string, now: Date): string {
  checkTemplate(text, METADATA_EXPRESSIONS);
  return render(text, resolver(context, version, now));
}

const EXPRESSION = /\{\{(.*?)\}\}/g;

/**
 * Known expressions expanded, anything else in `{{…}}` passed as written: build-args and
 * annotations went to buildx verbatim until now, and a Go template (`FORMAT={{.Version}}`) must
 * still reach the build. A name that looks like ours but is not (`{{verison}}`) is returned, to warn.
 */
export function expandKnown(
  text: string,
  context: Context,
  version: string,
  now: Date
): { text: string; unknown: string[] } {
  const resolve = resolver(context, version, now);
  const unknown: string[] = [];
  const out = text.replace(EXPRESSION, (whole, body: string) => {
    const name = /^\s*([A-Za-z_]\w*)(\s|$)/.exec(body)?.[1];
    if (name === undefined) return whole;
    if (!METADATA_EXPRESSIONS.includes(name)) {
      unknown.push(whole);
      return whole;
    }
    checkTemplate(whole, METADATA_EXPRESSIONS);
    return render(whole, resolve);
  });
  return { text: out, unknown };
}

/**
 * `inputs` with the templates of `build-args` (common and per platform) and `annotations`
 * expanded; labels are expanded where they are computed (labels.ts). A bad expression is refused
 * naming its input and line; an unknown name passes as written, with a warning.
 */
export function withTemplates(
  inputs: Inputs,
  context: Context,
  version: string,
  now: Date
): { inputs: Inputs; warnings: string[] } {
  const warnings: string[] = [];
  const expand = (input: InputName, line: string): string => {
    let expanded: { text: string; unknown: string[] };
    try {
      expanded = expandKnown(line, context, version, now);
    } catch (error) {
      throw new InputError(input, line, `values whose {{…}} are known templates (${(error as Error).message})`);
    }
    for (const name of expanded.unknown)
      warnings.push(
        `${input}: ${name} in ${JSON.stringify(line)} is not a template here (known: ${METADATA_EXPRESSIONS.join(', ')}); passed as written`
      );
    return expanded.text;
  };
  const perPlatform: Inputs['perPlatform'] = {};
  for (const [id, values] of Object.entries(inputs.perPlatform))
    perPlatform[id] = { ...values, buildArgs: values.buildArgs.map((a) => expand('build-args', a)) };
  return {
    inputs: {
      ...inputs,
      build: { ...inputs.build, buildArgs: inputs.build.buildArgs.map((a) => expand('build-args', a)) },
      annotations: inputs.annotations.map((a) => expand('annotations', a)),
      perPlatform
    },
    warnings: [...new Set(warnings)]
  };
}
