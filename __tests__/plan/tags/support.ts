import { computeTags, type TagResult } from '../../../src/plan/tags/compute.js';
import { parseFlavor } from '../../../src/plan/tags/flavor.js';
import { parseTagRules } from '../../../src/plan/tags/rules.js';
import type { Context } from '../../../src/plan/context.js';

/* The clock and the one-call helper the tag tests share (their context: support/context.ts). */

export const NOW = new Date('2024-03-05T14:07:09.042Z');

export function run(ctx: Context, tags = '', flavor = '', images: string[] = []): TagResult {
  return computeTags({ images, rules: parseTagRules(tags), flavor: parseFlavor(flavor), context: ctx, now: NOW });
}
