import { cacheProblems } from '../../../src/tools/buildx/build.js';

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
          ref: '127.0.0.1:5009/nothing/here:cache',
          error: 'failed to configure registry cache importer: failed to do request: connection reset by peer'
        },
        {
          direction: 'write',
          ref: '',
          error: 'error writing layer blob: dial tcp 127.0.0.1:5009: connect: connection refused'
        }
      ]
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
