import { cacheCause, cacheProblems, cacheReport } from '../../../src/tools/buildx/cache-report.js';

describe('cacheProblems', () => {
  test.each([
    {
      name: 'an unreachable cache registry, read and write',
      output: [
        '#6 importing cache manifest from 127.0.0.1:5009/nothing/here:cache',
        '#6 ERROR: failed to configure registry cache importer: failed to do request: connection reset by peer',
        '#7 [linux/amd64 1/3] FROM 127.0.0.1:5000/base/busybox:latest',
        '#7 CACHED',
        '#10 exporting cache to registry',
        '#10 preparing build cache for export 0.1s done',
        '#10 ERROR: error writing layer blob: dial tcp 127.0.0.1:5009: connect: connection refused',
        '#11 resolving provenance for metadata file'
      ].join('\n'),
      expected: [
        {
          direction: 'read',
          backend: 'registry',
          ref: '127.0.0.1:5009/nothing/here:cache',
          error: 'failed to configure registry cache importer: failed to do request: connection reset by peer'
        },
        {
          direction: 'write',
          backend: 'registry',
          ref: '',
          error: 'error writing layer blob: dial tcp 127.0.0.1:5009: connect: connection refused'
        }
      ]
    },
    {
      name: 'the GitHub Actions cache, read and write',
      output: [
        '#3 importing cache manifest from gha:4438133287645232215',
        '#3 ERROR: unknown error 500 Internal Server Error: boom',
        '#12 exporting to GitHub Actions Cache',
        '#12 preparing build cache for export 0.2s done',
        '#12 ERROR: error writing layer blob: 403 Forbidden'
      ].join('\n'),
      expected: [
        { direction: 'read', backend: 'gha', ref: '', error: 'unknown error 500 Internal Server Error: boom' },
        { direction: 'write', backend: 'gha', ref: '', error: 'error writing layer blob: 403 Forbidden' }
      ]
    },
    {
      name: 'another exporter (a local directory)',
      output: ['#9 exporting cache to client directory', '#9 ERROR: no space left on device'].join('\n'),
      expected: [{ direction: 'write', backend: 'other', ref: '', error: 'no space left on device' }]
    },
    {
      name: 'a healthy cache',
      output: [
        '#6 importing cache manifest from r/app:buildcache',
        '#6 DONE 0.1s',
        '#10 exporting cache to registry',
        '#10 DONE 0.4s'
      ].join('\n'),
      expected: []
    },
    {
      name: 'a failing RUN step is not a cache problem',
      output: [
        '#6 importing cache manifest from r/app:buildcache',
        '#6 DONE 0.1s',
        '#8 [linux/arm64 2/3] RUN exit 1',
        '#8 ERROR: process "/bin/sh -c exit 1" did not complete successfully'
      ].join('\n'),
      expected: []
    }
  ])('$name', ({ output, expected }) => {
    expect(cacheProblems(output)).toEqual(expected);
  });
});

describe('cacheCause', () => {
  test.each([
    {
      name: 'a 429 whose Retry-After outlasts the client’s patience',
      error: 'requested delay 3600.00s exceeds maximum timeout 9m59.9s: 429 Too Many Requests',
      cause: 'rate-limited (429, Retry-After 3600 s)'
    },
    {
      name: 'the Actions cache service’s Twirp 429 (resource_exhausted), as go-actions-cache words it',
      error: 'requested delay 3600.00s exceeds maximum timeout 9m59.9s: resource_exhausted',
      cause: 'rate-limited (429, Retry-After 3600 s)'
    },
    {
      name: 'a registry 429 without the delay',
      error: 'unexpected status: 429 Too Many Requests',
      cause: 'rate-limited (429)'
    },
    {
      name: 'a registry refusing the push (a fork token on GHCR)',
      error: 'failed to push ghcr.io/acme/app:buildcache: denied: permission_denied: write_package',
      cause: 'refused (403: no write access)'
    },
    {
      name: 'the Actions cache refusing a read-only token',
      error: 'error writing layer blob: 403 Forbidden',
      cause: 'refused (403: no write access)'
    },
    {
      name: 'a registry asking for credentials',
      error: 'failed to push 127.0.0.1:5001/e2e/x:cache: failed to authorize: no basic auth credentials',
      cause: 'refused (401: no credentials for it)'
    },
    { name: 'a full cache', error: 'unknown error 507: cache storage quota exceeded', cause: 'over quota' },
    {
      name: 'no entry reserved',
      error: 'failed to reserve cache',
      cause: 'the service would not reserve the entry (another job writes it)'
    },
    { name: 'anything else', error: 'dial tcp 127.0.0.1:5009: connect: connection refused', cause: undefined }
  ])('$name', ({ error, cause }) => {
    expect(cacheCause(error)).toBe(cause);
  });
});

describe('cacheReport', () => {
  test.each([
    {
      name: 'a missing registry cache is an info line naming the platforms',
      output: '#4 importing cache manifest from r/app:buildcache\n#4 ERROR: r/app:buildcache: not found\n',
      platforms: ['linux/amd64', 'linux/arm64'],
      refs: ['r/app:buildcache'],
      expected: { infos: ['linux/amd64, linux/arm64: no cache yet at r/app:buildcache'], warnings: [] }
    },
    {
      name: 'a refused registry export: the platform, the ref, the cause, the error',
      output:
        '#12 exporting cache to registry\n#12 ERROR: failed to push r/app:buildcache-linux-arm64: denied: requested access to the resource is denied\n',
      platforms: ['linux/arm64'],
      refs: ['r/app:buildcache-linux-arm64'],
      expected: {
        infos: [],
        warnings: [
          'linux/arm64: the registry cache r/app:buildcache-linux-arm64 could not be written (refused (403: no write access)); the build went on without it: failed to push r/app:buildcache-linux-arm64: denied: requested access to the resource is denied'
        ]
      }
    },
    {
      name: 'a rate-limited Actions cache export',
      output:
        '#12 exporting to GitHub Actions Cache\n#12 ERROR: requested delay 120.00s exceeds maximum timeout 1m0s: 429 Too Many Requests\n',
      platforms: ['linux/amd64'],
      refs: [],
      expected: {
        infos: [],
        warnings: [
          'linux/amd64: the GitHub Actions cache could not be written (rate-limited (429, Retry-After 120 s)); the build went on without it: requested delay 120.00s exceeds maximum timeout 1m0s: 429 Too Many Requests'
        ]
      }
    },
    {
      name: 'an error with no known cause is passed on as it is',
      output: '#6 importing cache manifest from r/app:buildcache\n#6 ERROR: connection reset by peer\n',
      platforms: ['linux/amd64'],
      refs: ['r/app:buildcache'],
      expected: {
        infos: [],
        warnings: [
          'linux/amd64: the registry cache r/app:buildcache could not be read; the build went on without it: connection reset by peer'
        ]
      }
    }
  ])('$name', ({ output, platforms, refs, expected }) => {
    expect(cacheReport(output, { platforms, refs })).toEqual(expected);
  });
});
