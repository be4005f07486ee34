import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../src/plan/errors.js';
import { assignPlatforms, buildxNodeName, createNodesArgv } from '../../src/plan/nodes.js';
import { NodeInputError, parseNodes, type NodeSpec } from '../../src/plan/node-spec.js';
import { driverOptFields } from '../../src/plan/driver-opts.js';
import { parsePlatforms } from '../../src/plan/platforms.js';

/** The parts of a spec worth comparing, platforms by id. */
function summary(node: NodeSpec) {
  return {
    name: node.name,
    nameGiven: node.nameGiven,
    driver: node.driver,
    endpoint: node.endpoint,
    platforms: node.platforms.map((p) => p.id),
    driverOpts: node.driverOpts,
    buildkitdFlags: node.buildkitdFlags
  };
}

describe('parseNodes: one line per node', () => {
  test.each([
    {
      name: 'a tcp endpoint is a remote BuildKit',
      text: 'linux/arm64=tcp://pi.lan:1234',
      nodes: [
        {
          name: 'linux-arm64',
          nameGiven: false,
          driver: 'remote',
          endpoint: 'tcp://pi.lan:1234',
          platforms: ['linux/arm64'],
          driverOpts: [],
          buildkitdFlags: ''
        }
      ]
    },
    {
      name: 'two nodes, several platforms on one, comments and blank lines skipped',
      text: '# the fleet\nlinux/amd64,linux/386=unix:///run/a.sock\n\n  linux/arm64 , linux/arm/v7 = unix:///run/b.sock  \n',
      nodes: [
        {
          name: 'linux-amd64',
          nameGiven: false,
          driver: 'remote',
          endpoint: 'unix:///run/a.sock',
          platforms: ['linux/amd64', 'linux/386'],
          driverOpts: [],
          buildkitdFlags: ''
        },
        {
          name: 'linux-arm64',
          nameGiven: false,
          driver: 'remote',
          endpoint: 'unix:///run/b.sock',
          platforms: ['linux/arm64', 'linux/arm/v7'],
          driverOpts: [],
          buildkitdFlags: ''
        }
      ]
    },
    {
      name: 'ssh is a Docker host for the docker-container driver',
      text: 'linux/amd64=ssh://me@xeon.lan',
      nodes: [
        {
          name: 'linux-amd64',
          nameGiven: false,
          driver: 'docker-container',
          endpoint: 'ssh://me@xeon.lan',
          platforms: ['linux/amd64'],
          driverOpts: [],
          buildkitdFlags: ''
        }
      ]
    },
    {
      name: 'kubernetes:// takes no endpoint and pins the pod by architecture',
      text: 'linux/arm64=kubernetes://',
      nodes: [
        {
          name: 'linux-arm64',
          nameGiven: false,
          driver: 'kubernetes',
          endpoint: '',
          platforms: ['linux/arm64'],
          driverOpts: ['nodeselector=kubernetes.io/arch=arm64'],
          buildkitdFlags: ''
        }
      ]
    },
    {
      name: 'kubernetes://NAMESPACE sets the namespace',
      text: 'linux/amd64=kubernetes://buildkit',
      nodes: [
        {
          name: 'linux-amd64',
          nameGiven: false,
          driver: 'kubernetes',
          endpoint: '',
          platforms: ['linux/amd64'],
          driverOpts: ['namespace=buildkit', 'nodeselector=kubernetes.io/arch=amd64'],
          buildkitdFlags: ''
        }
      ]
    },
    {
      name: 'platform spellings are normalised',
      text: 'aarch64=docker-container://buildkitd',
      nodes: [
        {
          name: 'linux-arm64',
          nameGiven: false,
          driver: 'remote',
          endpoint: 'docker-container://buildkitd',
          platforms: ['linux/arm64'],
          driverOpts: [],
          buildkitdFlags: ''
        }
      ]
    },
    { name: 'empty text is no nodes', text: '  \n# nothing\n', nodes: [] }
  ])('$name', ({ text, nodes }) => {
    expect(parseNodes(text).map(summary)).toEqual(nodes);
  });
});

describe('parseNodes: the YAML list of setup-buildx-action’s append', () => {
  test.each([
    {
      name: 'remote over tcp with mutual TLS',
      text: [
        '- name: pi',
        '  endpoint: tcp://pi.lan:1234',
        '  platforms: linux/arm64,linux/arm/v7',
        '  driver-opts:',
        '    - cacert=/certs/ca.pem',
        '    - cert=/certs/cert.pem',
        '    - key=/certs/key.pem',
        '    - servername=pi.lan'
      ].join('\n'),
      nodes: [
        {
          name: 'pi',
          nameGiven: true,
          driver: 'remote',
          endpoint: 'tcp://pi.lan:1234',
          platforms: ['linux/arm64', 'linux/arm/v7'],
          driverOpts: ['cacert=/certs/ca.pem', 'cert=/certs/cert.pem', 'key=/certs/key.pem', 'servername=pi.lan'],
          buildkitdFlags: ''
        }
      ]
    },
    {
      name: 'docker-container on the local Docker host and on one over ssh, with flags',
      text: [
        '- name: laptop',
        '  driver: docker-container',
        '  platforms: [linux/amd64]',
        '- name: server',
        '  driver: docker-container',
        '  endpoint: ssh://me@xeon.lan',
        '  platforms: linux/arm64',
        '  driver-opts: network=host',
        '  buildkitd-flags: --debug'
      ].join('\n'),
      nodes: [
        {
          name: 'laptop',
          nameGiven: true,
          driver: 'docker-container',
          endpoint: '',
          platforms: ['linux/amd64'],
          driverOpts: [],
          buildkitdFlags: ''
        },
        {
          name: 'server',
          nameGiven: true,
          driver: 'docker-container',
          endpoint: 'ssh://me@xeon.lan',
          platforms: ['linux/arm64'],
          driverOpts: ['network=host'],
          buildkitdFlags: '--debug'
        }
      ]
    },
    {
      name: 'docker-container on a Docker host over tcp',
      text: '- driver: docker-container\n  endpoint: tcp://xeon.lan:2375\n  platforms: linux/amd64',
      nodes: [
        {
          name: 'linux-amd64',
          nameGiven: false,
          driver: 'docker-container',
          endpoint: 'tcp://xeon.lan:2375',
          platforms: ['linux/amd64'],
          driverOpts: [],
          buildkitdFlags: ''
        }
      ]
    },
    {
      name: 'docker-container on a docker context, by name',
      text: '- name: xeon\n  driver: docker-container\n  endpoint: xeon-ctx\n  platforms: linux/amd64',
      nodes: [
        {
          name: 'xeon',
          nameGiven: true,
          driver: 'docker-container',
          endpoint: 'xeon-ctx',
          platforms: ['linux/amd64'],
          driverOpts: [],
          buildkitdFlags: ''
        }
      ]
    },
    {
      name: 'kubernetes with its own nodeselector and namespace',
      text: [
        '- name: arm',
        '  driver: kubernetes',
        '  platforms: linux/arm64',
        '  driver-opts:',
        '    - namespace=ci',
        '    - nodeselector=pool=graviton'
      ].join('\n'),
      nodes: [
        {
          name: 'arm',
          nameGiven: true,
          driver: 'kubernetes',
          endpoint: '',
          platforms: ['linux/arm64'],
          driverOpts: ['namespace=ci', 'nodeselector=pool=graviton'],
          buildkitdFlags: ''
        }
      ]
    }
  ])('$name', ({ text, nodes }) => {
    expect(parseNodes(text).map(summary)).toEqual(nodes);
  });
});

describe('parseNodes refuses bad specs, naming the node', () => {
  test.each([
    {
      name: 'a platform claimed twice',
      text: 'linux/amd64=unix:///a.sock\nlinux/arm64,linux/amd64=unix:///b.sock',
      message:
        'input "nodes", node #2: "linux/amd64" is not accepted; expected each platform on one node only; linux/amd64 is already on node #1'
    },
    {
      name: 'the same platform under two spellings',
      text: '- name: a\n  endpoint: unix:///a.sock\n  platforms: linux/arm64\n- name: b\n  endpoint: unix:///b.sock\n  platforms: aarch64',
      message:
        'input "nodes", node "b": "linux/arm64" is not accepted; expected each platform on one node only; linux/arm64 is already on node "a"'
    },
    {
      name: 'an endpoint of an unknown scheme',
      text: 'linux/arm64=ftp://pi.lan:1234',
      message:
        'input "nodes", node #1: "ftp://pi.lan:1234" is not accepted; expected an endpoint starting with one of tcp://, unix://, docker-container://, kube-pod://, npipe://, ssh://, kubernetes://'
    },
    {
      name: 'a scheme the named driver does not take',
      text: '- name: box\n  driver: docker-container\n  endpoint: kube-pod://buildkitd-0\n  platforms: linux/amd64',
      message:
        'input "nodes", node "box": "kube-pod://buildkitd-0" is not accepted; expected for the docker-container driver an endpoint starting with ssh://, tcp://, unix://, npipe://'
    },
    {
      name: 'an unknown driver',
      text: '- name: box\n  driver: cloud\n  endpoint: tcp://a:1\n  platforms: linux/amd64',
      message:
        'input "nodes", node "box": "cloud" is not accepted; expected a driver among remote, docker-container, kubernetes'
    },
    {
      name: 'missing platforms in YAML',
      text: '- name: pi\n  endpoint: tcp://pi.lan:1234',
      message:
        'input "nodes", node "pi": "{\\"name\\":\\"pi\\",\\"endpoint\\":\\"tcp://pi.lan:1234\\"}" is not accepted; expected platforms: the platforms this node builds (e.g. linux/arm64)'
    },
    {
      name: 'a line without platforms',
      text: 'tcp://pi.lan:1234',
      message:
        'input "nodes", node #1: "tcp://pi.lan:1234" is not accepted; expected PLATFORM[,PLATFORM...]=ENDPOINT (e.g. linux/arm64=tcp://pi.lan:1234), or a YAML list of nodes'
    },
    {
      name: 'an unknown platform',
      text: 'linux/aarch46=tcp://pi.lan:1234',
      message:
        'input "nodes", node #1: "linux/aarch46" is not accepted; expected one of linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/amd64/v4, linux/arm64, linux/arm/v5, linux/arm/v6, linux/arm/v7, linux/arm/v8, linux/386, linux/ppc64le, linux/s390x, linux/riscv64, linux/mips64le, linux/loong64; did you mean linux/arm64?'
    },
    {
      name: 'tcp without a port',
      text: 'linux/arm64=tcp://pi.lan',
      message:
        'input "nodes", node #1: "tcp://pi.lan" is not accepted; expected tcp://HOST:PORT (e.g. tcp://pi.lan:1234)'
    },
    {
      name: 'unix without an absolute path',
      text: 'linux/arm64=unix://run/b.sock',
      message:
        'input "nodes", node #1: "unix://run/b.sock" is not accepted; expected unix:// followed by an absolute path (unix:///run/buildkit/buildkitd.sock)'
    },
    {
      name: 'a scheme with nothing after it',
      text: 'linux/arm64=ssh://',
      message:
        'input "nodes", node #1: "ssh://" is not accepted; expected an address after ssh:// (e.g. ssh://me@xeon.lan)'
    },
    {
      name: 'an endpoint without a scheme for the remote driver',
      text: '- name: pi\n  driver: remote\n  endpoint: pi.lan:1234\n  platforms: linux/arm64',
      message:
        'input "nodes", node "pi": "pi.lan:1234" is not accepted; expected tcp://, unix://, ssh://, docker-container://, kube-pod://, npipe://'
    },
    {
      name: 'an endpoint without a scheme in a line',
      text: 'linux/arm64=pi.lan:1234',
      message:
        'input "nodes", node #1: "pi.lan:1234" is not accepted; expected an endpoint starting with one of tcp://, unix://, docker-container://, kube-pod://, npipe://, ssh://, kubernetes://'
    },
    {
      name: 'platforms that are not strings',
      text: '- name: pi\n  endpoint: tcp://pi.lan:1234\n  platforms: [1, 2]',
      message: 'input "nodes", node "pi": "[1,2]" is not accepted; expected a list of strings for platforms'
    },
    {
      name: 'a name that is not a string',
      text: '- name: 7\n  endpoint: tcp://pi.lan:1234\n  platforms: linux/arm64',
      message: 'input "nodes", node #1: "7" is not accepted; expected a string for name'
    },
    {
      name: 'a remote node without an endpoint',
      text: '- name: r\n  driver: remote\n  platforms: linux/amd64',
      message:
        'input "nodes", node "r": "" is not accepted; expected an endpoint for a remote node: tcp://, unix://, ssh://, docker-container://, kube-pod://, npipe://'
    },
    {
      name: 'neither endpoint nor driver',
      text: '- name: x\n  platforms: linux/amd64',
      message:
        'input "nodes", node "x": "{\\"name\\":\\"x\\",\\"platforms\\":\\"linux/amd64\\"}" is not accepted; expected an endpoint (tcp://, unix://, docker-container://, kube-pod://, npipe://, ssh://, kubernetes://) or a driver (remote, docker-container, kubernetes)'
    },
    {
      name: 'a key setup-buildx-action does not have',
      text: '- name: pi\n  endpoint: tcp://pi.lan:1234\n  platforms: linux/arm64\n  platform: linux/arm64',
      message:
        'input "nodes", node "pi": "platform" is not accepted; expected one of the keys name, endpoint, driver, driver-opts, buildkitd-flags, platforms'
    },
    {
      name: 'a remote TLS option with a relative path',
      text: '- name: pi\n  endpoint: tcp://pi.lan:1234\n  platforms: linux/arm64\n  driver-opts: [cacert=certs/ca.pem]',
      message:
        'input "nodes", node "pi": "cacert=certs/ca.pem" is not accepted; expected cacert= an absolute path (buildx refuses relative ones)'
    },
    {
      name: 'a client cert without its key',
      text: '- name: pi\n  endpoint: tcp://pi.lan:1234\n  platforms: linux/arm64\n  driver-opts: [cacert=/c/ca.pem, cert=/c/cert.pem]',
      message:
        'input "nodes", node "pi": "cacert=/c/ca.pem cert=/c/cert.pem" is not accepted; expected cert and key together (mutual TLS needs both)'
    },
    {
      name: 'TLS without a CA',
      text: '- name: pi\n  endpoint: tcp://pi.lan:1234\n  platforms: linux/arm64\n  driver-opts: [servername=pi.lan]',
      message:
        'input "nodes", node "pi": "servername=pi.lan" is not accepted; expected cacert=/path/ca.pem whenever cert, key or servername is set'
    },
    {
      name: 'an option the remote driver does not know',
      text: '- name: pi\n  endpoint: tcp://pi.lan:1234\n  platforms: linux/arm64\n  driver-opts: [image=moby/buildkit]',
      message:
        'input "nodes", node "pi": "image=moby/buildkit" is not accepted; expected a remote driver option: cacert, cert, key, servername, default-load'
    },
    {
      name: 'a driver-opt that is not key=value',
      text: '- name: box\n  driver: docker-container\n  platforms: linux/amd64\n  driver-opts: [network]',
      message:
        'input "nodes", node "box": "network" is not accepted; expected driver-opts as key=value (several comma separated, quoted as CSV)'
    },
    {
      name: 'an unclosed quote in a driver-opt',
      text: "- name: box\n  driver: kubernetes\n  platforms: linux/amd64\n  driver-opts: ['\"nodeselector=a=b']",
      message:
        'input "nodes", node "box": "\\"nodeselector=a=b" is not accepted; expected driver-opts as key=value (several comma separated, quoted as CSV)'
    },
    {
      name: 'a key without its cert when both sit in one comma-separated driver-opt',
      text: '- name: pi\n  endpoint: tcp://pi.lan:1234\n  platforms: linux/arm64\n  driver-opts: ["cacert=/c/ca.pem,key=/c/key.pem"]',
      message:
        'input "nodes", node "pi": "cacert=/c/ca.pem,key=/c/key.pem" is not accepted; expected cert and key together (mutual TLS needs both)'
    },
    {
      name: 'buildkitd-flags on a remote node',
      text: '- name: pi\n  endpoint: tcp://pi.lan:1234\n  platforms: linux/arm64\n  buildkitd-flags: --debug',
      message:
        'input "nodes", node "pi": "--debug" is not accepted; expected no buildkitd-flags for a remote node (buildx cannot pass flags to a daemon it does not start; set them where that buildkitd runs)'
    },
    {
      name: 'two drivers in one builder',
      text: 'linux/amd64=unix:///a.sock\nlinux/arm64=ssh://me@pi.lan',
      message:
        'input "nodes", node #2: "linux/arm64=ssh://me@pi.lan" is not accepted; expected the same driver as node #1 (remote; this one is docker-container): one builder has one driver, so name it with driver: in the YAML form'
    },
    {
      name: 'two nodes of one name',
      text: '- name: Box\n  endpoint: unix:///a.sock\n  platforms: linux/amd64\n- name: box\n  endpoint: unix:///b.sock\n  platforms: linux/arm64',
      message: 'input "nodes", node "box": "box" is not accepted; expected a name no other node has (node "Box" has it)'
    },
    {
      name: 'a name buildx refuses',
      text: '- name: 1st\n  endpoint: unix:///a.sock\n  platforms: linux/amd64',
      message:
        'input "nodes", node "1st": "1st" is not accepted; expected a name that starts with a letter, then letters, digits, ".", "_" or "-"'
    },
    {
      name: 'a kubernetes name that cannot name a Deployment',
      text: '- name: arm_pool\n  driver: kubernetes\n  platforms: linux/arm64',
      message:
        'input "nodes", node "arm_pool": "arm_pool" is not accepted; expected a kubernetes node name usable as a Deployment name: lower-case letters, digits and "-", at most 63 characters'
    },
    {
      name: 'a kubernetes node over two architectures without a nodeselector',
      text: 'linux/arm64,linux/arm/v7=kubernetes://',
      message:
        'input "nodes", node #1: "linux/arm64,linux/arm/v7" is not accepted; expected a nodeselector driver-opt (e.g. nodeselector=kubernetes.io/arch=arm64) when a kubernetes node has platforms of several architectures'
    },
    {
      name: 'YAML that is not a list',
      text: '- name: pi\n  endpoint: [unclosed',
      message: /^input "nodes": "- name: pi" is not accepted; expected a YAML list of nodes \(/
    },
    {
      name: 'a list item that is not a mapping',
      text: '- linux/arm64=tcp://pi.lan:1234',
      message:
        'input "nodes", node #1: "\\"linux/arm64=tcp://pi.lan:1234\\"" is not accepted; expected a mapping with keys name, endpoint, driver, driver-opts, buildkitd-flags, platforms'
    }
  ])('$name', ({ text, message }) => {
    let caught: unknown;
    try {
      parseNodes(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    if (typeof message === 'string') expect((caught as Error).message).toBe(message);
    else expect((caught as Error).message).toMatch(message);
  });

  test('errors about one node are NodeInputErrors that carry its label', () => {
    let caught: unknown;
    try {
      parseNodes('linux/arm64=ftp://x');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NodeInputError);
    expect((caught as NodeInputError).node).toBe('#1');
    expect((caught as NodeInputError).input).toBe('nodes');
  });
});

describe('driverOptFields reads a --driver-opt as buildx does (CSV)', () => {
  test.each([
    { name: 'one option', opt: 'network=host', fields: [['network', 'host']] },
    {
      name: 'several, comma separated',
      opt: 'image=moby/buildkit,network=host',
      fields: [
        ['image', 'moby/buildkit'],
        ['network', 'host']
      ]
    },
    {
      name: 'a quoted field keeps its commas',
      opt: '"nodeselector=kubernetes.io/arch=arm64,disk=ssd",namespace=ci',
      fields: [
        ['nodeselector', 'kubernetes.io/arch=arm64,disk=ssd'],
        ['namespace', 'ci']
      ]
    },
    { name: 'a doubled quote is a quote', opt: '"labels=a=""x"""', fields: [['labels', 'a="x"']] },
    { name: 'no key', opt: '=x', fields: undefined },
    { name: 'no =', opt: 'network', fields: undefined },
    { name: 'an unclosed quote', opt: '"a=b', fields: undefined },
    { name: 'text after a closing quote', opt: '"a=b"c', fields: undefined },
    { name: 'a stray quote', opt: 'a=b"c', fields: undefined }
  ])('$name', ({ opt, fields }) => {
    expect(driverOptFields(opt)?.map((f) => [f.key, f.value])).toEqual(fields);
  });
});

describe('assignPlatforms', () => {
  const nodes = parseNodes('linux/amd64,linux/386=unix:///a.sock\nlinux/arm64=unix:///b.sock');
  test.each([
    {
      name: 'each platform on the node that declares it',
      platforms: ['linux/arm64', 'linux/amd64', 'linux/386'],
      emulate: false,
      routes: [
        { platform: 'linux/arm64', node: 'linux-arm64', emulated: false },
        { platform: 'linux/amd64', node: 'linux-amd64', emulated: false },
        { platform: 'linux/386', node: 'linux-amd64', emulated: false }
      ]
    },
    {
      name: 'a platform nobody declares goes to the first node, emulated',
      platforms: ['linux/arm64', 'linux/riscv64'],
      emulate: true,
      routes: [
        { platform: 'linux/arm64', node: 'linux-arm64', emulated: false },
        { platform: 'linux/riscv64', node: 'linux-amd64', emulated: true }
      ]
    },
    {
      name: 'a variant is its own platform',
      platforms: ['linux/amd64/v3'],
      emulate: true,
      routes: [{ platform: 'linux/amd64/v3', node: 'linux-amd64', emulated: true }]
    }
  ])('$name', ({ platforms, emulate, routes }) => {
    const got = assignPlatforms(parsePlatforms(platforms), nodes, { emulate });
    expect(got.map((a) => ({ platform: a.platform.id, node: a.node.name, emulated: a.emulated }))).toEqual(routes);
  });

  test('with emulate false a platform nobody declares is an error naming it', () => {
    expect(() => assignPlatforms(parsePlatforms(['linux/amd64', 'linux/arm/v7']), nodes, { emulate: false })).toThrow(
      'input "platforms": "linux/arm/v7" is not accepted; expected a platform some node declares (linux-amd64: linux/amd64,linux/386; linux-arm64: linux/arm64), or emulate: true to build it under QEMU on node linux-amd64'
    );
  });

  test('no nodes is a programming error', () => {
    expect(() => assignPlatforms(parsePlatforms(['linux/amd64']), [], { emulate: true })).toThrow(
      'assignPlatforms needs at least one node'
    );
  });
});

describe('createNodesArgv', () => {
  test.each([
    {
      name: 'remote nodes on two unix sockets',
      text: 'linux/amd64=unix:///s/a.sock\nlinux/arm64=unix:///s/b.sock',
      buildkitImage: undefined,
      argv: [
        [
          'create',
          '--name',
          'B',
          '--driver',
          'remote',
          '--platform',
          'linux/amd64',
          '--node',
          'linux-amd64',
          'unix:///s/a.sock'
        ],
        [
          'create',
          '--append',
          '--name',
          'B',
          '--driver',
          'remote',
          '--platform',
          'linux/arm64',
          '--node',
          'linux-arm64',
          'unix:///s/b.sock'
        ]
      ]
    },
    {
      name: 'remote over tcp with mutual TLS, several platforms on one node',
      text: [
        '- name: xeon',
        '  endpoint: tcp://xeon.lan:1234',
        '  platforms: linux/amd64,linux/386',
        '  driver-opts: [cacert=/c/ca.pem, cert=/c/cert.pem, key=/c/key.pem, servername=xeon]'
      ].join('\n'),
      buildkitImage: 'moby/buildkit:v0.32.2',
      argv: [
        [
          'create',
          '--name',
          'B',
          '--driver',
          'remote',
          '--platform',
          'linux/amd64,linux/386',
          '--node',
          'xeon',
          '--driver-opt',
          'cacert=/c/ca.pem',
          '--driver-opt',
          'cert=/c/cert.pem',
          '--driver-opt',
          'key=/c/key.pem',
          '--driver-opt',
          'servername=xeon',
          'tcp://xeon.lan:1234'
        ]
      ]
    },
    {
      name: 'docker-container here and on a Docker host over ssh',
      text: [
        '- name: laptop',
        '  driver: docker-container',
        '  platforms: linux/amd64',
        '- name: server',
        '  endpoint: ssh://me@xeon.lan',
        '  platforms: linux/arm64',
        '  driver-opts: [image=mirror.lan/moby/buildkit:v0.32.2]',
        '  buildkitd-flags: --allow-insecure-entitlement network.host --debug'
      ].join('\n'),
      buildkitImage: 'moby/buildkit:buildx-stable-1',
      argv: [
        [
          'create',
          '--name',
          'B',
          '--driver',
          'docker-container',
          '--platform',
          'linux/amd64',
          '--node',
          'laptop',
          '--driver-opt',
          'image=moby/buildkit:buildx-stable-1'
        ],
        [
          'create',
          '--append',
          '--name',
          'B',
          '--driver',
          'docker-container',
          '--platform',
          'linux/arm64',
          '--node',
          'server',
          '--driver-opt',
          'image=mirror.lan/moby/buildkit:v0.32.2',
          '--buildkitd-flags',
          '--allow-insecure-entitlement network.host --debug',
          'ssh://me@xeon.lan'
        ]
      ]
    },
    {
      name: 'kubernetes, one node per architecture, made-up names carry the builder name',
      text: 'linux/amd64=kubernetes://ci\nlinux/arm64=kubernetes://ci',
      buildkitImage: undefined,
      argv: [
        [
          'create',
          '--name',
          'B',
          '--driver',
          'kubernetes',
          '--platform',
          'linux/amd64',
          '--node',
          'b-linux-amd64',
          '--driver-opt',
          'namespace=ci',
          '--driver-opt',
          'nodeselector=kubernetes.io/arch=amd64'
        ],
        [
          'create',
          '--append',
          '--name',
          'B',
          '--driver',
          'kubernetes',
          '--platform',
          'linux/arm64',
          '--node',
          'b-linux-arm64',
          '--driver-opt',
          'namespace=ci',
          '--driver-opt',
          'nodeselector=kubernetes.io/arch=arm64'
        ]
      ]
    },
    {
      name: 'kubernetes with a nodeselector of two labels and the image among other options',
      text: [
        '- name: graviton',
        '  driver: kubernetes',
        '  platforms: linux/arm64',
        '  driver-opts: [\'"nodeselector=kubernetes.io/arch=arm64,pool=ci",image=mirror.lan/buildkit\']'
      ].join('\n'),
      buildkitImage: 'moby/buildkit:v0.32.2',
      argv: [
        [
          'create',
          '--name',
          'B',
          '--driver',
          'kubernetes',
          '--platform',
          'linux/arm64',
          '--node',
          'graviton',
          '--driver-opt',
          '"nodeselector=kubernetes.io/arch=arm64,pool=ci",image=mirror.lan/buildkit'
        ]
      ]
    },
    {
      name: 'kubernetes with given names and the BuildKit image',
      text: '- name: graviton\n  driver: kubernetes\n  platforms: linux/arm64',
      buildkitImage: 'moby/buildkit:v0.32.2',
      argv: [
        [
          'create',
          '--name',
          'B',
          '--driver',
          'kubernetes',
          '--platform',
          'linux/arm64',
          '--node',
          'graviton',
          '--driver-opt',
          'image=moby/buildkit:v0.32.2',
          '--driver-opt',
          'nodeselector=kubernetes.io/arch=arm64'
        ]
      ]
    }
  ])('$name', ({ text, buildkitImage, argv }) => {
    expect(createNodesArgv('B', parseNodes(text), { buildkitImage })).toEqual(argv);
  });

  test.each([
    { name: 'a remote node keeps its name', text: 'linux/amd64=tcp://a:1', builder: 'ci_run.7', node: 'linux-amd64' },
    {
      name: 'a made-up kubernetes name becomes a Deployment name',
      text: 'linux/amd64=kubernetes://',
      builder: 'CI_Run.7',
      node: 'ci-run-7-linux-amd64'
    }
  ])('buildxNodeName: $name', ({ text, builder, node }) => {
    expect(buildxNodeName(builder, parseNodes(text)[0])).toBe(node);
  });
});
