import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readNodes } from '../../src/inputs/nodes.js';
import { NodeInputError } from '../../src/plan/node-spec.js';
import { errorOf } from '../support/errors.js';

/* certs/ with ca.pem, cert.pem, key.pem; a directory dir.pem. */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nodes-input-'));
  mkdirSync(path.join(dir, 'certs'));
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(dir, 'certs', f), 'PEM\n');
  mkdirSync(path.join(dir, 'dir.pem'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A remote node `pi` over tcp with these driver-opts, `{dir}` replaced by the temp directory. */
function pi(...opts: string[]): string {
  return [
    '- name: pi',
    '  endpoint: tcp://pi.lan:1234',
    '  platforms: linux/arm64',
    '  driver-opts:',
    ...opts.map((o) => `    - ${o.replaceAll('{dir}', dir)}`)
  ].join('\n');
}

test('existing TLS files pass, and the nodes come back as parsed', () => {
  const nodes = readNodes(pi('cacert={dir}/certs/ca.pem', 'cert={dir}/certs/cert.pem', 'key={dir}/certs/key.pem'));
  expect(nodes.map((n) => [n.name, n.endpoint, n.driverOpts])).toEqual([
    [
      'pi',
      'tcp://pi.lan:1234',
      [`cacert=${dir}/certs/ca.pem`, `cert=${dir}/certs/cert.pem`, `key=${dir}/certs/key.pem`]
    ]
  ]);
});

test.each([
  {
    name: 'a missing CA',
    opts: ['cacert={dir}/certs/nope.pem'],
    value: 'cacert={dir}/certs/nope.pem',
    accepted: 'cacert= a readable file on this machine ({dir}/certs/nope.pem does not exist)'
  },
  {
    name: 'a missing key beside an existing cert',
    opts: ['cacert={dir}/certs/ca.pem', 'cert={dir}/certs/cert.pem', 'key={dir}/certs/gone.pem'],
    value: 'key={dir}/certs/gone.pem',
    accepted: 'key= a readable file on this machine ({dir}/certs/gone.pem does not exist)'
  },
  {
    name: 'a missing key in a comma-separated driver-opt',
    opts: ['"cacert={dir}/certs/ca.pem,cert={dir}/certs/cert.pem,key={dir}/certs/none.pem"'],
    value: 'cacert={dir}/certs/ca.pem,cert={dir}/certs/cert.pem,key={dir}/certs/none.pem',
    accepted: 'key= a readable file on this machine ({dir}/certs/none.pem does not exist)'
  },
  {
    name: 'a directory instead of a file',
    opts: ['cacert={dir}/dir.pem'],
    value: 'cacert={dir}/dir.pem',
    accepted: 'cacert= a readable file on this machine ({dir}/dir.pem is not a file)'
  }
])('$name is refused, naming the node and the file', ({ opts, value, accepted }) => {
  const err = errorOf(NodeInputError, () => readNodes(pi(...opts)));
  expect(err.node).toBe('"pi"');
  expect(err.value).toBe(value.replaceAll('{dir}', dir));
  expect(err.accepted).toBe(accepted.replaceAll('{dir}', dir));
  expect(err.message).toBe(
    `input "nodes", node "pi": ${JSON.stringify(value.replaceAll('{dir}', dir))} is not accepted; expected ${accepted.replaceAll('{dir}', dir)}`
  );
});

test('an unreadable file is refused when this process cannot read it', () => {
  const file = path.join(dir, 'certs', 'locked.pem');
  writeFileSync(file, 'PEM\n');
  chmodSync(file, 0o000);
  // root reads anything: there the check has nothing to refuse.
  if (process.getuid?.() === 0) {
    expect(readNodes(pi(`cacert=${file}`)).length).toBe(1);
  } else {
    expect(errorOf(NodeInputError, () => readNodes(pi(`cacert=${file}`))).accepted).toBe(
      `cacert= a readable file on this machine (${file} is not readable)`
    );
  }
});

test('servername and default-load name no file; other drivers are not checked for files', () => {
  const text = [
    '- name: box',
    '  driver: docker-container',
    '  endpoint: ssh://me@xeon.lan',
    '  platforms: linux/amd64',
    '  driver-opts: [cacert=/nowhere/ca.pem]'
  ].join('\n');
  expect(readNodes(text).map((n) => n.name)).toEqual(['box']);
  expect(readNodes(pi('cacert={dir}/certs/ca.pem', 'servername=pi.lan', 'default-load=true')).length).toBe(1);
});

test('errors from parsing pass through unchanged', () => {
  expect(() => readNodes('linux/arm64=ftp://pi.lan')).toThrow(
    'input "nodes", node #1: "ftp://pi.lan" is not accepted; expected an endpoint starting with one of tcp://, unix://, docker-container://, kube-pod://, npipe://, ssh://, kubernetes://'
  );
});

test('an empty input is no nodes', () => {
  expect(readNodes('')).toEqual([]);
});
