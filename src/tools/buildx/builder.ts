import { withRetry } from '../retry.js';
import { bootstrapArgv, removeBuilderArgv } from '../../plan/steps.js';
import { runBuildx, type Buildx } from './handle.js';

export interface BuilderInfo {
  name: string;
  driver: string;
  platforms: string[];
  buildkitVersion: string;
}

/** Creates (already done by the caller's argv) and bootstraps a builder, returning what it offers. */
export async function createBuilder(bx: Buildx, createArgv: string[], name: string): Promise<void> {
  await withRetry(() => runBuildx(bx, createArgv, { quiet: true }), {
    retries: bx.retries,
    what: `creating builder ${name}`,
    log: bx.log
  });
}

export async function bootstrapBuilder(bx: Buildx, name: string): Promise<BuilderInfo> {
  const out = await withRetry(() => runBuildx(bx, bootstrapArgv(name), { quiet: true }), {
    retries: bx.retries,
    what: `starting builder ${name}`,
    log: bx.log
  });
  return parseInspect(out.stdout, name);
}

/** Reads `buildx inspect` text: the driver, the platforms the nodes offer, the BuildKit version. */
export function parseInspect(text: string, name: string): BuilderInfo {
  const field = (label: string): string[] =>
    text
      .split('\n')
      .filter((line) => line.trimStart().startsWith(`${label}:`))
      .map((line) => line.slice(line.indexOf(':') + 1).trim());
  const platforms = field('Platforms')
    .flatMap((line) => line.split(','))
    .map((p) => p.replace(/\*$/, '').trim())
    .filter(Boolean);
  return {
    name,
    driver: field('Driver')[0] ?? 'unknown',
    platforms: [...new Set(platforms)],
    buildkitVersion: field('BuildKit version')[0] ?? field('Buildkit')[0] ?? 'unknown'
  };
}

export async function removeBuilder(bx: Buildx, name: string): Promise<'removed' | 'absent'> {
  const result = await runBuildx(bx, removeBuilderArgv(name), { allowFailure: true, quiet: true });
  if (result.code === 0) return 'removed';
  if (/not found|no builder|does not exist/i.test(result.stderr)) return 'absent';
  throw new Error(`removing builder ${name} failed: ${result.stderr.trim()}`);
}
