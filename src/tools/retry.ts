import { ExecError } from './exec.js';
import type { Log } from '../ports.js';
import { errorText, firstLine, lastLines } from '../text.js';

/**
 * `race`: our own two uploads of one blob collided (the image export and the cache export, or two
 * builds pushing one layer at once); the registry then answers "digest did not match" or "blob
 * unknown". It is retried once even with `retries: 0`: nothing is wrong with the registry.
 */
export type Verdict =
  { transient: true; retryAfterMs?: number; cause: string; race?: boolean } | { transient: false; cause: string };

/**
 * A failure of our own code that another attempt may fix: a dropped connection, a timeout, a 5xx
 * or a 429. The message is the cause the retry log shows; `retryAfterMs` is the wait the server
 * asked for (Retry-After), if it asked.
 */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: ErrorOptions
  ) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** A failure of our own code that trying again cannot fix (a refusal, a bad answer). */
export class PermanentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

// Foreign output only: what buildx and BuildKit print when trying again can help (server errors,
// throttling, dropped or stalled connections). Anything else (auth, a missing image, a Dockerfile
// error) is permanent. Our own code says which it is by the type it throws.
const PERMANENT = [
  /\b(401|403)\b.*(unauthorized|forbidden)/i,
  /unauthorized: /i,
  /denied: /i,
  /authentication required/i,
  /invalid reference format/i,
  /did not complete successfully/i,
  /failed to (parse|read) dockerfile/i,
  /dockerfile parse error/i,
  /not found: not found/i,
  /manifest unknown/i,
  /no match for platform/i
];
const TRANSIENT: Array<[RegExp, string]> = [
  // buildx resolves a digest reference with HEAD /manifests/<digest>; when that connection drops it
  // falls back to HEAD /blobs/<digest>, which a registry answers 404 for a manifest, and reports
  // `<ref>@sha256:…: not found`. The action only names digests it has just pushed or read.
  [/@sha256:[0-9a-f]{64}: not found/i, 'connection dropped while resolving a digest (buildx reports it as not found)'],
  [/\b429\b(?!\.\d)|too many requests|toomanyrequests/i, 'registry throttled the request (429)'],
  [
    /\b50[0234]\b(?!\.\d)|service unavailable|bad gateway|gateway time-?out|internal server error/i,
    'registry server error (5xx)'
  ],
  [/connection reset|broken pipe|unexpected EOF|:\s*EOF\s*$|socket hang up|ECONNRESET|EPIPE/im, 'connection dropped'],
  // Nothing listened (a registry restarting): said as it is, not as a dropped connection.
  [/connection refused|ECONNREFUSED/i, 'connection refused'],
  [/i\/o timeout|deadline exceeded|timed out|TLS handshake timeout|context canceled|ETIMEDOUT/i, 'request timed out'],
  [/no such host|temporary failure in name resolution|EAI_AGAIN/i, 'name resolution failed'],
  // An upload cut short can leave the registry with a partial blob; pushing again uploads it afresh.
  [/blob upload (unknown|invalid)/i, 'upload interrupted']
];
// Two uploads of one blob at once (see Verdict): the registry commits one and refuses the other.
const RACE = /digest did not match uploaded content|blob unknown to registry/i;

/**
 * Decides whether a failure is worth another attempt, and names its cause for the log: by type for
 * our own errors, by the words of buildx's and BuildKit's output for a failed command.
 */
export function classify(error: unknown): Verdict {
  if (error instanceof RetriesExhausted) return { transient: false, cause: error.lastCause };
  if (error instanceof TransientError)
    return { transient: true, cause: causeLine(error.message), retryAfterMs: error.retryAfterMs };
  if (error instanceof PermanentError) return { transient: false, cause: causeLine(error.message) };
  if (!(error instanceof ExecError)) return { transient: false, cause: causeLine(String(error)) };
  if (error.stalled) return { transient: true, cause: 'no progress (stalled)' };
  const text = failurePart(`${error.result.stdout}\n${error.result.stderr}`);
  for (const re of PERMANENT) if (re.test(text)) return { transient: false, cause: firstMatchLine(text, re) };
  if (RACE.test(text))
    return { transient: true, race: true, cause: `two uploads of one blob collided: ${firstMatchLine(text, RACE)}` };
  for (const [re, cause] of TRANSIENT) {
    if (re.test(text)) {
      const after = /retry-after:?\s*(\d+)/i.exec(text);
      return {
        transient: true,
        cause: `${cause}: ${firstMatchLine(text, re)}`,
        retryAfterMs: after ? Number(after[1]) * 1000 : undefined
      };
    }
  }
  return { transient: false, cause: lastLine(text) };
}

/** A transient fault that outlasted every retry: says how often it was tried and what failed last. */
export class RetriesExhausted extends PermanentError {
  constructor(
    readonly what: string,
    readonly attempts: number,
    readonly lastCause: string,
    readonly last: unknown,
    /** What was contacted, when it is not the registry of the images (a builder's endpoint). */
    readonly target?: string
  ) {
    super(`${what} failed ${attempts} time${attempts === 1 ? '' : 's'}; last error: ${lastCause}\n${errorText(last)}`);
    this.name = 'RetriesExhausted';
  }
}

export interface RetryOptions {
  /** Attempts after the first. */
  retries: number;
  /** First back-off; doubles each attempt, with full jitter, capped at maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The longest Retry-After honoured: a registry asking for an hour must not hold the job that long. Default 60 s. */
  maxRetryAfterMs?: number;
  what: string;
  /** What the operation contacts, named when retries run out; the images' registry when not given. */
  target?: string;
  log: Log;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Runs `fn` again on transient failures, with exponential back-off and jitter, honouring Retry-After. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const base = options.baseDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const verdict = classify(error);
      if (!verdict.transient) throw error;
      const retries = verdict.race ? Math.max(options.retries, 1) : options.retries;
      if (attempt >= retries)
        throw new RetriesExhausted(options.what, attempt + 1, verdict.cause, error, options.target);
      const backoff = Math.min(max, base * 2 ** attempt);
      const asked = Math.min(verdict.retryAfterMs ?? 0, options.maxRetryAfterMs ?? 60_000);
      const delay = Math.max(asked, Math.round(backoff / 2 + (random() * backoff) / 2));
      options.log.warning(
        `${options.what}: attempt ${attempt + 1} of ${retries + 1} failed (${verdict.cause}); retrying in ${(delay / 1000).toFixed(1)} s`
      );
      await sleep(delay);
    }
  }
}

/**
 * The part of a command's output that says why it failed: from buildx's first `ERROR` line on, else
 * the last lines. Build progress before it (heredocs, sizes like 502.3MB) must not look like a fault.
 */
function failurePart(output: string): string {
  const lines = withoutCacheImport(output).split('\n');
  const first = lines.findIndex((line) => /^(#\d+\s+)?(ERROR|error):?\s/.test(line.trim()));
  return (first >= 0 ? lines.slice(first) : lines.slice(-20)).join('\n');
}

/**
 * The output without what BuildKit said while importing a registry cache: it goes on after such an
 * error (a cache only makes a build faster), so that error is never why the build failed, even
 * when it shares the cause (the same registry refused or unreachable) and comes first.
 */
export function withoutCacheImport(output: string): string {
  const lines = output.split('\n');
  const ids = new Set(
    lines.flatMap((line) => {
      const m = /^#(\d+) (?:\[[^\]]*\] )?importing cache manifest from /.exec(line.trim());
      return m ? [m[1]] : [];
    })
  );
  return lines
    .filter((line) => {
      const id = /^#(\d+) /.exec(line.trim())?.[1];
      return !(id && ids.has(id)) && !/cache importer/i.test(line);
    })
    .join('\n');
}

function firstMatchLine(text: string, re: RegExp): string {
  const line = text.split('\n').find((l) => re.test(l)) ?? '';
  return line.trim().slice(0, 300);
}

/** A cause as the retry warnings give it: the first line, at most 300 characters. */
function causeLine(text: string): string {
  return firstLine(text).trim().slice(0, 300);
}

function lastLine(text: string): string {
  return lastLines(text, 1).trim().slice(0, 300);
}
