import { InputError, type InputName } from './errors.js';
import { parsePlatforms, type Platform } from './platforms.js';

/**
 * Per-platform values of `file`, `build-args` and `target`: a line whose first `=`-separated part
 * is a platform id (`linux/arm/v6=Dockerfile.armv6`, `linux/arm64=KEY=value`) applies to that
 * platform only; the other lines apply to every platform, and a platform's own line wins.
 */
export interface PlatformValues {
  file?: string;
  target?: string;
  /** Added after the common build-args (buildx keeps the last of a key). */
  buildArgs: string[];
}

export interface Split {
  common: string[];
  /** Platform id → its own lines. */
  byPlatform: Record<string, string[]>;
}

// Only `linux/…` can start a platform id here: a build-arg key or a path with a slash but another
// first part stays what it is.
const PLATFORM_PREFIX = /^linux\/[^=\s]+$/i;

/** Splits an input's lines into the common ones and each platform's, each platform one of `platforms`. */
export function splitByPlatform(lines: string[], input: InputName, platforms: Platform[]): Split {
  const split: Split = { common: [], byPlatform: {} };
  for (const line of lines) {
    const eq = line.indexOf('=');
    const head = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!PLATFORM_PREFIX.test(head)) {
      split.common.push(line);
      continue;
    }
    const [platform] = parsePlatforms([head], input);
    if (!platforms.some((p) => p.id === platform.id))
      throw new InputError(
        input,
        line,
        `a platform among the ones built (${platforms.map((p) => p.id).join(', ')}) before the first =`
      );
    const rest = line.slice(eq + 1).trim();
    if (rest === '') throw new InputError(input, line, `${platform.id}=a value`);
    (split.byPlatform[platform.id] ??= []).push(rest);
  }
  return split;
}

/** For single-value inputs (file, target): at most one common line and one per platform. */
export function singlePerPlatform(
  lines: string[],
  input: InputName,
  platforms: Platform[]
): { common: string; byPlatform: Record<string, string> } {
  const split = splitByPlatform(lines, input, platforms);
  if (split.common.length > 1)
    throw new InputError(
      input,
      split.common.join('\n'),
      `one value, plus at most one PLATFORM=value line per platform (e.g. linux/arm/v6=Dockerfile.armv6)`
    );
  const byPlatform: Record<string, string> = {};
  for (const [id, values] of Object.entries(split.byPlatform)) {
    if (values.length > 1) throw new InputError(input, values.map((v) => `${id}=${v}`).join('\n'), `one ${id}= line`);
    byPlatform[id] = values[0];
  }
  return { common: split.common[0] ?? '', byPlatform };
}

/** Whether any platform has a value of its own. */
export function hasPerPlatform(values: Record<string, PlatformValues>): boolean {
  return Object.values(values).some((v) => v.file !== undefined || v.target !== undefined || v.buildArgs.length > 0);
}
