import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  attestationsOutput,
  missingAttestations,
  verificationTable,
  verifyPublished,
  type Published,
  type VerifyRequest
} from '../../src/plan/verify.js';
import type { Manifest } from '../../src/plan/oci.js';

// Indexes and manifests exactly as the local registry served them after real pushes by buildx
// v0.36.1 on BuildKit v0.32.2 (each file's `note` says how it was built).
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'attestations');

interface Fixture {
  note: string;
  digest: string;
  /** digest → the manifest's bytes as served. */
  manifests: Record<string, string>;
}

function fixture(name: 'oci-artifact' | 'reference' | 'none'): Fixture {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;
}

/** The published index and its children, parsed, after an optional change to them. */
function published(
  name: 'oci-artifact' | 'reference' | 'none',
  change?: (index: Manifest, children: Record<string, Manifest>) => void
): Published {
  const f = fixture(name);
  const index = JSON.parse(f.manifests[f.digest]) as Manifest;
  const children: Record<string, Manifest> = {};
  for (const entry of index.manifests ?? []) children[entry.digest] = JSON.parse(f.manifests[entry.digest]);
  change?.(index, children);
  return { digest: f.digest, index, children };
}

// Platform manifests (the same image content in every fixture, so the same digests).
const AMD64 = 'sha256:96c339e1e73216c602a99b6b7bdded48d449c831ab33da1bb720ad572f9dec13';
const ARM64 = 'sha256:3de3d90ab7ebe6a7c53c473b62f083ca21872402c649652d38131c8f3dd60e64';
const ARMV7 = 'sha256:3dc8627ac55a3b463e270887791d720b1ad1937f4d4aea2dc62a3e7512e6adeb';
// Index digests.
const OCI_INDEX = 'sha256:383f18bf0518677cca73886181b2b6b65a16af8a3af0544608f33db9b6ebbf67';
const REF_INDEX = 'sha256:a90b98646bd998e7f9cf1e35a0382760dafbee90d71253c8a16a33370c52375a';
const NONE_INDEX = 'sha256:58139366ac393ed20e47129e018724286c5e5f67ce816a0621e3a020107f29c2';
// Attestation manifests: OCI-artifact form (with subject), then the reference form.
const OCI_ATT_AMD64 = 'sha256:256881074aadbfee23452bfc71cbfb0de8eb33df67395472dc8ebd34ebbc33aa';
const OCI_ATT_ARM64 = 'sha256:4171578bf8a8b5dd372592d3880c826fd82bc08c9db6f523a82fd1da8cd2d972';
const OCI_ATT_ARMV7 = 'sha256:5be94c07636e1752838977d665ce45ef3913fc92f44afc58b119b2ec199a7e3c';
const REF_ATT_AMD64 = 'sha256:e6915100d0fdaca55caca8dfb5099f20b6775869e0f3a638836899888f9aa5c0';
const REF_ATT_ARM64 = 'sha256:702a7a9a99436fa919cf6e202236f98cd9a0f6e5e5cc2073b4d5f31f1174d9b5';
const OTHER = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';

const THREE = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];
const TWO = ['linux/amd64', 'linux/arm64'];
const PROVENANCE = { provenance: true, sbom: false };
const NO_ATTESTATIONS = { provenance: false, sbom: false };

function entry(index: Manifest, digest: string) {
  const found = index.manifests?.find((m) => m.digest === digest);
  if (!found) throw new Error(`no entry ${digest}`);
  return found;
}

describe('the fixtures', () => {
  test.each(['oci-artifact', 'reference', 'none'] as const)('%s: every manifest hashes to its digest', (name) => {
    const f = fixture(name);
    for (const [digest, text] of Object.entries(f.manifests))
      expect(`sha256:${createHash('sha256').update(text).digest('hex')}`).toBe(digest);
  });
});

describe('verifyPublished', () => {
  interface Row {
    name: string;
    request: VerifyRequest;
    rows: Array<{ platform: string; manifest: string; attestation?: string }>;
    failures: string[];
  }

  const rows: Row[] = [
    {
      name: 'OCI-artifact attestations (BuildKit 0.32 default), three platforms, tags in place',
      request: {
        published: published('oci-artifact'),
        platforms: THREE,
        attestations: PROVENANCE,
        tags: { latest: OCI_INDEX, 'sha-860c190': OCI_INDEX }
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: OCI_ATT_AMD64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: OCI_ATT_ARM64 },
        { platform: 'linux/arm/v7', manifest: ARMV7, attestation: OCI_ATT_ARMV7 }
      ],
      failures: []
    },
    {
      name: 'reference-form attestations (oci-artifact=false): the index annotation alone links them',
      request: {
        published: published('reference'),
        platforms: TWO,
        attestations: PROVENANCE,
        tags: { v1: REF_INDEX }
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: REF_ATT_AMD64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: REF_ATT_ARM64 }
      ],
      failures: []
    },
    {
      name: 'OCI-artifact attestations without the index annotations: the subject links them',
      request: {
        published: published('oci-artifact', (index) => {
          for (const m of index.manifests ?? []) delete m.annotations;
        }),
        platforms: THREE,
        attestations: PROVENANCE,
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: OCI_ATT_AMD64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: OCI_ATT_ARM64 },
        { platform: 'linux/arm/v7', manifest: ARMV7, attestation: OCI_ATT_ARMV7 }
      ],
      failures: []
    },
    {
      name: 'no attestations asked for, none there',
      request: {
        published: published('none'),
        platforms: TWO,
        attestations: NO_ATTESTATIONS,
        tags: { main: NONE_INDEX }
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64 },
        { platform: 'linux/arm64', manifest: ARM64 }
      ],
      failures: []
    },
    {
      name: 'attestations not asked for but present: listed, not a failure',
      request: { published: published('reference'), platforms: TWO, attestations: NO_ATTESTATIONS, tags: {} },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: REF_ATT_AMD64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: REF_ATT_ARM64 }
      ],
      failures: []
    },
    {
      name: 'provenance asked for but the index has none (attestations dropped in a merge)',
      request: { published: published('none'), platforms: TWO, attestations: PROVENANCE, tags: {} },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64 },
        { platform: 'linux/arm64', manifest: ARM64 }
      ],
      failures: [
        'platform linux/amd64: manifest sha256:96c339e1e732 has no attestation manifest',
        'platform linux/arm64: manifest sha256:3de3d90ab7eb has no attestation manifest'
      ]
    },
    {
      name: 'a platform manifest deleted behind our back',
      request: {
        published: published('oci-artifact', (_index, children) => delete children[ARM64]),
        platforms: THREE,
        attestations: PROVENANCE,
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: OCI_ATT_AMD64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: OCI_ATT_ARM64 },
        { platform: 'linux/arm/v7', manifest: ARMV7, attestation: OCI_ATT_ARMV7 }
      ],
      failures: ['platform linux/arm64: manifest sha256:3de3d90ab7eb is listed but missing from the registry']
    },
    {
      name: 'an attestation manifest deleted behind our back',
      request: {
        published: published('reference', (_index, children) => delete children[REF_ATT_AMD64]),
        platforms: TWO,
        attestations: PROVENANCE,
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: REF_ATT_AMD64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: REF_ATT_ARM64 }
      ],
      failures: [
        'platform linux/amd64: attestation manifest sha256:e6915100d0fd is listed but missing from the registry'
      ]
    },
    {
      name: 'a requested platform is not in the index',
      request: {
        published: published('reference'),
        platforms: ['linux/amd64', 'linux/arm64', 'linux/riscv64'],
        attestations: PROVENANCE,
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: REF_ATT_AMD64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: REF_ATT_ARM64 }
      ],
      failures: ['platform linux/riscv64 is missing from the index']
    },
    {
      name: 'the index holds a platform that was not requested',
      request: { published: published('oci-artifact'), platforms: TWO, attestations: PROVENANCE, tags: {} },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: OCI_ATT_AMD64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: OCI_ATT_ARM64 },
        { platform: 'linux/arm/v7', manifest: ARMV7, attestation: OCI_ATT_ARMV7 }
      ],
      failures: ['platform linux/arm/v7 (sha256:3dc8627ac55a) was not requested']
    },
    {
      name: 'one platform twice, another missing',
      request: {
        published: published('none', (index) => {
          entry(index, ARM64).platform = { os: 'linux', architecture: 'amd64' };
        }),
        platforms: TWO,
        attestations: NO_ATTESTATIONS,
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64 },
        { platform: 'linux/amd64', manifest: ARM64 }
      ],
      failures: [
        'platform linux/amd64 appears 2 times (sha256:96c339e1e732, sha256:3de3d90ab7eb)',
        'platform linux/arm64 is missing from the index'
      ]
    },
    {
      name: 'platform spelled with its baseline variant (arm64/v8) counts as linux/arm64',
      request: {
        published: published('none', (index) => {
          entry(index, ARM64).platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
        }),
        platforms: TWO,
        attestations: NO_ATTESTATIONS,
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64 },
        { platform: 'linux/arm64', manifest: ARM64 }
      ],
      failures: []
    },
    {
      name: 'a child that is itself an index (legs merged without flattening)',
      request: {
        published: published('none', (_index, children) => {
          children[ARM64] = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };
        }),
        platforms: TWO,
        attestations: NO_ATTESTATIONS,
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64 },
        { platform: 'linux/arm64', manifest: ARM64 }
      ],
      failures: [
        'platform linux/arm64: sha256:3de3d90ab7eb is itself an index, not a platform manifest (an index of indexes)'
      ]
    },
    {
      name: 'an attestation about something outside the index (a leg index digest)',
      request: {
        published: published('reference', (index) => {
          entry(index, REF_ATT_ARM64).annotations!['vnd.docker.reference.digest'] = OTHER;
        }),
        platforms: TWO,
        attestations: PROVENANCE,
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: REF_ATT_AMD64 },
        { platform: 'linux/arm64', manifest: ARM64 }
      ],
      failures: [
        'platform linux/arm64: manifest sha256:3de3d90ab7eb has no attestation manifest',
        'attestation manifest sha256:702a7a9a9943 refers to sha256:111111111111, which is not a platform manifest of this index'
      ]
    },
    {
      name: 'index annotation and subject disagree',
      request: {
        published: published('oci-artifact', (index) => {
          entry(index, OCI_ATT_AMD64).annotations!['vnd.docker.reference.digest'] = ARM64;
          entry(index, OCI_ATT_ARM64).annotations!['vnd.docker.reference.digest'] = AMD64;
        }),
        platforms: THREE,
        attestations: PROVENANCE,
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: OCI_ATT_ARM64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: OCI_ATT_AMD64 },
        { platform: 'linux/arm/v7', manifest: ARMV7, attestation: OCI_ATT_ARMV7 }
      ],
      failures: [
        'attestation manifest sha256:256881074aad is annotated as about sha256:3de3d90ab7eb but its subject is sha256:96c339e1e732',
        'attestation manifest sha256:4171578bf8a8 is annotated as about sha256:96c339e1e732 but its subject is sha256:3de3d90ab7eb'
      ]
    },
    {
      name: 'reference-form attestation without its annotations: nothing says what it is about',
      request: {
        published: published('reference', (index) => {
          delete entry(index, REF_ATT_AMD64).annotations;
        }),
        platforms: TWO,
        attestations: PROVENANCE,
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: REF_ATT_ARM64 }
      ],
      failures: [
        'platform linux/amd64: manifest sha256:96c339e1e732 has no attestation manifest',
        'attestation manifest sha256:e6915100d0fd does not say which manifest it is about'
      ]
    },
    {
      name: 'SBOM asked for, only provenance attested',
      request: {
        published: published('reference'),
        platforms: TWO,
        attestations: { provenance: true, sbom: true },
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: REF_ATT_AMD64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: REF_ATT_ARM64 }
      ],
      failures: [
        'platform linux/amd64: attestation manifest sha256:e6915100d0fd has no SBOM (it holds https://slsa.dev/provenance/v1)',
        'platform linux/arm64: attestation manifest sha256:702a7a9a9943 has no SBOM (it holds https://slsa.dev/provenance/v1)'
      ]
    },
    {
      name: 'an attestation manifest with no in-toto layer',
      request: {
        published: published('oci-artifact', (_index, children) => {
          children[OCI_ATT_ARMV7].layers = [];
        }),
        platforms: THREE,
        attestations: PROVENANCE,
        tags: {}
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64, attestation: OCI_ATT_AMD64 },
        { platform: 'linux/arm64', manifest: ARM64, attestation: OCI_ATT_ARM64 },
        { platform: 'linux/arm/v7', manifest: ARMV7, attestation: OCI_ATT_ARMV7 }
      ],
      failures: ['platform linux/arm/v7: attestation manifest sha256:5be94c07636e holds no in-toto statement']
    },
    {
      name: 'a tag left on an older digest and a tag that is not there',
      request: {
        published: published('none'),
        platforms: TWO,
        attestations: NO_ATTESTATIONS,
        tags: { main: NONE_INDEX, latest: OTHER, 'sha-860c190': undefined }
      },
      rows: [
        { platform: 'linux/amd64', manifest: AMD64 },
        { platform: 'linux/arm64', manifest: ARM64 }
      ],
      failures: [
        `tag latest resolves to ${OTHER}, not ${NONE_INDEX}`,
        `tag sha-860c190 is not in the registry (expected ${NONE_INDEX})`
      ]
    },
    {
      name: 'a single platform pushed as a bare manifest',
      request: {
        published: { digest: AMD64, index: JSON.parse(fixture('none').manifests[AMD64]), children: {} },
        platforms: ['linux/amd64'],
        attestations: NO_ATTESTATIONS,
        tags: { main: AMD64 }
      },
      rows: [{ platform: 'linux/amd64', manifest: AMD64 }],
      failures: []
    },
    {
      name: 'a bare manifest where two platforms and provenance were asked for',
      request: {
        published: { digest: AMD64, index: JSON.parse(fixture('none').manifests[AMD64]), children: {} },
        platforms: TWO,
        attestations: PROVENANCE,
        tags: {}
      },
      rows: [],
      failures: [
        'sha256:96c339e1e732 is a single image manifest, not an index of linux/amd64, linux/arm64',
        'sha256:96c339e1e732 is a single image manifest: it has no attestation manifest'
      ]
    }
  ];

  test.each(rows)('$name', ({ request, rows: expectedRows, failures }) => {
    const result = verifyPublished(request);
    expect(result.rows).toEqual(expectedRows);
    expect(result.failures).toEqual(failures);
    expect(result.ok).toBe(failures.length === 0);
  });
});

describe('outputs and summary', () => {
  test('attestations output maps each platform to its attestation manifest', () => {
    const result = verifyPublished({
      published: published('reference'),
      platforms: TWO,
      attestations: PROVENANCE,
      tags: {}
    });
    expect(JSON.parse(attestationsOutput(result.rows))).toEqual({
      'linux/amd64': REF_ATT_AMD64,
      'linux/arm64': REF_ATT_ARM64
    });
  });

  test('summary table lists every platform, and the failures under it', () => {
    const result = verifyPublished({
      published: published('none'),
      platforms: ['linux/amd64', 'linux/arm64'],
      attestations: PROVENANCE,
      tags: {}
    });
    expect(verificationTable(result)).toBe(
      [
        '| Platform | Manifest | Attestation |',
        '| --- | --- | --- |',
        `| linux/amd64 | \`${AMD64}\` | — |`,
        `| linux/arm64 | \`${ARM64}\` | — |`,
        '',
        '- ❌ platform linux/amd64: manifest sha256:96c339e1e732 has no attestation manifest',
        '- ❌ platform linux/arm64: manifest sha256:3de3d90ab7eb has no attestation manifest'
      ].join('\n')
    );
  });
});

describe('missingAttestations: a merge refuses legs without what its prove step will ask for, before staging', () => {
  const index = (name: 'oci-artifact' | 'reference' | 'none') => published(name).index;
  const single: Manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json'
  } as Manifest;

  test.each([
    {
      name: 'oci-artifact attestations, provenance asked',
      leg: index('oci-artifact'),
      platforms: THREE,
      attestations: PROVENANCE,
      missing: []
    },
    {
      name: 'reference attestations, provenance asked',
      leg: index('reference'),
      platforms: TWO,
      attestations: PROVENANCE,
      missing: []
    },
    {
      name: 'no attestation manifests, provenance asked: every platform',
      leg: index('none'),
      platforms: TWO,
      attestations: PROVENANCE,
      missing: TWO
    },
    {
      name: 'no attestation manifests, sbom asked',
      leg: index('none'),
      platforms: ['linux/arm64'],
      attestations: { provenance: false, sbom: true },
      missing: ['linux/arm64']
    },
    {
      name: 'no attestation manifests, none asked',
      leg: index('none'),
      platforms: THREE,
      attestations: NO_ATTESTATIONS,
      missing: []
    },
    {
      name: 'a single manifest (no index) cannot carry one',
      leg: single,
      platforms: ['linux/amd64'],
      attestations: PROVENANCE,
      missing: ['linux/amd64']
    },
    {
      name: 'a single manifest, none asked',
      leg: single,
      platforms: ['linux/amd64'],
      attestations: NO_ATTESTATIONS,
      missing: []
    }
  ])('$name', ({ leg, platforms, attestations, missing }) => {
    expect(missingAttestations(leg, platforms, attestations)).toEqual(missing);
  });

  test('one platform of the index lacking its attestation is named alone', () => {
    const leg = index('oci-artifact');
    leg.manifests = leg.manifests!.filter((m) => m.annotations?.['vnd.docker.reference.digest'] !== ARM64);
    expect(missingAttestations(leg, THREE, PROVENANCE)).toEqual(['linux/arm64']);
  });
});
