import { describe, expect, it } from '@jest/globals';
import { cachedSteps, groupTimes, nodeGroupsCached, summaryPhases, vertexSeconds } from '../../scripts/bench/logs.js';

const lines = (text: string, t = 0) => text.split('\n').map((l, i) => ({ t: t + i * 10, text: l }));

describe('the bench reads what a build printed', () => {
  it('counts cached steps per name: CACHED, or a non-FROM step that only pulled its layers', () => {
    const log = lines(
      [
        '#4 [linux/amd64 1/3] FROM 127.0.0.1:5000/base@sha256:aa',
        `#4 sha256:${'a'.repeat(64)} done`,
        '#5 [linux/amd64 2/3] COPY stable.txt /stable.txt',
        '#5 CACHED',
        '#6 [linux/amd64 3/3] RUN make',
        `#6 extracting sha256:${'b'.repeat(64)}`,
        '#7 [linux/arm64 3/3] RUN make',
        '#7 0.1 compiling'
      ].join('\n')
    );
    expect(cachedSteps(log)).toEqual({ total: 4, cached: 2, marked: 1 });
  });

  it('times log groups by arrival, with the start-up and the tail', () => {
    const got = groupTimes({
      lines: [
        { t: 100, text: '::group::Inputs' },
        { t: 105, text: '::endgroup::' },
        { t: 110, text: '::group::Build linux/amd64' },
        { t: 300, text: '::endgroup::' }
      ],
      ms: 340
    });
    expect(got).toEqual({
      Inputs: 5,
      'Build linux/amd64': 190,
      '(start-up: spawn to the first phase)': 100,
      '(after the last phase, to exit)': 40
    });
  });

  it('reads the job summary’s time table', () => {
    expect(summaryPhases('### Time\n\n| Phase | s |\n|---|---:|\n| QEMU | 0.1 |\n| Build | 2 |\n')).toEqual({
      QEMU: 100,
      Build: 2000
    });
    expect(summaryPhases('no table')).toEqual({});
  });

  it('sums the DONE seconds of the vertices a pattern names, NaN when none finished', () => {
    const log = lines(
      [
        '#9 [linux/arm64 build 4/4] RUN go build -o /out/hello .',
        '#9 12.3 go: downloading nothing',
        '#9 DONE 41.5s',
        '#10 [linux/amd64 build 4/4] RUN go build -o /out/hello .',
        '#10 DONE 3.5s',
        '#11 exporting to image',
        '#11 DONE 0.2s'
      ].join('\n')
    );
    expect(vertexSeconds(log, /\] RUN .*go build /)).toBe(45);
    expect(vertexSeconds(log, /^exporting cache to registry$/)).toBeNaN();
  });

  it('counts each node’s group on its own (vertex numbers start again at 1)', () => {
    const log = lines(
      [
        '::group::Build linux/amd64 on node linux-amd64',
        '#1 [2/3] RUN a',
        '#1 CACHED',
        '#2 [3/3] RUN b',
        '::endgroup::',
        '::group::Build linux/386 on node linux-386',
        '#1 [2/3] RUN a',
        '#2 [3/3] RUN b',
        '#2 CACHED',
        '::endgroup::'
      ].join('\n')
    );
    expect(nodeGroupsCached(log)).toEqual({
      'linux/amd64': { cached: 1, total: 2 },
      'linux/386': { cached: 1, total: 2 }
    });
  });
});
