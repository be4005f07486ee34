import {
  GITHUB_OIDC_ISSUER,
  digestRef,
  isLoopbackRegistry,
  keylessProblem,
  signArgs,
  signEnv,
  signingSteps,
  signatureTag,
  verifyArgs,
  verifyCommand,
  workflowIdentity,
  type SignSpec,
  type VerifySpec
} from '../../src/plan/sign.js';

const DIGEST = 'sha256:383f18bf0518677cca73886181b2b6b65a16af8a3af0544608f33db9b6ebbf67';
const IDENTITY = {
  identityRegexp: '^https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/.+$',
  issuer: GITHUB_OIDC_ISSUER
};

describe('signArgs', () => {
  test.each<{ name: string; spec: SignSpec; args: string[] }>([
    {
      name: 'keyless on a public registry, with the transparency log',
      spec: { mode: 'keyless', image: 'ghcr.io/acme/app', digest: DIGEST, tlog: true },
      args: ['sign', '--yes', '--recursive', `ghcr.io/acme/app@${DIGEST}`]
    },
    {
      name: 'keyless without the transparency log',
      spec: { mode: 'keyless', image: 'ghcr.io/acme/app', digest: DIGEST, tlog: false },
      args: ['sign', '--yes', '--recursive', '--tlog-upload=false', `ghcr.io/acme/app@${DIGEST}`]
    },
    {
      name: 'key file, transparency log on, the tag dropped from the image',
      spec: {
        mode: 'key',
        image: 'ghcr.io/acme/app:1.2.3',
        digest: DIGEST,
        keyFile: '/tmp/run/cosign.key',
        tlog: true
      },
      args: ['sign', '--yes', '--recursive', '--key', '/tmp/run/cosign.key', `ghcr.io/acme/app@${DIGEST}`]
    },
    {
      name: 'key file, no transparency log, loopback registry with a port',
      spec: {
        mode: 'key',
        image: '127.0.0.1:5000/e2e/app:main',
        digest: DIGEST,
        keyFile: '/tmp/run/cosign.key',
        tlog: false
      },
      args: [
        'sign',
        '--yes',
        '--recursive',
        '--key',
        '/tmp/run/cosign.key',
        '--tlog-upload=false',
        '--allow-insecure-registry',
        `127.0.0.1:5000/e2e/app@${DIGEST}`
      ]
    },
    {
      name: 'keyless to localhost',
      spec: { mode: 'keyless', image: 'localhost:5000/app', digest: DIGEST, tlog: true },
      args: ['sign', '--yes', '--recursive', '--allow-insecure-registry', `localhost:5000/app@${DIGEST}`]
    }
  ])('$name', ({ spec, args }) => {
    expect(signArgs(spec)).toEqual(args);
  });

  test.each<{ name: string; spec: SignSpec; error: string }>([
    {
      name: 'a tag where the digest goes',
      spec: { mode: 'keyless', image: 'ghcr.io/acme/app', digest: 'latest', tlog: true },
      error: 'cannot sign ghcr.io/acme/app: "latest" is not a sha256 digest'
    },
    {
      name: 'a short digest',
      spec: { mode: 'keyless', image: 'ghcr.io/acme/app', digest: 'sha256:383f18bf0518', tlog: true },
      error: 'cannot sign ghcr.io/acme/app: "sha256:383f18bf0518" is not a sha256 digest'
    },
    {
      name: 'key mode without a key file',
      spec: { mode: 'key', image: 'ghcr.io/acme/app', digest: DIGEST, tlog: true },
      error: 'signing with a key needs the key file'
    }
  ])('refuses $name', ({ spec, error }) => {
    expect(() => signArgs(spec)).toThrow(error);
  });
});

describe('signEnv', () => {
  test.each([
    { name: 'key with a password', mode: 'key' as const, password: 'hunter22', env: { COSIGN_PASSWORD: 'hunter22' } },
    {
      name: 'key without a password: empty, so cosign never prompts',
      mode: 'key' as const,
      password: undefined,
      env: { COSIGN_PASSWORD: '' }
    },
    { name: 'keyless: nothing', mode: 'keyless' as const, password: 'ignored', env: {} }
  ])('$name', ({ mode, password, env }) => {
    expect(signEnv(mode, password)).toEqual(env);
  });

  test('the password never appears in the arguments', () => {
    const args = signArgs({ mode: 'key', image: 'ghcr.io/acme/app', digest: DIGEST, keyFile: '/k', tlog: true });
    expect(args.join(' ')).not.toContain('hunter22');
    expect(args.some((a) => /password/i.test(a))).toBe(false);
  });
});

describe('verifyArgs and verifyCommand', () => {
  test.each<{ name: string; spec: VerifySpec; args: string[]; command: string }>([
    {
      name: 'keyless with the transparency log',
      spec: { mode: 'keyless', image: 'ghcr.io/acme/app:1.2.3', digest: DIGEST, tlog: true, identity: IDENTITY },
      args: [
        'verify',
        '--certificate-identity-regexp=^https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/.+$',
        `--certificate-oidc-issuer=${GITHUB_OIDC_ISSUER}`,
        `ghcr.io/acme/app@${DIGEST}`
      ],
      command:
        "cosign verify '--certificate-identity-regexp=^https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/.+$' " +
        `--certificate-oidc-issuer=https://token.actions.githubusercontent.com ghcr.io/acme/app@${DIGEST}`
    },
    {
      name: 'key, no transparency log, loopback registry',
      spec: { mode: 'key', image: '127.0.0.1:5000/e2e/app', digest: DIGEST, tlog: false, publicKey: 'cosign.pub' },
      args: [
        'verify',
        '--key',
        'cosign.pub',
        '--insecure-ignore-tlog=true',
        '--allow-insecure-registry',
        `127.0.0.1:5000/e2e/app@${DIGEST}`
      ],
      command: `cosign verify --key cosign.pub --insecure-ignore-tlog=true --allow-insecure-registry 127.0.0.1:5000/e2e/app@${DIGEST}`
    },
    {
      name: 'key with the transparency log, a path with a space',
      spec: {
        mode: 'key',
        image: 'registry.example.com/app',
        digest: DIGEST,
        tlog: true,
        publicKey: '/keys/my key.pub'
      },
      args: ['verify', '--key', '/keys/my key.pub', `registry.example.com/app@${DIGEST}`],
      command: `cosign verify --key '/keys/my key.pub' registry.example.com/app@${DIGEST}`
    }
  ])('$name', ({ spec, args, command }) => {
    expect(verifyArgs(spec)).toEqual(args);
    expect(verifyCommand(spec)).toBe(command);
  });

  test.each<{ name: string; spec: VerifySpec; error: string }>([
    {
      name: 'key mode without a public key',
      spec: { mode: 'key', image: 'ghcr.io/acme/app', digest: DIGEST, tlog: true },
      error: 'verifying a key signature needs the public key'
    },
    {
      name: 'keyless without an identity',
      spec: { mode: 'keyless', image: 'ghcr.io/acme/app', digest: DIGEST, tlog: true },
      error: 'verifying a keyless signature needs the signer identity'
    }
  ])('refuses $name', ({ spec, error }) => {
    expect(() => verifyArgs(spec)).toThrow(error);
  });
});

describe('workflowIdentity', () => {
  test.each([
    {
      name: 'a release workflow on a tag',
      ref: 'acme/app/.github/workflows/release.yml@refs/tags/v1.2.3',
      server: 'https://github.com',
      regexp: '^https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/.+$'
    },
    {
      name: 'a repository name with regex characters, server URL with a trailing slash',
      ref: 'acme/app.v2+x/.github/workflows/ci (1).yaml@refs/heads/main',
      server: 'https://github.example.com/',
      regexp: '^https://github\\.example\\.com/acme/app\\.v2\\+x/\\.github/workflows/ci \\(1\\)\\.yaml@refs/.+$'
    }
  ])('$name', ({ ref, server, regexp }) => {
    expect(workflowIdentity(ref, server)).toEqual({ identityRegexp: regexp, issuer: GITHUB_OIDC_ISSUER });
  });

  test('the expression accepts this workflow at any ref and nothing else', () => {
    const re = new RegExp(workflowIdentity('acme/app/.github/workflows/release.yml@refs/tags/v1').identityRegexp);
    expect(
      [
        'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v2.0.0',
        'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
        'https://github.com/acme/app/.github/workflows/releaseXyml@refs/heads/main',
        'https://github.com/acme/app/.github/workflows/other.yml@refs/heads/main',
        'https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main',
        'https://github.com/acme/app/.github/workflows/release.yml'
      ].map((s) => re.test(s))
    ).toEqual([true, true, false, false, false, false]);
  });

  test('refuses a workflow ref it cannot read', () => {
    expect(() => workflowIdentity('acme/app@refs/heads/main')).toThrow(
      'cannot tell the signing workflow from GITHUB_WORKFLOW_REF "acme/app@refs/heads/main" (expected owner/repo/.github/workflows/file.yml@ref)'
    );
  });
});

describe('references', () => {
  test.each([
    { image: '127.0.0.1:5000/app', loopback: true },
    { image: '127.1.2.3:5000/app', loopback: true },
    { image: 'localhost:5000/app', loopback: true },
    { image: 'localhost/app', loopback: true },
    { image: '[::1]:5000/app', loopback: true },
    { image: '127.0.0.1.nip.io:5000/app', loopback: false },
    { image: '127.example.com/app', loopback: false },
    { image: 'localhostx/app', loopback: false },
    { image: '10.0.0.5:5000/app', loopback: false },
    { image: 'ghcr.io/acme/app', loopback: false },
    { image: 'localhost', loopback: false },
    { image: 'library/app', loopback: false }
  ])('isLoopbackRegistry($image) is $loopback', ({ image, loopback }) => {
    expect(isLoopbackRegistry(image)).toBe(loopback);
  });

  test('digestRef and signatureTag', () => {
    const target = { image: '127.0.0.1:5000/e2e/app:main', digest: DIGEST };
    expect(digestRef(target)).toBe(`127.0.0.1:5000/e2e/app@${DIGEST}`);
    expect(signatureTag(target)).toBe(
      '127.0.0.1:5000/e2e/app:sha256-383f18bf0518677cca73886181b2b6b65a16af8a3af0544608f33db9b6ebbf67.sig'
    );
  });
});

describe('keylessProblem', () => {
  test.each([
    {
      name: 'a job with id-token: write',
      env: {
        GITHUB_ACTIONS: 'true',
        ACTIONS_ID_TOKEN_REQUEST_URL: 'https://x/token',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't'
      },
      problem: undefined
    },
    {
      name: 'a job without id-token: write',
      env: { GITHUB_ACTIONS: 'true' },
      problem:
        'sign: keyless needs the job to grant `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL is not set); add it to the job, or use sign: key'
    },
    {
      name: 'outside GitHub Actions',
      env: {},
      problem:
        'sign: keyless signs with the GitHub Actions OIDC token, which exists only in a GitHub Actions job; use sign: key with sign-key here'
    }
  ])('$name', ({ env, problem }) => {
    expect(keylessProblem(env)).toBe(problem);
  });
});

describe('signingSteps', () => {
  test.each([
    {
      name: 'key: check the key (password), sign (password), verify (no password)',
      spec: {
        mode: 'key' as const,
        image: '127.0.0.1:5000/e2e/app:v1',
        digest: DIGEST,
        tlog: false,
        keyFile: '/t/k/cosign.key',
        publicKeyFile: '/t/cosign.pub'
      },
      steps: [
        {
          what: 'check-key',
          args: ['public-key', '--key', '/t/k/cosign.key', '--outfile', '/t/cosign.pub'],
          password: true
        },
        {
          what: 'sign',
          args: [
            'sign',
            '--yes',
            '--recursive',
            '--key',
            '/t/k/cosign.key',
            '--tlog-upload=false',
            '--allow-insecure-registry',
            `127.0.0.1:5000/e2e/app@${DIGEST}`
          ],
          password: true
        },
        {
          what: 'verify',
          args: [
            'verify',
            '--key',
            '/t/cosign.pub',
            '--insecure-ignore-tlog=true',
            '--allow-insecure-registry',
            `127.0.0.1:5000/e2e/app@${DIGEST}`
          ],
          password: false
        }
      ]
    },
    {
      name: 'keyless: sign, verify against the workflow identity',
      spec: { mode: 'keyless' as const, image: 'ghcr.io/acme/app', digest: DIGEST, tlog: true, identity: IDENTITY },
      steps: [
        { what: 'sign', args: ['sign', '--yes', '--recursive', `ghcr.io/acme/app@${DIGEST}`], password: false },
        {
          what: 'verify',
          args: [
            'verify',
            `--certificate-identity-regexp=${IDENTITY.identityRegexp}`,
            `--certificate-oidc-issuer=${GITHUB_OIDC_ISSUER}`,
            `ghcr.io/acme/app@${DIGEST}`
          ],
          password: false
        }
      ]
    }
  ])('$name', ({ spec, steps }) => {
    expect(signingSteps(spec)).toEqual(steps);
  });

  test('key mode needs both key files', () => {
    expect(() =>
      signingSteps({ mode: 'key', image: 'ghcr.io/acme/app', digest: DIGEST, tlog: true, keyFile: '/k' })
    ).toThrow('signing with a key needs the key file and where to put its public key');
  });
});
