import type { Log } from '../ports.js';
import type { Plan } from '../plan/plan.js';
import {
  deleteRequest,
  getRequest,
  imagetoolsCreateArgv,
  inspectRawArgv,
  publishedRefs,
  headRequest,
  putRequest,
  type Argv,
  type BuildsStep,
  type SignStep,
  type Step,
  type VerifyStep
} from '../plan/steps.js';
import { INDEX_DIGEST } from '../plan/sign.js';
import { quoteArg } from '../tools/exec.js';

/**
 * The dry run: the plan's values, then each step's commands and requests in the order a real run
 * would start them, shell-quoted so they can be pasted. Every line comes from the plan's own
 * argv functions; nothing here builds a command of its own.
 */
export function printPlan(plan: Plan, log: Log): void {
  log.info(`mode: ${plan.mode}`);
  const emulated = plan.emulated.map((p) => p.id).join(', ') || 'none';
  log.info(`platforms: ${plan.platforms.map((p) => p.id).join(', ')} (emulated: ${emulated})`);
  log.info(`version: ${plan.tags.version || '(none)'}`);
  log.info(`tags:\n  ${dryRunTags(plan).join('\n  ') || '(none)'}`);
  log.info(`cache: ${plan.cache.refs.join(', ') || 'off'}`);
  for (const step of plan.steps) for (const line of stepLines(step, plan.steps)) log.info(line);
}

/** What a step would run: `docker buildx …` commands, registry requests, or a sentence for the rest. */
export function stepLines(step: Step, steps: Step[]): string[] {
  const cli = (argv: Argv) => ['docker', 'buildx', ...argv].map(quoteArg).join(' ');
  switch (step.kind) {
    case 'qemu':
      return [`# QEMU (${step.mode}): register the missing handlers for ${step.platforms.map((p) => p.id).join(', ')}`];
    case 'buildx':
      return [
        step.version ? `# buildx ${step.version}, verified against its release checksums` : '# the installed buildx'
      ];
    case 'builder':
      return [
        ...(step.create ? [cli(step.create)] : []),
        ...(step.append ?? []).map(cli),
        cli(step.bootstrap),
        ...(step.remove ? [`# clean-up, in the post step: ${cli(step.remove)}`] : [])
      ];
    case 'build':
      return [cli(step.argv)];
    case 'builds':
      return buildsLines(step, cli);
    case 'find-legs':
      return step.legs.map((leg) => cli(inspectRawArgv(step.builder, leg.ref)));
    case 'check-digests':
      return step.refs.map((ref) => cli(inspectRawArgv(step.builder, ref)));
    case 'publish': {
      const sources = mergeSources(steps) ?? [`${step.image}@<digest of the build>`];
      const lines = step.floating.map((f) => cli(inspectRawArgv(step.builder, f.ref)));
      if (step.source === 'build') lines.unshift(`[request] ${getRequest(sources[0])}`);
      lines.push(...step.put.map((ref) => `[request] ${putRequest(ref, sources[0])}`));
      const { refs, annotations } = step.imagetools;
      if (refs.length > 0) lines.push(cli(imagetoolsCreateArgv(step.builder, refs, sources, annotations)));
      // A new index is read back so that the outputs describe what the registry holds.
      if (step.source !== 'build' && refs.length > 0) lines.push(cli(inspectRawArgv(step.builder, refs[0])));
      for (const platform of [...new Set(step.platformTags.map((p) => p.platform))]) {
        const source = `${step.image}@<digest of ${platform} in the index>`;
        const tags = step.platformTags.filter((p) => p.platform === platform).map((p) => p.ref);
        const direct = tags.filter((ref) => ref.startsWith(`${step.image}:`));
        const others = tags.filter((ref) => !direct.includes(ref));
        if (direct.length > 0) lines.push(`[request] ${getRequest(source)}`);
        lines.push(...direct.map((ref) => `[request] ${putRequest(ref, source)}`));
        if (others.length > 0) lines.push(cli(imagetoolsCreateArgv(step.builder, others, [source], [])));
      }
      return lines;
    }
    case 'verify':
      return verifyLines(step);
    case 'sign':
      return signLines(step);
    case 'remove-legs':
      return step.legs.map(
        (ref) => `[request] ${deleteRequest(`${ref.slice(0, ref.lastIndexOf(':'))}@<digest of ${ref}>`)}`
      );
  }
}

/** The index read back by digest, each manifest it lists, then each moved ref resolved. */
function verifyLines(step: VerifyStep): string[] {
  return [
    `[request] ${getRequest(`${step.image}@${INDEX_DIGEST}`)}`,
    `[request] ${getRequest(`${step.image}@<digest of each manifest the index lists>`)}`,
    ...step.refs.map((ref) => `[request] ${headRequest(ref)}`)
  ];
}

/** cosign found or installed, then its commands as the run starts them (the digest filled in). */
function signLines(step: SignStep): string[] {
  return [
    `# cosign on the PATH, else ${step.cosignVersion} verified against its release checksums`,
    ...(step.keyFile
      ? [`# the sign-key PEM is written to ${step.keyFile} (0600) while cosign runs, then removed`]
      : []),
    ...step.commands.map((c) => ['cosign', ...c.args].map(quoteArg).join(' ')),
    `# to verify: ${step.verifyCommand}`
  ];
}

/** The concurrent builds, each with where it runs, and what a failed node's fallback would run. */
function buildsLines(step: BuildsStep, cli: (argv: Argv) => string): string[] {
  const lines: string[] = [];
  for (const b of step.builds) {
    const where = b.node ? ` on node ${b.node}${b.endpoint ? ` (${b.endpoint})` : ''}` : '';
    lines.push(`# ${b.platform.id}${where}${b.emulated ? ', emulated' : ''}, concurrently with the others:`);
    lines.push(cli(b.argv));
    const f = b.fallback;
    if (f) {
      lines.push(`#   only if node ${b.node} still fails: under QEMU on node ${f.node}:`);
      for (const argv of [f.create, f.argv, f.remove]) lines.push(`#   ${cli(argv)}`);
    }
  }
  return lines;
}

/** The sources a merge would publish: the given digests, or each leg's digest once found. */
function mergeSources(steps: Step[]): string[] | undefined {
  for (const step of steps) {
    if (step.kind === 'check-digests') return step.refs;
    if (step.kind === 'builds')
      return step.builds.map((b) => `${b.pushTo ?? ''}@<digest of the ${b.platform.id} build>`);
    if (step.kind === 'find-legs') {
      return step.legs.map((leg) => `${leg.ref.slice(0, leg.ref.lastIndexOf(':'))}@<digest of ${leg.ref}>`);
    }
  }
  return undefined;
}

/** The refs a run would move: a leg moves only its hand-off tag, and outputs no tags. */
function dryRunTags(plan: Plan): string[] {
  const publish = plan.steps.find((s) => s.kind === 'publish');
  return publish ? publishedRefs(publish) : plan.tags.refs;
}
