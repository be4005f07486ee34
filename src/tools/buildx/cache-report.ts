/**
 * What the log says about a cache that failed in a build that went on. BuildKit ignores cache
 * import errors, and export errors with `ignore-error=true`; we read them back from buildx's plain
 * progress and turn each into one line that names the platforms, the cache, and the cause a user
 * can act on (a rate limit and its Retry-After, a refused write, a full quota).
 */

export type CacheBackend = 'registry' | 'gha' | 'other';

export interface CacheProblem {
  direction: 'read' | 'write';
  backend: CacheBackend;
  /** The cache ref, when the step names it (a registry import does). */
  ref: string;
  error: string;
}

/**
 * Cache steps that failed: a step's `#N importing cache manifest from REF` or `#N exporting cache
 * to …` / `#N exporting to GitHub Actions Cache`, followed by `#N ERROR: …`.
 */
export function cacheProblems(output: string): CacheProblem[] {
  const steps = new Map<string, Omit<CacheProblem, 'error'>>();
  const problems: CacheProblem[] = [];
  for (const line of output.split('\n')) {
    const m = /^#(\d+) (.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, text] = m;
    const imported = /^importing cache manifest from (\S+)/.exec(text);
    if (imported) {
      // BuildKit names a registry import by its ref and any other by `<type>:<hash>`.
      const gha = imported[1].startsWith('gha:');
      steps.set(id, { direction: 'read', backend: gha ? 'gha' : 'registry', ref: gha ? '' : imported[1] });
    } else if (/^exporting to GitHub Actions Cache$/.test(text)) {
      steps.set(id, { direction: 'write', backend: 'gha', ref: '' });
    } else if (/^exporting cache to /.test(text)) {
      const backend = /^exporting cache to registry$/.test(text) ? 'registry' : 'other';
      steps.set(id, { direction: 'write', backend, ref: '' });
    } else if (text.startsWith('ERROR: ') && steps.has(id)) {
      problems.push({ ...steps.get(id)!, error: text.slice('ERROR: '.length) });
    }
  }
  return problems;
}

/** The cause of a cache failure in a few words, or undefined when the error says nothing we know. */
export function cacheCause(error: string, direction: 'read' | 'write' = 'write'): string | undefined {
  if (/\b429\b|too many requests|rate.?limit|resource.exhausted|requested delay/i.test(error)) {
    // go-actions-cache gives up at once when Retry-After is longer than its time left: the only place the value shows.
    const delay = /requested delay (\d+(?:\.\d+)?)s/.exec(error)?.[1];
    const after = delay ? `, Retry-After ${Math.round(Number(delay))} s` : '';
    return `rate-limited (429${after})`;
  }
  if (/quota|storage (limit|is full)|\b507\b|insufficient storage|cache size limit/i.test(error)) return 'over quota';
  if (/\b403\b|forbidden|permission.denied|\bdenied\b|read.only/i.test(error))
    return `refused (403: no ${direction} access)`;
  if (/\b401\b|unauthori[sz]ed|authentication required|no basic auth/i.test(error))
    return 'refused (401: no credentials for it)';
  if (/failed to reserve cache/.test(error)) return 'the service would not reserve the entry (another job writes it)';
  return undefined;
}

export interface CacheReport {
  infos: string[];
  warnings: string[];
}

/**
 * The lines a build's cache problems give: a first build's missing cache is an info line (no
 * fault), everything else a warning naming the platforms, the cache and the cause.
 */
export function cacheReport(output: string, where: { platforms: string[]; refs: string[] }): CacheReport {
  const report: CacheReport = { infos: [], warnings: [] };
  const platforms = where.platforms.join(', ');
  for (const problem of cacheProblems(output)) {
    const name =
      problem.backend === 'gha'
        ? 'the GitHub Actions cache'
        : `the ${problem.backend === 'registry' ? 'registry ' : ''}cache ${problem.ref || where.refs.join(', ')}`.trimEnd();
    // The first run of a branch, a platform or a new image has no cache yet: that is no fault.
    if (problem.direction === 'read' && /: not found$/.test(problem.error)) {
      report.infos.push(`${platforms}: no cache yet at ${problem.ref || name}`);
      continue;
    }
    const verb = problem.direction === 'read' ? 'read' : 'written';
    const cause = cacheCause(problem.error, problem.direction);
    report.warnings.push(
      `${platforms}: ${name} could not be ${verb}${cause ? ` (${cause})` : ''}; the build went on without it: ${problem.error}`
    );
  }
  return report;
}
