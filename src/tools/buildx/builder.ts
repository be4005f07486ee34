import { withRetry } from '../retry.js';
import { bootstrapArgv, inspectBuilderArgv, removeBuilderArgv } from '../../plan/steps.js';
import { runBuildx, type Buildx } from './handle.js';

export interface BuilderInfo {
  name: string;
  driver: string;
  platforms: string[];
  buildkitVersion: string;
  /** Each node as `buildx inspect` reports it (a builder of several nodes). */
  nodes?: NodeInfo[];
}

export interface NodeInfo {
  name: string;
  endpoint: string;
  /** running, inactive, stopped, or buildx's error for it. */
  status: string;
  buildkitVersion: string;
  platforms: string[];
}

/** Creates (already done by the caller's argv) and bootstraps a builder, returning what it offers. */
export async function createBuilder(bx: Buildx, createArgv: string[], name: string): Promise<void> {
  await withRetry(() => runBuildx(bx, createArgv, { quiet: true }), {
    retries: bx.retries,
    what: `creating builder ${name}`,
    log: bx.log
  });
}

/** `endpoint`: what the builder's nodes are, named when the bootstrap fails for good (not the registry). */
export async function bootstrapBuilder(bx: Buildx, name: string, endpoint?: string): Promise<BuilderInfo> {
  const out = await withRetry(() => runBuildx(bx, bootstrapArgv(name), { quiet: true }), {
    retries: bx.retries,
    what: `starting builder ${name}`,
    ...(endpoint ? { target: endpoint } : {}),
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
    buildkitVersion: field('BuildKit version')[0] ?? field('Buildkit')[0] ?? 'unknown',
    nodes: parseInspectNodes(text)
  };
}

/**
 * The nodes of `buildx inspect` text: after `Nodes:`, each starts at its `Name:` line and holds
 * its Endpoint, Status (or Error), BuildKit version and Platforms (`*` marks the ones it was
 * created for, and is dropped here).
 */
export function parseInspectNodes(text: string): NodeInfo[] {
  const at = text.search(/^Nodes:\s*$/m);
  if (at < 0) return [];
  const nodes: NodeInfo[] = [];
  for (const line of text.slice(at).split('\n').slice(1)) {
    const m = /^([A-Za-z][A-Za-z ]*):\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, label, value] = m;
    if (label === 'Name') {
      nodes.push({ name: value.trim(), endpoint: '', status: 'unknown', buildkitVersion: 'unknown', platforms: [] });
      continue;
    }
    const node = nodes[nodes.length - 1];
    if (!node) continue;
    if (label === 'Endpoint') node.endpoint = value.trim();
    else if (label === 'Status') node.status = value.trim();
    else if (label === 'Error') node.status = `error: ${value.trim()}`;
    else if (label === 'BuildKit version' || label === 'Buildkit') node.buildkitVersion = value.trim();
    else if (label === 'Platforms')
      node.platforms = value
        .split(',')
        .map((p) => p.replace(/\*$/, '').trim())
        .filter(Boolean);
  }
  return nodes;
}

/** `buildx inspect` without bootstrapping: what each node's state is, even when one cannot be reached. */
export async function inspectBuilder(bx: Buildx, name: string): Promise<BuilderInfo> {
  const out = await runBuildx(bx, inspectBuilderArgv(name), { quiet: true });
  return parseInspect(out.stdout, name);
}

export async function removeBuilder(bx: Buildx, name: string): Promise<'removed' | 'absent'> {
  const result = await runBuildx(bx, removeBuilderArgv(name), { allowFailure: true, quiet: true });
  if (result.code === 0) return 'removed';
  if (/not found|no builder|does not exist/i.test(result.stderr)) return 'absent';
  throw new Error(`removing builder ${name} failed: ${result.stderr.trim()}`);
}
