import { BuildProgress } from '../../../src/tools/buildx/progress.js';

/** Feeds the lines in order; returns whether the timer runs after each. */
function timing(lines: string[]): boolean[] {
  const progress = new BuildProgress();
  return lines.map((line) => progress.watch(line));
}

describe('BuildProgress: the stall timer runs only while nothing but transfers are in progress', () => {
  test.each([
    {
      name: 'a silent RUN stops the timer until it is DONE',
      lines: ['#5 [linux/arm64 2/3] RUN go build ./...', '#5 DONE 612.4s'],
      expected: [false, true]
    },
    {
      name: 'a single-platform step (no platform in the header)',
      lines: ['#6 [2/3] RUN make', '#6 1.203 cc -o app main.c', '#6 DONE 3.1s'],
      expected: [false, false, true]
    },
    {
      name: 'a named stage',
      lines: ['#7 [linux/amd64 builder 2/5] RUN pip install -q -r requirements.txt', '#7 CACHED'],
      expected: [false, true]
    },
    {
      name: 'a COPY works on the builder too',
      lines: ['#8 [3/4] COPY . /src', '#8 DONE 0.1s'],
      expected: [false, true]
    },
    {
      name: 'a FROM pulls: a transfer',
      lines: [
        '#4 [linux/amd64 1/3] FROM docker.io/library/busybox:latest@sha256:0123',
        '#4 resolve docker.io/library/busybox:latest@sha256:0123 0.0s done',
        '#4 DONE 0.4s'
      ],
      expected: [true, true, true]
    },
    {
      name: 'transfer vertices keep the timer running',
      lines: [
        '#1 [internal] load build definition from Dockerfile',
        '#1 transferring dockerfile: 210B done',
        '#2 [internal] load metadata for 127.0.0.1:5000/base/busybox:latest',
        '#3 importing cache manifest from 127.0.0.1:5000/e2e/app:buildcache',
        '#10 exporting to image',
        '#10 pushing layers',
        '#11 exporting cache to registry',
        '#11 preparing build cache for export'
      ],
      expected: [true, true, true, true, true, true, true, true]
    },
    {
      name: 'two RUNs at once (two platforms): the timer waits for both',
      lines: [
        '#5 [linux/amd64 2/3] RUN sleep 20',
        '#6 [linux/arm64 2/3] RUN sleep 20',
        '#5 DONE 20.1s',
        '#6 DONE 21.3s',
        '#9 exporting to image'
      ],
      expected: [false, false, false, true, true]
    },
    {
      name: 'a failed or cancelled step ends too',
      lines: [
        '#5 [linux/amd64 2/3] RUN make',
        '#6 [linux/arm64 2/3] RUN make',
        '#5 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2',
        '#6 CANCELED'
      ],
      expected: [false, false, false, true]
    },
    {
      name: 'a header repeated while output interleaves keeps the step running',
      lines: [
        '#5 [linux/amd64 2/3] RUN make',
        '#5 0.5 step one',
        '#6 ...',
        '#5 [linux/amd64 2/3] RUN make',
        '#5 DONE 9.0s'
      ],
      expected: [false, false, false, false, true]
    },
    {
      name: 'a cache hit whose layers are fetched later under the same vertex is a transfer',
      lines: [
        '#7 [linux/arm64 2/3] RUN uname -m > /first.txt',
        '#7 CACHED',
        '#7 [linux/arm64 2/3] RUN uname -m > /first.txt',
        '#7 sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1 32B / 32B 0.0s done',
        '#7 DONE 0.1s'
      ],
      expected: [false, true, true, true, true]
    },
    {
      name: 'output that merely looks like an outcome does not end a step',
      lines: ['#5 [2/3] RUN ./test.sh', '#5 3.210 DONE with unit tests', '#5 3.300 #6 DONE'],
      expected: [false, false, false]
    }
  ])('$name', ({ lines, expected }) => {
    expect(timing(lines)).toEqual(expected);
  });
});
