import { describe, expect, test } from '@jest/globals';
import {
  emulationReport,
  parseDockerfile,
  parseStatusStream,
  parseStepName,
  type Vertex
} from '../../src/plan/emulation.js';
import {
  crossCompileHints,
  emulationLines,
  emulationMarkdown,
  slowestEmulated
} from '../../src/plan/emulation-text.js';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace('Z', '123456Z');

/** A status line as `buildx history logs --progress rawjson` prints it. */
function status(vertexes: Array<Record<string, unknown>>): string {
  return JSON.stringify({ vertexes, statuses: [], logs: [] });
}

describe('parseStatusStream', () => {
  test('merges the updates of each vertex: name, start, end, cached, error', () => {
    const text = [
      status([{ digest: 'sha256:a', name: '[linux/arm64 2/3] RUN make', started: at(1) }]),
      'not json at all',
      status([
        { digest: 'sha256:b', name: '[linux/amd64 2/3] RUN make', started: at(1), completed: at(1), cached: true }
      ]),
      status([{ digest: 'sha256:a', name: '[linux/arm64 2/3] RUN make', started: at(1), completed: at(4.5) }]),
      status([
        {
          digest: 'sha256:c',
          name: '[linux/arm64 3/3] RUN false',
          started: at(5),
          completed: at(6),
          error: 'exit code: 1'
        }
      ])
    ].join('\n');
    expect(parseStatusStream(text)).toEqual([
      {
        digest: 'sha256:a',
        name: '[linux/arm64 2/3] RUN make',
        started: T0 + 1000,
        completed: T0 + 4500,
        cached: false
      },
      {
        digest: 'sha256:b',
        name: '[linux/amd64 2/3] RUN make',
        started: T0 + 1000,
        completed: T0 + 1000,
        cached: true
      },
      {
        digest: 'sha256:c',
        name: '[linux/arm64 3/3] RUN false',
        started: T0 + 5000,
        completed: T0 + 6000,
        cached: false,
        error: 'exit code: 1'
      }
    ]);
  });

  test("Go's zero time is no time", () => {
    const text = status([{ digest: 'sha256:z', name: 'x', started: '0001-01-01T00:00:00Z' }]);
    expect(parseStatusStream(text)).toEqual([{ digest: 'sha256:z', name: 'x', cached: false }]);
  });
});

describe('parseStepName', () => {
  test.each([
    {
      name: 'multi-platform, one stage',
      given: '[linux/arm64 2/3] RUN make',
      want: { platform: 'linux/arm64', target: 'linux/arm64', index: 2, total: 3, command: 'RUN make' }
    },
    {
      name: 'cross-compiling stage: ran as amd64 for arm64',
      given: '[linux/amd64->arm64 build 3/4] RUN go build -o /out/app .',
      want: {
        platform: 'linux/amd64',
        target: 'linux/arm64',
        stage: 'build',
        index: 3,
        total: 4,
        command: 'RUN go build -o /out/app .'
      }
    },
    {
      name: 'a variant after the arrow',
      given: '[linux/amd64->arm/v7 stage-0 2/2] RUN make',
      want: {
        platform: 'linux/amd64',
        target: 'linux/arm/v7',
        stage: 'stage-0',
        index: 2,
        total: 2,
        command: 'RUN make'
      }
    },
    {
      name: 'another OS after the arrow',
      given: '[linux/amd64->windows/amd64 build 1/2] FROM golang',
      want: {
        platform: 'linux/amd64',
        target: 'windows/amd64',
        stage: 'build',
        index: 1,
        total: 2,
        command: 'FROM golang'
      }
    },
    {
      name: 'one platform, one stage: no prefix',
      given: '[2/3] RUN make',
      want: { index: 2, total: 3, command: 'RUN make' }
    },
    {
      name: 'ten steps or more: the index is padded',
      given: '[linux/arm64 builder  7/12] COPY . .',
      want: {
        platform: 'linux/arm64',
        target: 'linux/arm64',
        stage: 'builder',
        index: 7,
        total: 12,
        command: 'COPY . .'
      }
    }
  ])('$name', ({ given, want }) => {
    expect(parseStepName(given)).toEqual(want);
  });

  test.each(['[internal] load build definition from Dockerfile', 'exporting to image', '[auth] e2e token'])(
    'not a Dockerfile step: %s',
    (given) => {
      expect(parseStepName(given)).toBeUndefined();
    }
  );
});

const CROSS = `# syntax=docker/dockerfile:1
ARG BASE=golang
FROM --platform=$BUILDPLATFORM \${BASE} AS build
WORKDIR /src
COPY . .
RUN GOARCH=$TARGETARCH \\
    go build -o /out/app .

FROM build AS test
RUN go test ./...

FROM scratch
COPY --from=build /out/app /app
`;

describe('parseDockerfile', () => {
  test('stages, their platform (inherited from a stage they build on) and the steps BuildKit counts', () => {
    expect(parseDockerfile(CROSS)).toEqual([
      {
        name: 'build',
        fromLine: 3,
        platformFlag: '$BUILDPLATFORM',
        steps: [
          { line: 3, keyword: 'FROM' },
          { line: 4, keyword: 'WORKDIR' },
          { line: 5, keyword: 'COPY' },
          { line: 6, keyword: 'RUN' }
        ]
      },
      { name: 'test', fromLine: 9, platformFlag: '$BUILDPLATFORM', steps: [{ line: 10, keyword: 'RUN' }] },
      { name: 'stage-2', fromLine: 12, platformFlag: '', steps: [{ line: 13, keyword: 'COPY' }] }
    ]);
  });

  test('heredoc bodies and comments inside continuations are not instructions', () => {
    const text = [
      'FROM busybox',
      'RUN <<EOF',
      'RUN not an instruction',
      'EOF',
      'RUN a \\',
      '# comment',
      '  b',
      'COPY x y'
    ].join('\n');
    expect(parseDockerfile(text)[0].steps).toEqual([
      { line: 1, keyword: 'FROM' },
      { line: 2, keyword: 'RUN' },
      { line: 5, keyword: 'RUN' },
      { line: 8, keyword: 'COPY' }
    ]);
  });
});

const EMULATED = `ARG BASE=127.0.0.1:5000/base/busybox:latest
FROM \${BASE}
RUN busy-work 3
COPY app.txt /app.txt
`;

function v(digest: string, name: string, start: number, end: number, cached = false): Vertex {
  return { digest, name, started: T0 + start * 1000, completed: T0 + end * 1000, cached };
}

/** A two-platform build on an amd64 machine: arm64's RUN under QEMU takes 8 s of the 10 s. */
const twoPlatforms = {
  vertices: [
    v('sha256:0', '[internal] load build definition from Dockerfile', 0, 0.1),
    v('sha256:1', '[linux/amd64 1/3] FROM 127.0.0.1:5000/base/busybox:latest@sha256:aa', 0.2, 0.5),
    v('sha256:2', '[linux/arm64 1/3] FROM 127.0.0.1:5000/base/busybox:latest@sha256:bb', 0.2, 0.6),
    v('sha256:3', '[linux/amd64 2/3] RUN busy-work 3', 0.5, 1.5),
    v('sha256:4', '[linux/arm64 2/3] RUN busy-work 3', 0.6, 8.6),
    v('sha256:5', '[linux/amd64 3/3] COPY app.txt /app.txt', 1.5, 1.6, true),
    v('sha256:6', '[linux/arm64 3/3] COPY app.txt /app.txt', 8.6, 8.7),
    v('sha256:7', 'exporting to image', 8.7, 10)
  ],
  dockerfile: EMULATED,
  platforms: ['linux/amd64', 'linux/arm64'],
  native: ['linux/amd64']
};

describe('emulationReport', () => {
  test('times every Dockerfile step from the build start; the RUN for arm64 ran emulated', () => {
    const report = emulationReport([twoPlatforms]);
    expect(report.wallMs).toBe(10_000);
    expect(report.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(report.steps.map((s) => [s.platform, s.line, s.command, s.start, s.end, s.cached, s.emulated])).toEqual([
      ['linux/amd64', 2, 'FROM 127.0.0.1:5000/base/busybox:latest@sha256:aa', 200, 500, false, false],
      ['linux/amd64', 3, 'RUN busy-work 3', 500, 1500, false, false],
      ['linux/amd64', 4, 'COPY app.txt /app.txt', 1500, 1600, true, false],
      ['linux/arm64', 2, 'FROM 127.0.0.1:5000/base/busybox:latest@sha256:bb', 200, 600, false, false],
      ['linux/arm64', 3, 'RUN busy-work 3', 600, 8600, false, true],
      ['linux/arm64', 4, 'COPY app.txt /app.txt', 8600, 8700, false, false]
    ]);
    const [slow] = slowestEmulated(report);
    expect(slow).toMatchObject({ platform: 'linux/arm64', line: 3, fromLine: 2, crossCompilable: true });
    expect(crossCompileHints(report)).toEqual([slow]);
  });

  test('a stage on $BUILDPLATFORM cross-compiles: its RUN ran as amd64, natively, and no hint', () => {
    const report = emulationReport([
      {
        vertices: [
          v('sha256:1', '[linux/amd64->arm64 build 4/4] RUN GOARCH=arm64 go build -o /out/app .', 0, 6),
          v('sha256:2', '[linux/amd64 build 4/4] RUN GOARCH=amd64 go build -o /out/app .', 0, 6),
          v('sha256:3', '[linux/arm64 stage-2 1/1] COPY --from=build /out/app /app', 6, 6.5)
        ],
        dockerfile: CROSS,
        platforms: ['linux/amd64', 'linux/arm64'],
        native: ['linux/amd64']
      }
    ]);
    expect(report.steps.map((s) => [s.platform, s.ranAs, s.line, s.emulated])).toEqual([
      ['linux/amd64', 'linux/amd64', 6, false],
      ['linux/arm64', 'linux/amd64', 6, false],
      ['linux/arm64', 'linux/arm64', 13, false]
    ]);
    expect(slowestEmulated(report)).toEqual([]);
    expect(crossCompileHints(report)).toEqual([]);
  });

  test('one build per platform (nodes): the node of arm64 runs it natively, a fallback under QEMU does not', () => {
    const one = (platform: string, native: string[]) => ({
      vertices: [v(`sha256:${platform}`, '[2/3] RUN busy-work 3', 1, 4)],
      dockerfile: EMULATED,
      platforms: [platform],
      native
    });
    const onNodes = emulationReport([one('linux/amd64', ['linux/amd64']), one('linux/arm64', ['linux/arm64'])]);
    expect(onNodes.steps.map((s) => [s.platform, s.line, s.emulated])).toEqual([
      ['linux/amd64', 3, false],
      ['linux/arm64', 3, false]
    ]);
    const fellBack = emulationReport([one('linux/arm64', ['linux/amd64'])]);
    expect(fellBack.steps.map((s) => [s.platform, s.ranAs, s.emulated, s.crossCompilable])).toEqual([
      ['linux/arm64', 'linux/arm64', true, true]
    ]);
  });

  test('a cached RUN is not emulated work; a short one is in the table but earns no hint', () => {
    const report = emulationReport([
      {
        ...twoPlatforms,
        vertices: [
          v('sha256:1', '[linux/arm64 2/3] RUN busy-work 3', 0, 0, true),
          v('sha256:2', '[linux/arm64 3/3] COPY app.txt /app.txt', 0, 0.2),
          v('sha256:3', '[linux/arm64 2/3] RUN busy-work 3 ', 0.2, 0.9),
          v('sha256:4', 'exporting to image', 0.9, 20)
        ]
      }
    ]);
    expect(report.steps.filter((s) => s.emulated).map((s) => s.end - s.start)).toEqual([700]);
    expect(crossCompileHints(report)).toEqual([]);
  });

  test('without the Dockerfile: no line, no hint, the table still names the step', () => {
    const report = emulationReport([{ ...twoPlatforms, dockerfile: undefined }]);
    expect(slowestEmulated(report).map((s) => [s.line, s.command, s.emulated, s.crossCompilable])).toEqual([
      [undefined, 'RUN busy-work 3', true, false]
    ]);
    expect(crossCompileHints(report)).toEqual([]);
    expect(emulationLines(report)).toEqual([
      'build steps: 6 on 2 platform(s), 10.0 s wall; 1 RUN step(s) under emulation, 8.0 s in all',
      'slowest emulated steps:',
      '  Platform     Dockerfile line  Seconds  Share  Step',
      '  linux/arm64  Dockerfile           8.0   80 %  RUN busy-work 3'
    ]);
  });
});

describe('rendering', () => {
  const report = emulationReport([twoPlatforms]);

  test('the log and the command line: totals, the table, the hint', () => {
    expect(emulationLines(report)).toEqual([
      'build steps: 6 on 2 platform(s), 10.0 s wall; 1 RUN step(s) under emulation, 8.0 s in all',
      'slowest emulated steps:',
      '  Platform     Dockerfile line  Seconds  Share  Step',
      '  linux/arm64  Dockerfile:3         8.0   80 %  RUN busy-work 3',
      'hint: Dockerfile:3 `RUN busy-work 3` ran under QEMU for linux/arm64: 8.0 s, 80 % of the wall time. ' +
        'Its stage (FROM at Dockerfile:2) has no `--platform=$BUILDPLATFORM`: run the compiler natively there and ' +
        'cross-compile for `$TARGETOS`/`$TARGETARCH` (README: "Cross-compile instead of emulating")'
    ]);
  });

  test('the job summary: a gantt chart with a section per platform, the table, the hint with its link', () => {
    const md = emulationMarkdown(report, 'https://example.test/README.md#cross-compile-instead-of-emulating').join(
      '\n'
    );
    expect(md).toContain(
      [
        '```mermaid',
        'gantt',
        '  dateFormat x',
        '  axisFormat %M:%S',
        '  section linux/amd64',
        '  L2 FROM 127.0.0.1 5000/base/busybox latest :200, 500',
        '  L3 RUN busy-work 3 :500, 1500',
        '  L4 COPY app.txt /app.txt :done, 1500, 1600',
        '  section linux/arm64',
        '  L2 FROM 127.0.0.1 5000/base/busybox latest :200, 600',
        '  L3 RUN busy-work 3 :crit, 600, 8600',
        '  L4 COPY app.txt /app.txt :8600, 8700',
        '```'
      ].join('\n')
    );
    expect(md).toContain('| `linux/arm64` | Dockerfile:3 | `RUN busy-work 3` | 8.0 | 80 % |');
    expect(md).toContain(
      '> **Hint:** Dockerfile:3 `RUN busy-work 3` ran under QEMU for linux/arm64: 8.0 s, 80 % of the wall time. ' +
        'Its stage (FROM at Dockerfile:2) has no `--platform=$BUILDPLATFORM`: run the compiler natively there and ' +
        'cross-compile for `$TARGETOS`/`$TARGETARCH`. See [Cross-compile instead of emulating](https://example.test/README.md#cross-compile-instead-of-emulating).'
    );
  });

  test('native only: the chart, a line saying so, no table and no hint', () => {
    const native = emulationReport([{ ...twoPlatforms, native: ['linux/amd64', 'linux/arm64'] }]);
    const md = emulationMarkdown(native).join('\n');
    expect(md).toContain('  section linux/arm64');
    expect(md).toContain('No RUN step ran under emulation (10.0 s wall).');
    expect(md).not.toContain('Hint');
    expect(md).not.toContain('| Platform |');
    expect(emulationLines(native)).toEqual([
      'build steps: 6 on 2 platform(s), 10.0 s wall; no RUN step ran under emulation'
    ]);
  });

  test('a bar keeps only characters Mermaid reads as text', () => {
    const odd = emulationReport([
      { ...twoPlatforms, vertices: [v('sha256:1', '[linux/arm64 2/3] RUN echo "a:b" > /x; # <y> && z', 0, 2)] }
    ]);
    expect(emulationMarkdown(odd)).toContain('  L3 RUN echo a b /x y z :crit, 0, 2000');
  });

  test('no report, or no step: no section', () => {
    expect(emulationMarkdown(undefined)).toEqual([]);
    expect(emulationMarkdown(emulationReport([{ ...twoPlatforms, vertices: [] }]))).toEqual([]);
  });
});
