/**
 * The stack's GitHub Actions cache stand-in, as a test uses it: a repository of the test's own (so
 * nothing another run wrote is found, and nothing it writes is seen elsewhere), runtime tokens
 * with the scopes the runner would issue, the environment a job step gets, and what the service
 * recorded.
 */
import { randomBytes } from 'node:crypto';
import type { StackEnv } from './stack.js';

export interface Grant {
  scope: string;
  /** 1 read, 2 write, 3 both. */
  permission: number;
}

export interface CacheStats {
  CreateCacheEntry?: number;
  FinalizeCacheEntryUpload?: number;
  GetCacheEntryDownloadURL?: number;
  hits?: number;
  committed?: number;
  refused?: number;
  rateLimited?: number;
  /** Committed entries per scope (ref). */
  entries?: Record<string, number>;
}

export const MAIN_RW: Grant[] = [{ scope: 'refs/heads/main', permission: 3 }];
export const MAIN_READ: Grant[] = [{ scope: 'refs/heads/main', permission: 1 }];
export const PR_7: Grant[] = [
  { scope: 'refs/pull/7/merge', permission: 3 },
  { scope: 'refs/heads/main', permission: 1 }
];

export interface ActionsCacheRepo {
  id: string;
  /** A runtime token of this repository; faults as the stand-in takes them ({write: {status: 429, retryAfter}}). */
  token(scopes: Grant[], faults?: Record<string, unknown>): Promise<string>;
  /** The variables the runner gives a JavaScript action's step. */
  env(token: string): Record<string, string>;
  stats(): Promise<CacheStats>;
}

export function actionsCacheRepo(env: StackEnv): ActionsCacheRepo {
  const id = `e2e-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const ac = env.actionsCache;
  return {
    id,
    async token(scopes, faults) {
      const res = await fetch(ac.mintUrl, {
        method: 'POST',
        body: JSON.stringify({ repositoryId: id, scopes, ...(faults ? { faults } : {}) })
      });
      if (!res.ok) throw new Error(`minting a token: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    },
    env: (token) => ({
      ACTIONS_RUNTIME_TOKEN: token,
      ACTIONS_RESULTS_URL: ac.resultsUrl,
      ACTIONS_CACHE_SERVICE_V2: 'True'
    }),
    async stats() {
      const res = await fetch(`${ac.statsUrl}?repository=${id}`);
      if (!res.ok) throw new Error(`reading the stand-in's stats: ${res.status}`);
      return (await res.json()) as CacheStats;
    }
  };
}
