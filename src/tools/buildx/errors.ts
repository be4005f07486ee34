/**
 * What a failed `buildx build` says, read from its plain progress: which platform's step failed,
 * where in the Dockerfile, and why, so the first line of the failure says it (instead of
 * "docker buildx build failed with exit code 1" and the cause twelve lines down).
 */
export interface BuildFailure {
  /** `linux/arm64: Dockerfile:3: RUN make failed: exit code 2` */
  headline: string;
  platform?: string;
  file?: string;
  line?: number;
}

export function describeBuildFailure(output: string): BuildFailure | undefined {
  const lines = output.split('\n').map((l) => l.trimEnd());
  const final = [...lines].reverse().find((l) => /^ERROR: /.test(l));
  // The step that failed the build: the one whose error the final line repeats. Others (a cache
  // that could not be imported) are errors BuildKit went on after.
  const steps = lines.flatMap((l, i) => (/^#\d+ ERROR: /.test(l) ? [i] : []));
  const repeated = steps.find((i) => final?.includes(lines[i].replace(/^#\d+ ERROR: /, '')));
  const errorAt = repeated ?? steps.at(-1) ?? -1;
  if (errorAt < 0 && !final) return undefined;

  let platform: string | undefined;
  let step: string | undefined;
  let cause = final ? stripPrefixes(final.slice('ERROR: '.length)) : '';
  if (errorAt >= 0) {
    const id = /^#(\d+) /.exec(lines[errorAt])![1];
    cause = lines[errorAt].slice(`#${id} ERROR: `.length);
    const vertex = lines.find((l) => l.startsWith(`#${id} [`));
    const m = vertex ? /^#\d+ \[(?:(\S+\/\S+) )?[^\]]*\] (.*)$/.exec(vertex) : null;
    if (m) {
      platform = m[1] && /^[a-z0-9]+\/[a-z0-9]+/.test(m[1]) ? m[1] : undefined;
      step = m[2];
    }
  }
  // The Dockerfile excerpt: `path:line` above a rule of dashes.
  let file: string | undefined;
  let line: number | undefined;
  for (let i = 0; i + 1 < lines.length; i++) {
    const loc = /^(\S+):(\d+)$/.exec(lines[i]);
    if (loc && /^-{8,}$/.test(lines[i + 1])) {
      file = loc[1];
      line = Number(loc[2]);
      break;
    }
  }
  const exit = /did not complete successfully: exit code: (\d+)/.exec(cause);
  const why = exit ? `exit code ${exit[1]}` : cause;
  const where = file && line ? `${file}:${line}: ` : '';
  const what = step ? `${step} failed: ${why}` : why;
  return { headline: `${platform ? `${platform}: ` : ''}${where}${what}`, platform, file, line };
}

/** `failed to build: failed to solve: X` says X. */
function stripPrefixes(text: string): string {
  return text.replace(/^(failed to (build|solve|compute cache key)[^:]*: )+/, '');
}
