/**
 * 10. Three ways to build one program: a small Go program compiled in a Go toolchain image made
 * from Debian's packages (scripts/stack/golang-base.sh, built here the first time it is missing),
 *   - emulated: linux/arm64, the compile running under QEMU (FROM the toolchain for the target);
 *   - cross: linux/arm64, compiled by the native toolchain (FROM --platform=$BUILDPLATFORM, GOARCH);
 *   - native: linux/386, which this amd64 machine runs natively, on a node of its own;
 * each with the compile step's cache busted, and reported as ratios: emulated ÷ native and
 * cross ÷ emulated, of the action's wall time and of the compile step alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, type Bench } from '../harness.js';
import { vertexSeconds } from '../logs.js';
import { note, run } from '../process.js';
import { median, sec, times, type Table } from '../report.js';
import type { Section } from '../section.js';

const GOLANG = 'base/golang:1.19';
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/386'];
type Arm = 'emulated' | 'cross' | 'native';

const MAIN_GO = `package main

// Small on purpose: with no package but the runtime's, the compile is the runtime's, the same
// work on every architecture.
func main() {
	sum := 0
	for i := 0; i < 1000; i++ {
		sum += i * i
	}
	println("sum of squares below 1000:", sum)
}
`;

/** The compile in the target's stage: under QEMU for arm64, native for 386. */
const IN_TARGET = `ARG GOLANG
FROM \${GOLANG} AS build
WORKDIR /src
COPY . .
RUN go build -o /out/hello .
FROM scratch
COPY --from=build /out/hello /hello
ENTRYPOINT ["/hello"]
`;

/** The cross-compile pattern: the build stage on the build platform, GOARCH from TARGETARCH. */
const CROSS = `ARG GOLANG
FROM --platform=$BUILDPLATFORM \${GOLANG} AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY . .
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/hello .
FROM scratch
COPY --from=build /out/hello /hello
ENTRYPOINT ["/hello"]
`;

/** Whether the registry holds the toolchain image for all three platforms. */
async function present(registry: string): Promise<boolean> {
  const [repo, tag] = GOLANG.split(':');
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    headers: {
      Accept: 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json'
    },
    signal: AbortSignal.timeout(5000)
  });
  if (!res.ok) return false;
  const index = (await res.json()) as { manifests?: Array<{ platform?: { os: string; architecture: string } }> };
  const have = new Set((index.manifests ?? []).map((m) => `${m.platform?.os}/${m.platform?.architecture}`));
  return PLATFORMS.every((p) => have.has(p));
}

async function measure(b: Bench, t: Table): Promise<void> {
  const registry = b.stack.registry;
  const image = `${registry}/${GOLANG}`;
  if (!(await present(registry))) {
    note(`10. three ways: ${image} is missing: building it (scripts/stack/golang-base.sh; once, not measured)`);
    const made = await run('bash', [path.join(ROOT, 'scripts/stack/golang-base.sh'), registry, b.builder], {
      timeoutMs: 1_800_000,
      check: false,
      label: 'golang-base.sh'
    });
    if (made.code !== 0 || !(await present(registry))) {
      const why = `${(made.stderr.trim() || made.stdout.trim()).split('\n').slice(-5).join(' / ')}`;
      note(`10. three ways: skipped: scripts/stack/golang-base.sh failed (exit ${made.code}): ${why}`);
      t.header('10. Three ways to build one program: not run');
      t.single('the Go toolchain image', '-', `scripts/stack/golang-base.sh failed (exit ${made.code}): ${why}`);
      return;
    }
  }
  const node386 = await b.startBuildkitd('386', { platforms: ['linux/386'] });
  const ws = path.join(b.work, 'ws-three-ways');
  fs.mkdirSync(ws, { recursive: true });
  fs.writeFileSync(path.join(ws, 'go.mod'), 'module hello\n\ngo 1.19\n');
  fs.writeFileSync(path.join(ws, 'main.go'), MAIN_GO);
  fs.writeFileSync(path.join(ws, 'Dockerfile'), IN_TARGET);
  fs.writeFileSync(path.join(ws, 'Dockerfile.cross'), CROSS);
  const inputs: Record<Arm, Record<string, string>> = {
    emulated: { ...b.common, platforms: 'linux/arm64', file: 'Dockerfile' },
    cross: { ...b.common, platforms: 'linux/arm64', file: 'Dockerfile.cross' },
    native: { nodes: `linux/386=${node386}`, qemu: 'host', platforms: 'linux/386', file: 'Dockerfile' }
  };
  const arms: Arm[] = ['emulated', 'cross', 'native'];
  const once = async (arm: Arm, label: string, i: number) =>
    b.attempt(label, async (k) => {
      // A new source file each run: the compile step is never served from the cache; the toolchain image is.
      fs.writeFileSync(path.join(ws, 'nonce.go'), `package main\n\nconst nonce = "${arm}-${i}-${k}-${b.sha()}"\n`);
      return b.action(
        { ...inputs[arm], images: b.repo(`three-ways-${arm}`), cache: 'false', 'build-args': `GOLANG=${image}` },
        { workspace: ws, sha: b.sha(), runId: `10${i}${k}`, label }
      );
    });
  note('10. three ways: warm-up (pulls the toolchain image into each builder)');
  for (const arm of arms) await once(arm, `three ways ${arm} warm-up`, 99);
  const runs = Math.min(b.opts.runs, 3);
  const wall: Record<Arm, number[]> = { emulated: [], cross: [], native: [] };
  const compile: Record<Arm, number[]> = { emulated: [], cross: [], native: [] };
  for (let i = 0; i < runs; i++) {
    const order = [...arms.slice(i % 3), ...arms.slice(0, i % 3)];
    for (const arm of order) {
      const r = await once(arm, `three ways ${arm} run ${i + 1}`, i);
      wall[arm].push(r.ms);
      compile[arm].push(vertexSeconds(r.lines, /\] RUN .*go build /) * 1000);
    }
    note(
      `10. three ways run ${i + 1}/${runs}: ${arms.map((a) => `${a} ${sec(wall[a][i])} (compile ${sec(compile[a][i])})`).join(', ')}`
    );
  }

  t.header(
    '10. Three ways to build one program: Go 1.19 (Debian’s packages) compiling a runtime-only program, no cache for the compile'
  );
  const what: Record<Arm, string> = {
    emulated: 'emulated: linux/arm64, compiled under QEMU',
    cross: 'cross: linux/arm64, compiled natively (FROM --platform=$BUILDPLATFORM, GOARCH=$TARGETARCH)',
    native: 'native: linux/386 on a node of its own, compiled natively'
  };
  for (const arm of arms) {
    t.row(`${what[arm]}: action wall`, wall[arm], sec);
    t.row(`${what[arm]}: the compile step (RUN … go build)`, compile[arm], sec, 'BuildKit’s DONE time of the step');
  }
  t.single(
    'ratio: emulated ÷ native, compile step (medians)',
    times(median(compile.emulated) / median(compile.native))
  );
  t.single('ratio: emulated ÷ native, action wall (medians)', times(median(wall.emulated) / median(wall.native)));
  t.single('ratio: cross ÷ emulated, compile step (medians)', times(median(compile.cross) / median(compile.emulated)));
  t.single('ratio: cross ÷ emulated, action wall (medians)', times(median(wall.cross) / median(wall.emulated)));
}

export const threeWays: Section = { id: '10', run: measure };
