import { ExecError } from '../../src/tools/exec.js';
import { recordingLog } from '../support/log.js';
import { classify, PermanentError, RetriesExhausted, TransientError, withRetry } from '../../src/tools/retry.js';

const DIGEST = 'sha256:3f1a9c2b7d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd';

/** A failed `docker buildx …` as exec.ts reports it. */
function failed(stderr: string, stdout = '', command = 'docker buildx build'): ExecError {
  return new ExecError(command, { code: 1, stdout, stderr });
}

describe('classify', () => {
  test.each([
    {
      name: '503 Service Unavailable on push',
      error: failed(
        `#12 exporting to image\nERROR: failed to solve: failed to push ghcr.io/octo/app: unexpected status from PUT request to https://ghcr.io/v2/octo/app/manifests/${DIGEST}: 503 Service Unavailable`
      ),
      cause: `registry server error (5xx): ERROR: failed to solve: failed to push ghcr.io/octo/app: unexpected status from PUT request to https://ghcr.io/v2/octo/app/manifests/${DIGEST}: 503 Service Unavailable`,
      retryAfterMs: undefined
    },
    {
      name: '502 Bad Gateway from imagetools',
      error: failed(
        'ERROR: failed commit on ref "index-sha256:ab": unexpected status: 502 Bad Gateway',
        '',
        'docker buildx imagetools create'
      ),
      cause:
        'registry server error (5xx): ERROR: failed commit on ref "index-sha256:ab": unexpected status: 502 Bad Gateway',
      retryAfterMs: undefined
    },
    {
      name: '429 Too Many Requests',
      error: failed(
        'ERROR: failed to solve: docker.io/library/alpine:3.20: failed to resolve source metadata: unexpected status from HEAD request: 429 Too Many Requests'
      ),
      cause:
        'registry throttled the request (429): ERROR: failed to solve: docker.io/library/alpine:3.20: failed to resolve source metadata: unexpected status from HEAD request: 429 Too Many Requests',
      retryAfterMs: undefined
    },
    {
      name: '429 with Retry-After',
      error: failed('toomanyrequests: You have reached your pull rate limit.\nRetry-After: 30'),
      cause: 'registry throttled the request (429): toomanyrequests: You have reached your pull rate limit.',
      retryAfterMs: 30000
    },
    {
      name: 'connection reset by peer',
      error: failed(
        `ERROR: failed to solve: failed to do request: Head "https://ghcr.io/v2/octo/app/blobs/${DIGEST}": read tcp 10.1.0.4:51234->140.82.112.34:443: read: connection reset by peer`
      ),
      cause: `connection dropped: ERROR: failed to solve: failed to do request: Head "https://ghcr.io/v2/octo/app/blobs/${DIGEST}": read tcp 10.1.0.4:51234->140.82.112.34:443: read: connection reset by peer`,
      retryAfterMs: undefined
    },
    {
      name: 'unexpected EOF',
      error: failed(
        'ERROR: failed to solve: failed to copy: httpReadSeeker: failed open: failed to do request: unexpected EOF'
      ),
      cause:
        'connection dropped: ERROR: failed to solve: failed to copy: httpReadSeeker: failed open: failed to do request: unexpected EOF',
      retryAfterMs: undefined
    },
    {
      name: 'a bare EOF after the request',
      error: failed('ERROR: failed to solve: Head "https://ghcr.io/v2/octo/app/manifests/latest": EOF'),
      cause: 'connection dropped: ERROR: failed to solve: Head "https://ghcr.io/v2/octo/app/manifests/latest": EOF',
      retryAfterMs: undefined
    },
    {
      name: 'i/o timeout',
      error: failed('ERROR: failed to solve: DeadlineExceeded: dial tcp 140.82.112.34:443: i/o timeout'),
      cause: 'request timed out: ERROR: failed to solve: DeadlineExceeded: dial tcp 140.82.112.34:443: i/o timeout',
      retryAfterMs: undefined
    },
    {
      name: 'TLS handshake timeout',
      error: failed('ERROR: Get "https://registry-1.docker.io/v2/": net/http: TLS handshake timeout'),
      cause: 'request timed out: ERROR: Get "https://registry-1.docker.io/v2/": net/http: TLS handshake timeout',
      retryAfterMs: undefined
    },
    {
      name: 'no such host',
      error: failed('ERROR: dial tcp: lookup ghcr.io on 127.0.0.53:53: no such host'),
      cause: 'name resolution failed: ERROR: dial tcp: lookup ghcr.io on 127.0.0.53:53: no such host',
      retryAfterMs: undefined
    },
    {
      name: 'our own TransientError: its message, first line',
      error: new TransientError(
        'GET http://127.0.0.1:5000/v2/app/manifests/latest: connection dropped (ECONNRESET)\nmore'
      ),
      cause: 'GET http://127.0.0.1:5000/v2/app/manifests/latest: connection dropped (ECONNRESET)',
      retryAfterMs: undefined
    },
    {
      name: 'our own TransientError with the Retry-After the registry gave',
      error: new TransientError('PUT http://127.0.0.1:5000/v2/app/manifests/1 answered 429 Too Many Requests', 7000),
      cause: 'PUT http://127.0.0.1:5000/v2/app/manifests/1 answered 429 Too Many Requests',
      retryAfterMs: 7000
    },
    {
      // The type decides, not the words: a 401 named in a TransientError's text does not make it permanent.
      name: 'a TransientError whose text reads like a refusal',
      error: new TransientError('token service answered 503; earlier: 401 unauthorized: denied: '),
      cause: 'token service answered 503; earlier: 401 unauthorized: denied:',
      retryAfterMs: undefined
    },
    {
      name: 'a stalled process',
      error: new ExecError('docker buildx build', { code: -1, stdout: '', stderr: '#9 pushing layers' }, true),
      cause: 'no progress (stalled)',
      retryAfterMs: undefined
    }
  ])('transient: $name', ({ error, cause, retryAfterMs }) => {
    expect(classify(error)).toEqual({ transient: true, cause, retryAfterMs });
  });

  test.each([
    {
      name: '401 Unauthorized',
      error: failed(
        'ERROR: failed to solve: failed to fetch oauth token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aocto%2Fapp%3Apull%2Cpush&service=ghcr.io: 401 Unauthorized'
      ),
      cause:
        'ERROR: failed to solve: failed to fetch oauth token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aocto%2Fapp%3Apull%2Cpush&service=ghcr.io: 401 Unauthorized'
    },
    {
      name: '403 denied',
      error: failed(
        'ERROR: failed to solve: failed to push ghcr.io/octo/app:latest: denied: permission_denied: write_package'
      ),
      cause: 'ERROR: failed to solve: failed to push ghcr.io/octo/app:latest: denied: permission_denied: write_package'
    },
    {
      name: '403 Forbidden',
      error: failed(
        'ERROR: unexpected status from POST request to https://ghcr.io/v2/octo/app/blobs/uploads/: 403 Forbidden'
      ),
      cause: 'ERROR: unexpected status from POST request to https://ghcr.io/v2/octo/app/blobs/uploads/: 403 Forbidden'
    },
    {
      name: 'a RUN step that exits 42',
      error: failed(
        '#8 [2/3] RUN exit 42\n#8 ERROR: process "/bin/sh -c exit 42" did not complete successfully: exit code: 42\nERROR: failed to solve: process "/bin/sh -c exit 42" did not complete successfully: exit code: 42'
      ),
      cause: '#8 ERROR: process "/bin/sh -c exit 42" did not complete successfully: exit code: 42'
    },
    {
      name: 'a RUN step whose own download got a 503',
      error: failed(
        '#8 curl: (22) The requested URL returned error: 503\nERROR: failed to solve: process "/bin/sh -c curl -fsSL https://example.com/x" did not complete successfully: exit code: 22'
      ),
      cause:
        'ERROR: failed to solve: process "/bin/sh -c curl -fsSL https://example.com/x" did not complete successfully: exit code: 22'
    },
    {
      name: 'invalid reference format',
      error: failed(
        'ERROR: invalid tag "ghcr.io/Octo/app:latest": invalid reference format: repository name must be lowercase'
      ),
      cause: 'ERROR: invalid tag "ghcr.io/Octo/app:latest": invalid reference format: repository name must be lowercase'
    },
    {
      name: 'manifest unknown',
      error: failed(
        'ERROR: ghcr.io/octo/app:leg-860c190-7001-linux-arm64: MANIFEST_UNKNOWN: manifest unknown',
        '',
        'docker buildx imagetools inspect'
      ),
      cause: 'ERROR: ghcr.io/octo/app:leg-860c190-7001-linux-arm64: MANIFEST_UNKNOWN: manifest unknown'
    },
    {
      name: 'a Dockerfile parse error',
      error: failed('ERROR: failed to solve: dockerfile parse error on line 3: unknown instruction: RUNN'),
      cause: 'ERROR: failed to solve: dockerfile parse error on line 3: unknown instruction: RUNN'
    },
    {
      name: 'an unknown error: its last line',
      error: failed(
        '#6 [3/3] COPY missing.txt /\nERROR: failed to solve: failed to compute cache key: "/missing.txt": not found\n'
      ),
      cause: 'ERROR: failed to solve: failed to compute cache key: "/missing.txt": not found'
    },
    {
      name: 'a plain Error with no known text',
      error: new Error('metadata file is empty'),
      cause: 'Error: metadata file is empty'
    },
    {
      // Only foreign output (a failed command) is read for words; our own errors say it by their type.
      name: 'a plain Error that names a dropped connection',
      error: new Error('connect ECONNREFUSED 127.0.0.1:5000'),
      cause: 'Error: connect ECONNREFUSED 127.0.0.1:5000'
    },
    {
      name: 'our own PermanentError whose text reads like a 503',
      error: new PermanentError('PUT http://127.0.0.1:5000/v2/app/manifests/1 stored another digest (503 bytes)'),
      cause: 'PUT http://127.0.0.1:5000/v2/app/manifests/1 stored another digest (503 bytes)'
    }
  ])('permanent: $name', ({ error, cause }) => {
    expect(classify(error)).toEqual({ transient: false, cause });
  });

  // Build progress before buildx's ERROR line must not look like a fault: `RUN <<EOF` (a heredoc)
  // would match \bEOF\b and a size such as "502.3MB" \b50[0234]\b, and a permanent failure would be
  // retried `retries` times.
  test.each([
    {
      name: 'a heredoc in the log',
      error: failed(
        '#5 [2/3] RUN <<EOF\n#5 DONE 0.1s\n#6 [3/3] COPY missing.txt /\nERROR: failed to solve: failed to compute cache key: "/missing.txt": not found'
      )
    },
    {
      name: 'a 502.3MB layer in the progress',
      error: failed(
        `#9 ${DIGEST} 502.3MB / 502.3MB 12.1s done\nERROR: failed to solve: write /var/lib/buildkit/x: no space left on device`
      )
    }
  ])('a permanent failure with $name in the progress stays permanent', ({ error }) => {
    expect(classify(error).transient).toBe(false);
  });
});

const E503 = 'ERROR: failed to push: 503 Service Unavailable';
const E401 = 'ERROR: failed to authorize: 401 Unauthorized';

/** fn fails with these errors in turn, then succeeds with 'pushed'. */
function failing(errors: Error[]) {
  const attempts: number[] = [];
  const fn = async (attempt: number): Promise<string> => {
    attempts.push(attempt);
    const error = errors[attempts.length - 1];
    if (error) throw error;
    return 'pushed';
  };
  return { fn, attempts };
}

describe('withRetry', () => {
  test.each([
    { name: 'success first time', errors: [], retries: 3, attempts: [0], sleeps: [] },
    {
      name: 'one transient failure, then success',
      errors: [failed(E503)],
      retries: 3,
      attempts: [0, 1],
      sleeps: [500]
    },
    {
      name: 'three transient failures with three retries, then success',
      errors: [failed(E503), failed(E503), failed(E503)],
      retries: 3,
      attempts: [0, 1, 2, 3],
      sleeps: [500, 1000, 2000]
    }
  ])('$name', async ({ errors, retries, attempts, sleeps }) => {
    const { fn, attempts: seen } = failing(errors);
    const slept: number[] = [];
    const log = recordingLog();
    await expect(
      withRetry(fn, { retries, what: 'push', log, sleep: async (ms) => void slept.push(ms), random: () => 0 })
    ).resolves.toBe('pushed');
    expect(seen).toEqual(attempts);
    expect(slept).toEqual(sleeps);
  });

  test('retries a transient failure up to N times, then throws RetriesExhausted holding the last error', async () => {
    const errors = [
      failed(`${E503}\nfirst`),
      failed(`${E503}\nsecond`),
      failed(`${E503}\nthird`),
      failed(`${E503}\nfourth`)
    ];
    const { fn, attempts } = failing(errors);
    const slept: number[] = [];
    const log = recordingLog();
    let thrown: unknown;
    await withRetry(fn, {
      retries: 2,
      what: 'push',
      log,
      sleep: async (ms) => void slept.push(ms),
      random: () => 0
    }).catch((e: unknown) => (thrown = e));
    expect(thrown).toBeInstanceOf(RetriesExhausted);
    const exhausted = thrown as RetriesExhausted;
    expect(exhausted.last).toBe(errors[2]);
    expect([exhausted.what, exhausted.attempts, exhausted.lastCause]).toEqual([
      'push',
      3,
      'registry server error (5xx): ERROR: failed to push: 503 Service Unavailable'
    ]);
    expect(exhausted.message).toBe(
      'push failed 3 times; last error: registry server error (5xx): ERROR: failed to push: 503 Service Unavailable\n' +
        'docker buildx build failed with exit code 1:\nERROR: failed to push: 503 Service Unavailable\nthird'
    );
    expect(attempts).toEqual([0, 1, 2]);
    expect(slept).toEqual([500, 1000]);
  });

  test.each([
    { name: 'a permanent failure', error: failed(E401) },
    {
      name: 'a build step that failed',
      error: failed('ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2')
    },
    { name: 'an unknown error', error: new Error('metadata file is empty') }
  ])('does not retry $name', async ({ error }) => {
    const { fn, attempts } = failing([error]);
    const slept: number[] = [];
    const log = recordingLog();
    await expect(
      withRetry(fn, { retries: 3, what: 'push', log, sleep: async (ms) => void slept.push(ms) })
    ).rejects.toBe(error);
    expect(attempts).toEqual([0]);
    expect(slept).toEqual([]);
    expect(log.warnings).toEqual([]);
  });

  test('retries 0: a transient failure ends it at once', async () => {
    const error = failed(E503);
    const { fn, attempts } = failing([error]);
    const log = recordingLog();
    let thrown: unknown;
    await withRetry(fn, { retries: 0, what: 'push', log, sleep: async () => undefined }).catch(
      (e: unknown) => (thrown = e)
    );
    expect((thrown as RetriesExhausted).last).toBe(error);
    expect((thrown as RetriesExhausted).message.split('\n')[0]).toBe(
      'push failed 1 time; last error: registry server error (5xx): ERROR: failed to push: 503 Service Unavailable'
    );
    expect(attempts).toEqual([0]);
    expect(log.warnings).toEqual([]);
  });

  test('an exhausted inner retry is not retried again by an outer one', async () => {
    const log = recordingLog();
    const slept: number[] = [];
    const options = { what: 'inspect', log, sleep: async (ms: number) => void slept.push(ms), random: () => 0 };
    const { fn, attempts } = failing([
      failed(E503),
      failed(E503),
      failed(E503),
      failed(E503),
      failed(E503),
      failed(E503)
    ]);
    const outer = withRetry(() => withRetry(fn, { ...options, retries: 1 }), { ...options, retries: 2 });
    await expect(outer).rejects.toBeInstanceOf(RetriesExhausted);
    expect(attempts).toEqual([0, 1]);
    expect(slept).toEqual([500]);
    expect(classify(new RetriesExhausted('inspect', 2, 'registry server error (5xx): 503', failed(E503)))).toEqual({
      transient: false,
      cause: 'registry server error (5xx): 503'
    });
  });

  test('honours Retry-After when it is longer than the back-off', async () => {
    const { fn } = failing([
      failed('429 Too Many Requests\nRetry-After: 30'),
      failed('429 Too Many Requests\nretry-after: 1')
    ]);
    const slept: number[] = [];
    const log = recordingLog();
    await withRetry(fn, {
      retries: 3,
      what: 'pull',
      log,
      sleep: async (ms) => void slept.push(ms),
      random: () => 1,
      baseDelayMs: 1000
    });
    // 30 s asked for beats the 1 s back-off; 1 s asked for loses to the 2 s back-off.
    expect(slept).toEqual([30000, 2000]);
  });

  test("honours a TransientError's retryAfterMs, capped at maxRetryAfterMs", async () => {
    const { fn, attempts } = failing([
      new TransientError('GET …/manifests/x answered 429 Too Many Requests', 5000),
      new TransientError('GET …/manifests/x answered 503 Service Unavailable', 3_600_000),
      new TransientError('GET …/manifests/x: connection dropped (ECONNRESET)')
    ]);
    const slept: number[] = [];
    const log = recordingLog();
    await expect(
      withRetry(fn, {
        retries: 3,
        what: 'reading x',
        log,
        sleep: async (ms) => void slept.push(ms),
        random: () => 0,
        maxRetryAfterMs: 20_000
      })
    ).resolves.toBe('pushed');
    expect(attempts).toEqual([0, 1, 2, 3]);
    // 5 s asked beats the 0.5 s back-off; an hour asked is cut to 20 s; none asked: the 2 s back-off.
    expect(slept).toEqual([5000, 20000, 2000]);
    expect(log.warnings).toEqual([
      'reading x: attempt 1 of 4 failed (GET …/manifests/x answered 429 Too Many Requests); retrying in 5.0 s',
      'reading x: attempt 2 of 4 failed (GET …/manifests/x answered 503 Service Unavailable); retrying in 20.0 s',
      'reading x: attempt 3 of 4 failed (GET …/manifests/x: connection dropped (ECONNRESET)); retrying in 2.0 s'
    ]);
  });

  test('a PermanentError is not retried', async () => {
    const error = new PermanentError('PUT …/manifests/1 answered 400 Bad Request');
    const { fn, attempts } = failing([error]);
    const log = recordingLog();
    await expect(withRetry(fn, { retries: 3, what: 'tagging', log, sleep: async () => undefined })).rejects.toBe(error);
    expect(attempts).toEqual([0]);
  });

  test.each([
    { name: 'no jitter at the low end', random: 0, base: 1000, max: 30000, sleeps: [500, 1000, 2000, 4000, 8000] },
    {
      name: 'full back-off at the high end',
      random: 1,
      base: 1000,
      max: 30000,
      sleeps: [1000, 2000, 4000, 8000, 16000]
    },
    { name: 'half way', random: 0.5, base: 200, max: 30000, sleeps: [150, 300, 600, 1200, 2400] },
    { name: 'capped at maxDelayMs', random: 1, base: 1000, max: 3000, sleeps: [1000, 2000, 3000, 3000, 3000] }
  ])('back-off grows: $name', async ({ random, base, max, sleeps }) => {
    const { fn } = failing([failed(E503), failed(E503), failed(E503), failed(E503), failed(E503)]);
    const slept: number[] = [];
    const log = recordingLog();
    await withRetry(fn, {
      retries: 5,
      what: 'push',
      log,
      sleep: async (ms) => void slept.push(ms),
      random: () => random,
      baseDelayMs: base,
      maxDelayMs: max
    });
    expect(slept).toEqual(sleeps);
  });

  test('logs each retry with its cause', async () => {
    const { fn } = failing([
      failed(E503),
      failed('ERROR: read tcp 10.1.0.4:51234->140.82.112.34:443: read: connection reset by peer'),
      new ExecError('docker buildx build', { code: -1, stdout: '', stderr: '' }, true)
    ]);
    const log = recordingLog();
    await withRetry(fn, {
      retries: 3,
      what: 'build linux/amd64,linux/arm64',
      log,
      sleep: async () => undefined,
      random: () => 0
    });
    expect(log.warnings).toEqual([
      'build linux/amd64,linux/arm64: attempt 1 of 4 failed (registry server error (5xx): ERROR: failed to push: 503 Service Unavailable); retrying in 0.5 s',
      'build linux/amd64,linux/arm64: attempt 2 of 4 failed (connection dropped: ERROR: read tcp 10.1.0.4:51234->140.82.112.34:443: read: connection reset by peer); retrying in 1.0 s',
      'build linux/amd64,linux/arm64: attempt 3 of 4 failed (no progress (stalled)); retrying in 2.0 s'
    ]);
  });
});

describe('a registry race and a refused connection', () => {
  // What distribution answers when the image export and the cache export upload one blob at once.
  const RACE_DIGEST = failed(
    '#14 exporting cache to registry\n#14 ERROR: failed commit on ref "layer-sha256:ab": unexpected status from PUT request to http://127.0.0.1:5000/v2/e2e/app/blobs/uploads/x?digest=sha256:ab: 400 Bad Request: provided digest did not match uploaded content\nERROR: failed to build: failed to solve: failed commit on ref "layer-sha256:ab": provided digest did not match uploaded content'
  );
  const RACE_UNKNOWN = failed(
    'ERROR: failed to build: failed to solve: failed to push 127.0.0.1:5000/e2e/app: failed commit on ref "manifest-sha256:cd": unexpected status from PUT request to http://127.0.0.1:5000/v2/e2e/app/manifests/sha256:cd: 400 Bad Request: blob unknown to registry'
  );

  test.each([
    ['digest did not match', RACE_DIGEST],
    ['blob unknown', RACE_UNKNOWN]
  ])('%s: transient, named as two uploads colliding', (_, error) => {
    const verdict = classify(error);
    expect(verdict).toMatchObject({ transient: true, race: true });
    expect(verdict.cause).toMatch(/^two uploads of one blob collided: /);
  });

  test('a race is tried once more even with retries: 0 (nothing is wrong with the registry), then gives up', async () => {
    const { fn, attempts } = failing([RACE_DIGEST]);
    const log = recordingLog();
    await expect(
      withRetry(fn, { retries: 0, what: 'build and push', log, sleep: async () => undefined })
    ).resolves.toBe('pushed');
    expect(attempts).toEqual([0, 1]);
    expect(log.warnings[0]).toMatch(/^build and push: attempt 1 of 2 failed \(two uploads of one blob collided: /);

    const again = failing([RACE_DIGEST, RACE_UNKNOWN]);
    await expect(
      withRetry(again.fn, { retries: 0, what: 'build and push', log, sleep: async () => undefined })
    ).rejects.toBeInstanceOf(RetriesExhausted);
    expect(again.attempts).toEqual([0, 1]);
  });

  test('another transient fault with retries: 0 is not tried again', async () => {
    const { fn, attempts } = failing([failed('ERROR: failed to push: 503 Service Unavailable')]);
    await expect(
      withRetry(fn, { retries: 0, what: 'push', log: recordingLog(), sleep: async () => undefined })
    ).rejects.toBeInstanceOf(RetriesExhausted);
    expect(attempts).toEqual([0]);
  });

  test('connection refused is called refused, not dropped', () => {
    expect(
      classify(
        failed(
          'ERROR: failed to solve: failed to do request: Head "http://127.0.0.1:5009/v2/app/manifests/1": dial tcp 127.0.0.1:5009: connect: connection refused'
        )
      ).cause
    ).toMatch(/^connection refused: /);
  });

  test("the cache importer's error is not the cause when the build failed on its own push", () => {
    const verdict = classify(
      failed(
        [
          '#4 importing cache manifest from 127.0.0.1:5009/app:buildcache',
          '#4 ERROR: failed to configure registry cache importer: failed to do request: Head "http://127.0.0.1:5009/v2/app/manifests/buildcache": dial tcp 127.0.0.1:5009: connect: connection refused',
          '#9 exporting to image',
          '#9 ERROR: failed to push 127.0.0.1:5009/app: failed to do request: Head "http://127.0.0.1:5009/v2/app/blobs/sha256:ab": dial tcp 127.0.0.1:5009: connect: connection refused',
          'ERROR: failed to build: failed to solve: failed to push 127.0.0.1:5009/app: connect: connection refused'
        ].join('\n')
      )
    );
    expect(verdict.cause).toBe(
      'connection refused: #9 ERROR: failed to push 127.0.0.1:5009/app: failed to do request: Head "http://127.0.0.1:5009/v2/app/blobs/sha256:ab": dial tcp 127.0.0.1:5009: connect: connection refused'
    );
  });
});
