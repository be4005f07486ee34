import { runsNatively } from './platforms.js';
import { buildArgv } from './build.js';
import { legTag } from './matrix.js';
import { withTag } from './reference.js';
import { buildxStep, builderStep } from './builder.js';
import { releaseSteps } from './release.js';
import { buildOutput, buildSpec, registryCache } from './spec.js';
import type { Planned, Planning } from './planning.js';
import type { Step } from './steps.js';

/**
 * One `buildx build` of every platform (mode build), or of a matrix leg's one platform (mode
 * platform), pushed by digest to the first image; then the release steps, or for a leg the
 * hand-off to the merge.
 */
export function planOneBuild(planning: Planning): Planned {
  const { inputs, context, native, ids, tags, builder } = planning;
  const leg = inputs.mode === 'platform' ? inputs.platforms : undefined;
  const cache = registryCache(inputs, context, leg);
  const emulated = inputs.platforms.filter((p) => !runsNatively(p, native));
  const output = buildOutput(inputs, tags.refs);
  const steps: Step[] = [];
  // A remote BuildKit runs its builds on its own kernel: the host's handlers are not its concern
  // unless `qemu` names a method explicitly.
  const remote = !inputs.builder && inputs.driver === 'remote';
  if (emulated.length > 0 && inputs.qemu !== 'false' && !(remote && inputs.qemu === 'auto')) {
    steps.push({ kind: 'qemu', mode: inputs.qemu, image: inputs.qemuImage, platforms: emulated });
  }
  steps.push(buildxStep(inputs), builderStep(inputs, ids, builder));
  // A leg's index is a hand-off, not the release: the merge's index alone carries the index
  // annotations, so it differs from the leg's and the leg's can go with its hand-off tag.
  const spec = buildSpec(planning, inputs.platforms, leg ? 'platform' : 'index', {
    cacheFrom: cache.from,
    cacheTo: cache.to,
    output,
    metadataFile: ids.metadataFile
  });
  steps.push({
    kind: 'build',
    argv: buildArgv(spec),
    metadataFile: ids.metadataFile,
    platforms: inputs.platforms,
    pushTo: output.pushTo
  });
  if (!inputs.push) return { emulated, cache, steps };
  const release = releaseSteps(
    planning,
    { source: 'build', annotations: [] },
    inputs.mode === 'platform' ? withTag(inputs.images[0], legTag(context, ids.runId, inputs.platforms)) : undefined
  );
  return { emulated, cache, steps: [...release.preflight, ...steps, ...release.steps] };
}
