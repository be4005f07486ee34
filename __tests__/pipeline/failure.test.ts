import { BuildFailed, explainFailure, failure, Failure } from '../../src/pipeline/failure.js';
import { InputError } from '../../src/plan/errors.js';
import { describeBuildFailure } from '../../src/tools/buildx/errors.js';
import { ExecError } from '../../src/tools/exec.js';
import { RegistryRefused } from '../../src/tools/registry/client.js';
import { RetriesExhausted, TransientError } from '../../src/tools/retry.js';

// One message a user can act on, for each way a run ends badly.

const exec = (stderr: string, command = 'docker buildx build') =>
  new ExecError(command, { code: 1, stdout: '', stderr });

const FAILED_RUN = [
  '#8 [linux/arm64 2/2] RUN make',
  '#8 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2',
  '------',
  'Dockerfile:3',
  '--------------------',
  '   3 | >>> RUN make',
  '--------------------',
  'ERROR: failed to build: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2'
].join('\n');

const BASE_401 = [
  '#2 [internal] load metadata for registry.example.com/base:1',
  '#2 ERROR: unexpected status from GET request to https://registry.example.com/v2/base/manifests/1: 401 Unauthorized',
  'ERROR: failed to build: failed to solve: registry.example.com/base:1: failed to resolve source metadata for registry.example.com/base:1: unexpected status from GET request to https://registry.example.com/v2/base/manifests/1: 401 Unauthorized'
].join('\n');

function buildFailed(output: string): BuildFailed {
  return new BuildFailed(exec(output), describeBuildFailure(output)!);
}

test.each([
  {
    name: 'a push buildx was refused with 401: the registry from the request, what to do, the line that says it',
    error: exec(
      'ERROR: failed to push 127.0.0.1:5001/acme/app: unexpected status from HEAD request to http://127.0.0.1:5001/v2/acme/app/blobs/sha256:abc: 401 Unauthorized\n'
    ),
    images: ['127.0.0.1:5001/acme/app'],
    expected:
      '127.0.0.1:5001 refused the credentials (401 Unauthorized). Log in to 127.0.0.1:5001 before this step (docker/login-action on GitHub; docker login or a DOCKER_CONFIG holding credentials elsewhere).\n' +
      'ERROR: failed to push 127.0.0.1:5001/acme/app: unexpected status from HEAD request to http://127.0.0.1:5001/v2/acme/app/blobs/sha256:abc: 401 Unauthorized'
  },
  {
    name: 'our own request refused with 401',
    error: new RegistryRefused('PUT http://127.0.0.1:5001/v2/acme/app/manifests/1 answered 401 Unauthorized'),
    images: ['127.0.0.1:5001/acme/app'],
    expected:
      '127.0.0.1:5001 refused the credentials (401 Unauthorized). Log in to 127.0.0.1:5001 before this step (docker/login-action on GitHub; docker login or a DOCKER_CONFIG holding credentials elsewhere).\n' +
      'PUT http://127.0.0.1:5001/v2/acme/app/manifests/1 answered 401 Unauthorized'
  },
  {
    name: 'a build whose base image needs credentials: the base image’s registry is named, not ours',
    error: buildFailed(BASE_401),
    images: ['ghcr.io/octo/app'],
    expected:
      'registry.example.com refused the credentials (401 Unauthorized). Log in to registry.example.com before this step (docker/login-action on GitHub; docker login or a DOCKER_CONFIG holding credentials elsewhere).\n' +
      '#2 ERROR: unexpected status from GET request to https://registry.example.com/v2/base/manifests/1: 401 Unauthorized'
  },
  {
    name: 'denied (403) with no URL: the first image’s registry and repository',
    error: exec('ERROR: failed to push ghcr.io/octo/app: denied: permission_denied: write_package\n'),
    images: ['ghcr.io/octo/app', 'docker.io/octo/app'],
    expected:
      'ghcr.io denied access (403): the credentials were accepted but may not push to ghcr.io/octo/app (on GHCR, give the workflow packages: write).\n' +
      'ERROR: failed to push ghcr.io/octo/app: denied: permission_denied: write_package'
  },
  {
    name: 'retries exhausted: what, against which registry, how often, the last cause',
    error: new RetriesExhausted(
      'tagging 127.0.0.1:5000/acme/app:1',
      3,
      'PUT http://127.0.0.1:5000/v2/acme/app/manifests/1 answered 503 Service Unavailable',
      new TransientError('PUT http://127.0.0.1:5000/v2/acme/app/manifests/1 answered 503 Service Unavailable')
    ),
    images: ['127.0.0.1:5000/acme/app'],
    expected:
      'tagging 127.0.0.1:5000/acme/app:1 against 127.0.0.1:5000 failed 3 times; last error: PUT http://127.0.0.1:5000/v2/acme/app/manifests/1 answered 503 Service Unavailable. No tag was moved unless it points at a complete index.\n' +
      'PUT http://127.0.0.1:5000/v2/acme/app/manifests/1 answered 503 Service Unavailable'
  },
  {
    name: 'retries exhausted on a dropped connection with no URL and no image: "the registry"',
    error: new RetriesExhausted('reading the index', 2, 'connection dropped', 'socket hang up'),
    images: [],
    expected:
      'reading the index against the registry failed 2 times; last error: connection dropped. No tag was moved unless it points at a complete index.\nsocket hang up'
  },
  {
    name: 'a failed build: platform, Dockerfile line, step and exit code first',
    error: buildFailed(FAILED_RUN),
    images: ['127.0.0.1:5000/acme/app'],
    expected: `linux/arm64: Dockerfile:3: RUN make failed: exit code 2\ndocker buildx build failed with exit code 1:\n${FAILED_RUN}`
  },
  {
    name: 'bad input: its own message, already phrased',
    error: new InputError('platforms', 'linux/amd65', 'os/arch[/variant] platforms, e.g. linux/amd64'),
    images: [],
    expected: 'input "platforms": "linux/amd65" is not accepted; expected os/arch[/variant] platforms, e.g. linux/amd64'
  },
  {
    name: 'anything else: its message',
    error: new Error('buildx wrote no readable metadata file at /tmp/m.json: ENOENT'),
    images: ['127.0.0.1:5000/acme/app'],
    expected: 'buildx wrote no readable metadata file at /tmp/m.json: ENOENT'
  },
  {
    name: 'a thrown string',
    error: 'interrupted',
    images: [],
    expected: 'interrupted'
  }
])('explainFailure: $name', ({ error, images, expected }) => {
  expect(explainFailure(error, images)).toBe(expected);
});

test.each([
  { name: 'a failed build: where in the Dockerfile', error: buildFailed(FAILED_RUN), file: 'Dockerfile', line: 3 },
  { name: 'any other error: nowhere', error: new Error('x'), file: undefined, line: undefined }
])('failure: $name', ({ error, file, line }) => {
  const failed = failure(error, []);

  expect(failed).toBeInstanceOf(Failure);
  expect([failed.name, failed.message, failed.file, failed.line]).toEqual([
    'Failure',
    explainFailure(error, []),
    file,
    line
  ]);
});

test('BuildFailed keeps the command’s error and what the output said', () => {
  const error = buildFailed(FAILED_RUN);

  expect([error.name, error.exec.message.split('\n')[0], error.described]).toEqual([
    'BuildFailed',
    'docker buildx build failed with exit code 1:',
    {
      headline: 'linux/arm64: Dockerfile:3: RUN make failed: exit code 2',
      platform: 'linux/arm64',
      file: 'Dockerfile',
      line: 3
    }
  ]);
});

test('failure: the Dockerfile buildx names by its base name is the workspace file the platform builds from', () => {
  const failed = failure(buildFailed(FAILED_RUN), [], {
    dockerfile: (p) => (p === 'linux/arm64' ? 'svc/api/Dockerfile' : undefined)
  });

  expect([failed.file, failed.line, failed.message.split('\n')[0]]).toEqual([
    'svc/api/Dockerfile',
    3,
    'linux/arm64: svc/api/Dockerfile:3: RUN make failed: exit code 2'
  ]);
});

test('failure: a file other than the platform’s Dockerfile keeps the name buildx printed', () => {
  const failed = failure(buildFailed(FAILED_RUN), [], { dockerfile: () => 'svc/api/api.Dockerfile' });

  expect([failed.file, failed.message.split('\n')[0]]).toEqual([
    'Dockerfile',
    'linux/arm64: Dockerfile:3: RUN make failed: exit code 2'
  ]);
});

test('explainFailure: with no credentials for the registry at all, a 401 says there are none (not that they were refused)', () => {
  const text = explainFailure(exec(BASE_401), ['127.0.0.1:5000/acme/app'], (host) => host !== 'registry.example.com');
  expect(text.split('\n')[0]).toBe(
    'no credentials for registry.example.com: it asks for them (401 Unauthorized). Log in to registry.example.com before this step (docker/login-action on GitHub; docker login or a DOCKER_CONFIG holding credentials elsewhere).'
  );
  // Credentials configured, or no way to tell: they were refused.
  expect(explainFailure(exec(BASE_401), [], () => true)).toMatch(/^registry.example.com refused the credentials/);
  expect(explainFailure(exec(BASE_401), [])).toMatch(/^registry.example.com refused the credentials/);
});

test("explainFailure: the cache importer's 401 is not the line that explains a failed push", () => {
  const output = [
    '#3 importing cache manifest from 127.0.0.1:5001/acme/app:buildcache',
    '#3 ERROR: failed to configure registry cache importer: failed to authorize: failed to fetch anonymous token: unexpected status from GET request to http://127.0.0.1:5001/token: 401 Unauthorized',
    '#9 exporting to image',
    '#9 ERROR: failed to push 127.0.0.1:5001/acme/app: unexpected status from HEAD request to http://127.0.0.1:5001/v2/acme/app/blobs/sha256:ab: 401 Unauthorized',
    'ERROR: failed to build: failed to solve: failed to push 127.0.0.1:5001/acme/app: 401 Unauthorized'
  ].join('\n');
  expect(explainFailure(exec(output), ['127.0.0.1:5001/acme/app'], () => true).split('\n')[1]).toBe(
    '#9 ERROR: failed to push 127.0.0.1:5001/acme/app: unexpected status from HEAD request to http://127.0.0.1:5001/v2/acme/app/blobs/sha256:ab: 401 Unauthorized'
  );
});

test('explainFailure: a builder that would not start names its endpoint, not the registry of the images', () => {
  const error = new RetriesExhausted(
    'starting builder b',
    4,
    'request timed out: context deadline exceeded',
    'x',
    'endpoint tcp://127.0.0.1:5000'
  );
  expect(explainFailure(error, ['127.0.0.1:5001/acme/app']).split('\n')[0]).toBe(
    'starting builder b against endpoint tcp://127.0.0.1:5000 failed 4 times; last error: request timed out: context deadline exceeded. No tag was moved unless it points at a complete index.'
  );
});

test('explainFailure: a git context git could not read without credentials names github-token, not a registry login', () => {
  const output = [
    "#1 0.031 fatal: could not read Username for 'https://github.com': terminal prompts disabled",
    'ERROR: failed to build: failed to fetch remote https://github.com/acme/app.git: git stderr:',
    "fatal: could not read Username for 'https://github.com': terminal prompts disabled"
  ].join('\n');
  const message = explainFailure(exec(output), ['ghcr.io/acme/app']);
  expect(message.split('\n')[0]).toBe(
    "the git context https://github.com/acme/app.git was not readable without credentials: a private repository needs github-token (by default the job's token, which needs contents: read), or check the repository out (actions/checkout) and build the workspace."
  );
  expect(message).not.toContain('Log in to');
});
