/**
 * What a `buildx build --progress plain` is doing, from its lines, for the stall timer: a stall
 * is no progress, not silence. BuildKit prints nothing while a RUN step works quietly (a compile,
 * `pip -q`, a link under QEMU), so the timer must not run then; it runs while nothing but
 * transfers are in progress (pulls, cache import and export, pushes), where silence does mean a
 * connection that hangs.
 *
 * The plain format: `#N [stage 2/5] RUN …` starts a Dockerfile step (headers repeat when the
 * output of several steps interleaves), `#N exporting to image` and the like start other
 * vertices, `#N DONE 0.3s`, `#N CACHED`, `#N ERROR: …` and `#N CANCELED` end one, and
 * `#N 1.234 text` is a step's output.
 */

const STEP = /^#(\d+) \[[^\]]*?\d+\/\d+\] (\S+)/;
const END = /^#(\d+) (DONE\b|CACHED$|ERROR\b|CANCELED$)/;

export class BuildProgress {
  /** Vertices started and not yet ended that do work of their own (a RUN, a COPY). */
  private readonly working = new Set<string>();
  private readonly ended = new Set<string>();

  /** Takes one line of plain progress; returns whether the stall timer runs now. */
  readonly watch = (text: string): boolean => {
    const line = text.trim();
    const end = END.exec(line);
    if (end) {
      this.working.delete(end[1]);
      this.ended.add(end[1]);
      return this.timing;
    }
    const step = STEP.exec(line);
    // A FROM step pulls the base image: a transfer. Every other step works on the builder. Other
    // vertices (exporting, pushing, importing cache, load metadata) are transfers too. A header
    // repeated for a step that ended (a cache hit whose layers are fetched later) is a transfer.
    if (step && step[2] !== 'FROM' && !this.ended.has(step[1])) this.working.add(step[1]);
    return this.timing;
  };

  /** True while nothing but transfers (or nothing at all) are in progress. */
  get timing(): boolean {
    return this.working.size === 0;
  }
}
