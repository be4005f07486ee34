import { describeBuildFailure } from '../../../src/tools/buildx/errors.js';

// Outputs of real failed builds (buildx 0.36.1, BuildKit 0.32.2, plain progress), trimmed.
const RUN_FAILED = `#7 [linux/arm64 2/3] RUN echo hi
#7 0.253 hi
#7 DONE 0.3s

#9 [linux/amd64 3/3] RUN sh -c "exit 2"
#9 ERROR: process "/bin/sh -c sh -c \\"exit 2\\"" did not complete successfully: exit code: 2

#10 [linux/arm64 3/3] RUN sh -c "exit 2"
#10 CANCELED
------
 > [linux/amd64 3/3] RUN sh -c "exit 2":
------
Dockerfile:4
--------------------
   2 |     FROM $BASE
   3 |     RUN echo hi
   4 | >>> RUN sh -c "exit 2"
   5 |     
--------------------
ERROR: failed to build: failed to solve: process "/bin/sh -c sh -c \\"exit 2\\"" did not complete successfully: exit code: 2`;

const NO_BASE = `#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 78B done
#1 DONE 0.0s
#2 [internal] load metadata for 127.0.0.1:5000/base/nope:1
#2 ERROR: 127.0.0.1:5000/base/nope:1: not found
Dockerfile:1
--------------------
   1 | >>> FROM 127.0.0.1:5000/base/nope:1
   2 |     RUN true
--------------------
ERROR: failed to build: failed to solve: 127.0.0.1:5000/base/nope:1: failed to resolve source metadata for 127.0.0.1:5000/base/nope:1: 127.0.0.1:5000/base/nope:1: not found`;

const PARSE_ERROR = `#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 60B 0.0s done
#1 DONE 0.1s
docker/Dockerfile.arm:2
--------------------
   1 |     FROM scratch
   2 | >>> RUNN true
--------------------
ERROR: failed to build: failed to solve: dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)`;

describe('describeBuildFailure: the first line of a failed build', () => {
  test.each([
    {
      name: 'a RUN step of one platform: platform, location, step and exit code',
      output: RUN_FAILED,
      expected: {
        headline: 'linux/amd64: Dockerfile:4: RUN sh -c "exit 2" failed: exit code 2',
        platform: 'linux/amd64',
        file: 'Dockerfile',
        line: 4
      }
    },
    {
      name: 'a base image that does not exist',
      output: NO_BASE,
      expected: {
        headline:
          'Dockerfile:1: load metadata for 127.0.0.1:5000/base/nope:1 failed: 127.0.0.1:5000/base/nope:1: not found',
        platform: undefined,
        file: 'Dockerfile',
        line: 1
      }
    },
    {
      name: 'a Dockerfile that does not parse, in a subdirectory',
      output: PARSE_ERROR,
      expected: {
        headline:
          'docker/Dockerfile.arm:2: dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)',
        platform: undefined,
        file: 'docker/Dockerfile.arm',
        line: 2
      }
    }
  ])('$name', ({ output, expected }) => {
    expect(describeBuildFailure(output)).toEqual(expected);
  });

  test('output with no error says nothing', () => {
    expect(describeBuildFailure('#1 [internal] load build definition\n#1 DONE 0.0s\n')).toBeUndefined();
  });
});
