import { InputError, type InputName } from './errors.js';
import { editDistance } from '../text.js';

/** The CPU architectures an image can be built for here, by their OCI names. */
export type Arch = 'amd64' | '386' | 'arm64' | 'arm' | 'ppc64le' | 's390x' | 'riscv64' | 'mips64le' | 'loong64';

/** A target (or host) platform in its normalised OCI form. */
export interface Platform {
  /** `linux` for every build target; the host's own OS for `nativePlatform`. */
  os: string;
  arch: Arch;
  /** Only where it changes the machine code: arm v5/v6/v7 and amd64 v2/v3/v4. */
  variant?: string;
  /** The canonical spelling buildx and registries use: linux/arm/v7, linux/arm64. */
  id: string;
}

interface ArchRule {
  /** Variants kept as given; '' is the absent variant. */
  variants: readonly string[];
  /** What an absent variant means (arm alone is arm/v7, as in containerd). */
  defaultVariant?: string;
  /** Variants that name the baseline and are dropped (arm64/v8, amd64/v1). */
  dropped?: readonly string[];
}

const RULES: Record<Arch, ArchRule> = {
  amd64: { variants: ['', 'v2', 'v3', 'v4'], dropped: ['v1'] },
  '386': { variants: [''] },
  arm64: { variants: [''], dropped: ['v8'] },
  // v8: 32-bit code for an ARMv8 CPU; buildx builds linux/arm/v8 as such (an image of platform arm/v8, not arm64).
  arm: { variants: ['v5', 'v6', 'v7', 'v8'], defaultVariant: 'v7' },
  ppc64le: { variants: [''] },
  s390x: { variants: [''] },
  riscv64: { variants: [''] },
  mips64le: { variants: [''] },
  loong64: { variants: [''] }
};

// Other names for the same machine, as uname, Debian and containerd spell them. An alias that
// implies a variant (armhf is arm/v7) cannot be combined with another variant.
const ALIASES: Record<string, { arch: Arch; variant?: string }> = {
  x86_64: { arch: 'amd64' },
  'x86-64': { arch: 'amd64' },
  i386: { arch: '386' },
  aarch64: { arch: 'arm64' },
  armhf: { arch: 'arm', variant: 'v7' },
  armv7: { arch: 'arm', variant: 'v7' },
  armv7l: { arch: 'arm', variant: 'v7' },
  armel: { arch: 'arm', variant: 'v6' },
  armv6: { arch: 'arm', variant: 'v6' },
  armv6l: { arch: 'arm', variant: 'v6' },
  armv5: { arch: 'arm', variant: 'v5' },
  ppc64el: { arch: 'ppc64le' },
  mips64el: { arch: 'mips64le' },
  loongarch64: { arch: 'loong64' }
};

// The order the error message lists them in: most used first (an object cannot keep it: '386' sorts first).
const ORDER: readonly Arch[] = ['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64', 'mips64le', 'loong64'];

/** Every platform id accepted, in the order the error message lists them. */
export const ACCEPTED_PLATFORMS: readonly string[] = ORDER.flatMap((arch) =>
  RULES[arch].variants.map((variant) => formatId('linux', arch, variant || RULES[arch].defaultVariant))
);

/**
 * Parses the `platforms` list into normalised platforms, in the order given. Rejects an empty
 * list, anything not buildable here (with the closest accepted spelling when one is obvious)
 * and the same platform twice under any spelling.
 */
export function parsePlatforms(items: string[], input: InputName = 'platforms'): Platform[] {
  const given = items.map((item) => item.trim()).filter((item) => item !== '');
  if (given.length === 0) {
    throw new InputError(input, items.join(','), 'at least one platform, e.g. linux/amd64,linux/arm64');
  }
  const seen = new Map<string, string>();
  const out: Platform[] = [];
  for (const raw of given) {
    const platform = normalise(raw);
    if (!platform) throw new InputError(input, raw, acceptedText(raw));
    const first = seen.get(platform.id);
    if (first !== undefined) {
      throw new InputError(input, raw, `each platform once, but this is ${platform.id}, already given as "${first}"`);
    }
    seen.set(platform.id, raw);
    out.push(platform);
  }
  return out;
}

/** The platform of the machine this process runs on, from Node's names for it. */
export function nativePlatform(nodeArch: string = process.arch, os: string = process.platform): Platform {
  const arch = NODE_ARCH[nodeArch];
  if (!arch)
    throw new Error(
      `unsupported host architecture "${nodeArch}": expected one of ${Object.keys(NODE_ARCH).join(', ')}`
    );
  const hostOs = os === 'win32' ? 'windows' : os;
  // Node does not tell arm v6 from v7 without process.config; v7 is what 32-bit arm runners are.
  const variant = arch === 'arm' ? 'v7' : undefined;
  return { os: hostOs, arch, variant, id: formatId(hostOs, arch, variant) };
}

const NODE_ARCH: Record<string, Arch> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64el: 'mips64le',
  loong64: 'loong64'
};

/** The binfmt_misc handler (as qemu-user-static and tonistiigi/binfmt name it) that runs this platform's binaries. */
export function emulatorFor(platform: Platform): string {
  return EMULATOR[platform.arch];
}

const EMULATOR: Record<Arch, string> = {
  amd64: 'qemu-x86_64',
  '386': 'qemu-i386',
  arm64: 'qemu-aarch64',
  arm: 'qemu-arm',
  ppc64le: 'qemu-ppc64le',
  s390x: 'qemu-s390x',
  riscv64: 'qemu-riscv64',
  mips64le: 'qemu-mips64el',
  loong64: 'qemu-loongarch64'
};

/** The architecture name `tonistiigi/binfmt --install` accepts for this platform. */
export function binfmtName(platform: Platform): string {
  return platform.arch;
}

/**
 * Whether the host's CPU runs this platform's binaries without an emulator. amd64 hosts run 386.
 * arm64 hosts are not trusted with arm/v7: many arm64 server CPUs (and runners) lack AArch32, so
 * arm/v7 there goes through qemu-arm like any other foreign platform (its handler check decides).
 */
export function runsNatively(platform: Platform, native: Platform): boolean {
  if (platform.os !== native.os) return false;
  if (platform.arch === native.arch) {
    if (platform.arch !== 'arm') return true;
    return armLevel(platform.variant) <= armLevel(native.variant);
  }
  return platform.arch === '386' && native.arch === 'amd64';
}

function armLevel(variant: string | undefined): number {
  return Number((variant ?? 'v7').slice(1));
}

function normalise(raw: string): Platform | undefined {
  const parts = raw.toLowerCase().split('/');
  if (parts.length > 3 || parts.some((part) => part === '')) return undefined;
  // A bare architecture (`arm64`) means a Linux one, as buildx and containerd read it.
  const [os, archName, variantName] = parts.length === 1 ? ['linux', parts[0], undefined] : parts;
  if (os !== 'linux') return undefined;
  const alias = ALIASES[archName];
  const arch: string = alias?.arch ?? archName;
  if (!(arch in RULES)) return undefined;
  const rule = RULES[arch as Arch];
  if (alias?.variant && variantName !== undefined) return undefined;
  let variant = alias?.variant ?? variantName ?? '';
  if (/^\d+$/.test(variant)) variant = `v${variant}`;
  if (rule.dropped?.includes(variant)) variant = '';
  if (variant === '' && rule.defaultVariant) variant = rule.defaultVariant;
  if (!rule.variants.includes(variant)) return undefined;
  return { os, arch: arch as Arch, variant: variant || undefined, id: formatId(os, arch, variant) };
}

function formatId(os: string, arch: string, variant: string | undefined): string {
  return variant ? `${os}/${arch}/${variant}` : `${os}/${arch}`;
}

function acceptedText(raw: string): string {
  const hint = suggest(raw);
  return `one of ${ACCEPTED_PLATFORMS.join(', ')}${hint ? `; did you mean ${hint}?` : ''}`;
}

// Every spelling that parses, with and without `linux/`, mapped to its canonical id: a typo is
// compared with all of them so `linux/aarch46` finds linux/arm64 as readily as `linux/amd46` finds amd64.
const SPELLINGS: ReadonlyArray<[string, string]> = (() => {
  const names: string[] = [
    ...ACCEPTED_PLATFORMS.map((id) => id.slice('linux/'.length)),
    ...ORDER.flatMap((arch) => (RULES[arch].dropped ?? []).map((variant) => `${arch}/${variant}`)),
    ...Object.keys(ALIASES)
  ];
  const out: Array<[string, string]> = [];
  for (const name of names) {
    const id = normalise(`linux/${name}`)?.id;
    if (id) out.push([name, id], [`linux/${name}`, id]);
  }
  return out;
})();

/** The one accepted platform within a couple of keystrokes of `raw`, if there is exactly one. */
function suggest(raw: string): string | undefined {
  const text = raw.toLowerCase();
  let best = Infinity;
  let ids = new Set<string>();
  for (const [spelling, id] of SPELLINGS) {
    const d = editDistance(text, spelling);
    if (d < best) {
      best = d;
      ids = new Set([id]);
    } else if (d === best) {
      ids.add(id);
    }
  }
  return best <= 2 && ids.size === 1 ? [...ids][0] : undefined;
}
