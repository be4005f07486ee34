import type { ActionsCacheAccess } from '../plan/cache.js';

/** Triggers GitHub gives a read-only cache token: they run code a fork may have written. */
const UNTRUSTED = ['pull_request_target', 'issue_comment', 'workflow_run'];
const READ = 1;
const WRITE = 2;

/**
 * What the job's GitHub Actions cache allows, known before the build: read from the runtime token
 * (a JWT whose `ac` claim lists each cache scope with its permission, 1 read and 2 write) and from
 * ACTIONS_CACHE_MODE where the runner sets it. The token is only decoded, never checked: the
 * service checks it; here it only decides whether to ask for a write at all.
 */
export function readActionsCacheAccess(env: NodeJS.ProcessEnv, eventName: string): ActionsCacheAccess {
  const token = env.ACTIONS_RUNTIME_TOKEN;
  if (!token || !env.ACTIONS_RESULTS_URL) {
    return {
      read: false,
      write: false,
      scopes: [],
      note: 'cache: gha: no GitHub Actions cache here (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are set only in a GitHub Actions job); building without a cache'
    };
  }
  const grants = scopesOf(token);
  if (!grants) {
    return {
      read: false,
      write: false,
      scopes: [],
      note: 'cache: gha: the Actions runtime token carries no readable cache scopes (its ac claim); building without a cache'
    };
  }
  const scopes = grants.map((g) => `${g.scope} (${permissionText(g.permission)})`);
  const mode = (env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase();
  const read = grants.some((g) => g.permission & READ) && mode !== 'none' && mode !== 'write-only';
  const write = grants.some((g) => g.permission & WRITE) && (mode === '' || mode === 'write' || mode === 'write-only');
  if (write) return { read, write, scopes };
  const why = UNTRUSTED.includes(eventName)
    ? `the ${eventName} trigger is untrusted, so GitHub gives it a read-only cache token; runs of trusted events (a push to the default branch) fill the cache it reads`
    : 'grant the job `permissions: actions: write` to let it write';
  return {
    read,
    write: false,
    scopes,
    note: `cache: gha: read only, no cache-to: this job's token may not write to the Actions cache (${scopes.join(', ') || 'no scopes'}${mode ? `; ACTIONS_CACHE_MODE=${mode}` : ''}); ${why}`
  };
}

interface Grant {
  scope: string;
  permission: number;
}

/** The `ac` claim of a JWT, decoded without verification; undefined when the token has none. */
function scopesOf(token: string): Grant[] | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      ac?: unknown;
    };
    const ac: unknown = typeof claims.ac === 'string' ? JSON.parse(claims.ac) : undefined;
    if (!Array.isArray(ac)) return undefined;
    return ac.map((g: { Scope?: unknown; Permission?: unknown }) => ({
      scope: String(g.Scope ?? ''),
      permission: Number(g.Permission ?? 0)
    }));
  } catch {
    return undefined;
  }
}

function permissionText(permission: number): string {
  const parts = [permission & READ ? 'read' : '', permission & WRITE ? 'write' : ''].filter(Boolean);
  return parts.join('+') || 'none';
}
