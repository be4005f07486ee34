import type { Edges } from '../ports.js';
import type { BuildxBin } from '../tools/buildx/find.js';

/** What the post step must clean up: only what main itself created. */
export interface SavedState {
  /** Name of a builder main created, or '' when it used one that already existed. */
  builder: string;
  /** One-node builders main made for node-fallback: emulate, removed by post too. */
  fallbackBuilders?: string[];
  buildx?: BuildxBin;
  /** A temporary directory main made (secret files, metadata), removed by post if main could not. */
  tempDir: string;
}

export function saveState(edges: Edges, state: SavedState): void {
  edges.saveState('cleanup', JSON.stringify(state));
}

/** Reads what main saved; a missing or unreadable record means there is nothing to clean. */
export function loadState(edges: Edges): SavedState | undefined {
  const raw = edges.getState('cleanup');
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<SavedState>;
    return {
      builder: typeof parsed.builder === 'string' ? parsed.builder : '',
      ...(Array.isArray(parsed.fallbackBuilders)
        ? { fallbackBuilders: parsed.fallbackBuilders.filter((b): b is string => typeof b === 'string') }
        : {}),
      buildx: parsed.buildx,
      tempDir: typeof parsed.tempDir === 'string' ? parsed.tempDir : ''
    };
  } catch {
    return undefined;
  }
}
