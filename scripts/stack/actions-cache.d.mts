/** Types of the Actions cache stand-in (actions-cache.mjs), for the tests that drive it. */
import type http from 'node:http';

export const DEV_ACCOUNT: string;
export const DEV_KEY: string;

export interface ScopeGrant {
  scope: string;
  /** 1 read, 2 write, 3 both. */
  permission: number;
}

export interface Faults {
  write?: { status: 429; retryAfter?: number } | { status: 403 };
  read?: { status: 429; retryAfter?: number } | { status: 403 };
}

export function mintToken(
  secret: string,
  options: { repositoryId?: string; scopes: ScopeGrant[]; faults?: Faults; ttlSeconds?: number }
): string;

export function verifyToken(
  secret: string,
  token: string
): { error: string } | { error?: undefined; claims: Record<string, unknown>; scopes: ScopeGrant[] };

export function blobSas(options: {
  account: string;
  key: string;
  container: string;
  blob: string;
  permissions: string;
  expiresOn: Date;
  startsOn?: Date;
}): string;

export function createService(options: { stateDir: string; blobBase: string; publicBlobBase?: string }): {
  server: http.Server;
  secret: string;
};
