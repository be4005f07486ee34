import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs } from '../../src/inputs/read.js';
import { nativePlatform } from '../../src/plan/platforms.js';
import type { Inputs } from '../../src/plan/inputs.js';
import { InputError } from '../../src/plan/errors.js';

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'inputs-nodes-'));
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function read(given: Record<string, string | undefined>): Inputs {
  return readInputs((name) => given[name] ?? '', workspace, nativePlatform('x64', 'linux'));
}

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw new Error(`expected an InputError, got ${String(err)}`);
  }
  throw new Error('expected an InputError, nothing was thrown');
}

const IMAGE = { images: 'ghcr.io/octo/app' };
const TWO = 'linux/amd64=tcp://xeon.lan:1234\nlinux/arm64=tcp://pi.lan:1234';

describe('readInputs: nodes, emulate, node-fallback', () => {
  test('nothing given: no nodes, emulate true, node-fallback fail', () => {
    const got = read(IMAGE);
    expect({ nodes: got.nodes, emulate: got.emulate, nodeFallback: got.nodeFallback }).toEqual({
      nodes: [],
      emulate: true,
      nodeFallback: 'fail'
    });
  });

  test('the one-line form, read from the raw text', () => {
    const got = read({ ...IMAGE, nodes: TWO, emulate: 'false', 'node-fallback': 'emulate' });
    expect(got.nodes.map((n) => [n.name, n.driver, n.endpoint, n.platforms.map((p) => p.id)])).toEqual([
      ['linux-amd64', 'remote', 'tcp://xeon.lan:1234', ['linux/amd64']],
      ['linux-arm64', 'remote', 'tcp://pi.lan:1234', ['linux/arm64']]
    ]);
    expect([got.emulate, got.nodeFallback]).toEqual([false, 'emulate']);
  });

  test('the YAML form keeps its lines (a list parser would split it)', () => {
    const yaml = [
      '- name: xeon',
      '  endpoint: tcp://xeon.lan:1234',
      '  platforms: linux/amd64,linux/386',
      '- name: pi',
      '  endpoint: tcp://pi.lan:1234',
      '  platforms: linux/arm64'
    ].join('\n');
    const got = read({ ...IMAGE, nodes: yaml });
    expect(got.nodes.map((n) => [n.name, n.platforms.map((p) => p.id).join(',')])).toEqual([
      ['xeon', 'linux/amd64,linux/386'],
      ['pi', 'linux/arm64']
    ]);
  });

  test('a node error names the node', () => {
    const err = errorOf(() => read({ ...IMAGE, nodes: 'linux/amd64=tcp://a:1\nlinux/amd64=tcp://b:1' }));
    expect(err.message).toBe(
      'input "nodes", node #2: "linux/amd64" is not accepted; expected each platform on one node only; linux/amd64 is already on node #1'
    );
  });

  test.each([
    {
      name: 'builder',
      given: { builder: 'mine' },
      message:
        'input "builder": "mine" is not accepted; expected empty when nodes is set (the builder is made of the nodes; give endpoint, driver-opts and buildkitd-flags per node)'
    },
    {
      name: 'endpoint',
      given: { endpoint: 'tcp://x:1' },
      message:
        'input "endpoint": "tcp://x:1" is not accepted; expected empty when nodes is set (the builder is made of the nodes; give endpoint, driver-opts and buildkitd-flags per node)'
    },
    {
      name: 'driver-opts',
      given: { 'driver-opts': 'network=host' },
      message:
        'input "driver-opts": "network=host" is not accepted; expected empty when nodes is set (the builder is made of the nodes; give endpoint, driver-opts and buildkitd-flags per node)'
    },
    {
      name: 'buildkitd-flags',
      given: { 'buildkitd-flags': '--debug' },
      message:
        'input "buildkitd-flags": "--debug" is not accepted; expected empty when nodes is set (the builder is made of the nodes; give endpoint, driver-opts and buildkitd-flags per node)'
    },
    {
      name: 'driver: docker',
      given: { driver: 'docker' },
      message:
        'input "driver": "docker" is not accepted; expected empty when nodes is set (each node names its driver, or its endpoint implies one)'
    },
    {
      name: 'mode merge',
      given: { mode: 'merge', platforms: 'linux/amd64' },
      message:
        'input "nodes": "linux/amd64=tcp://xeon.lan:1234" is not accepted; expected empty with mode merge (nodes build every platform in one step: mode build)'
    },
    {
      name: 'emulate misspelt',
      given: { emulate: 'yes' },
      message: 'input "emulate": "yes" is not accepted; expected true or false'
    },
    {
      name: 'node-fallback unknown',
      given: { 'node-fallback': 'retry' },
      message: 'input "node-fallback": "retry" is not accepted; expected one of fail, emulate'
    }
  ])('nodes with $name is refused, naming both', ({ given, message }) => {
    expect(errorOf(() => read({ ...IMAGE, nodes: TWO, ...given })).message).toBe(message);
  });
});
