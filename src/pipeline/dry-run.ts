import type { Log } from '../ports.js';
import type { Plan } from '../plan/plan.js';
import {
  commitRefs,
  deleteRequest,
  getRequest,
  imagetoolsCreateArgv,
  inspectRawArgv,
  movedRefs,
  headRequest,
  putRequest,
  type Argv,
  type BuildsStep,
  type CommitStep,
  type ProveStep,
  type SignStep,
  type StageStep,
  type Step
} from '../plan/steps.js';
import { repositoryOf, withDigest } from '../plan/reference.js';
import { pushCheckRequest } from './preflight.js';
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
    case 'preflight':
      return [
        ...step.repositories.map((repo) => `[request] ${pushCheckRequest(repo)}`),
        ...(step.key ? ['# sign-key must decrypt with its password:', cosignLine(step.key.command.args)] : [])
      ];
    case 'stage':
      return stageLines(step, steps, cli);
    case 'prove':
      return proveLines(step, indexDigest(steps), cli);
    case 'commit':
      return commitLines(step, indexDigest(steps));
    case 'sign':
      return signLines(step);
    case 'remove-legs':
      return step.legs.map(
        (ref) =>
          `[request] ${deleteRequest(withDigest(ref, `<digest of ${ref}>`))}${step.ofDigests ? ' (when that tag names a given digest)' : ''}`
      );
  }
}

const BUILD_DIGEST = '<digest of the build>';

/** What stands for the index's digest: the one build's own push, or the new index a stage step makes. */
function indexDigest(steps: Step[]): string {
  const stage = steps.find((s): s is StageStep => s.kind === 'stage');
  return stage?.source === 'build' ? BUILD_DIGEST : INDEX_DIGEST;
}

/** The index in every repository by digest: the build's read, or a new one computed and PUT; then copied. */
function stageLines(step: StageStep, steps: Step[], cli: (argv: Argv) => string): string[] {
  const sources = mergeSources(steps) ?? [`${step.image}@${BUILD_DIGEST}`];
  const at = withDigest(step.image, indexDigest(steps));
  const lines =
    step.source === 'build'
      ? [`[request] ${getRequest(sources[0])}`]
      : [
          cli(imagetoolsCreateArgv(step.builder, [], sources, step.annotations, true)),
          `[request] ${putRequest(at, 'the new index')}`
        ];
  for (const mirror of step.mirrors)
    lines.push(cli(imagetoolsCreateArgv(step.builder, [withDigest(mirror, indexDigest(steps))], [at], [])));
  return lines;
}

/** In every repository the index by digest and each manifest it lists; then each floating tag's image. */
function proveLines(step: ProveStep, digest: string, cli: (argv: Argv) => string): string[] {
  const lines = step.repositories.flatMap((repo) => [
    `[request] ${getRequest(withDigest(repo, digest))}`,
    `[request] ${getRequest(`${repo}@<digest of each manifest the index lists>`)}`
  ]);
  for (const f of step.floating)
    lines.push(`[request] GET ${f.ref}`, `# ${f.tag} moves only forward: ${cli(inspectRawArgv(step.builder, f.ref))}`);
  return lines;
}

/** Each tag one PUT of the staged bytes (platform tags: their manifest's), then each read back. */
function commitLines(step: CommitStep, digest: string): string[] {
  const { refs, platformTags } = commitRefs(step);
  const lines = step.held.map((h) => `# ${h.tag} is not moved: ${h.ours} is a pre-release`);
  lines.push(...refs.map((ref) => `[request] ${putRequest(ref, withDigest(ref, digest))}`));
  const read = new Set<string>();
  for (const p of platformTags) {
    const source = `${repositoryOf(p.ref)}@<digest of ${p.platform} in the index>`;
    if (!read.has(source)) lines.push(`[request] ${getRequest(source)}`);
    read.add(source);
    lines.push(`[request] ${putRequest(p.ref, source)}`);
  }
  lines.push(...movedRefs(step).map((ref) => `[request] ${headRequest(ref)}`));
  return lines;
}

/** cosign found or installed, then its commands as the run starts them (the digest filled in). */
function signLines(step: SignStep): string[] {
  return [
    `# cosign on the PATH, else ${step.cosignVersion} verified against its release checksums`,
    ...(step.keyFile
      ? [`# the sign-key PEM is written to ${step.keyFile} (0600) while cosign runs, then removed`]
      : []),
    ...step.commands.map((c) => cosignLine(c.args)),
    `# to verify: ${step.verifyCommand}`
  ];
}

function cosignLine(args: string[]): string {
  return ['cosign', ...args].map(quoteArg).join(' ');
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
      return step.legs.map((leg) => withDigest(leg.ref, `<digest of ${leg.ref}>`));
    }
  }
  return undefined;
}

/** The refs a run would move, platform tags included, less those the plan holds back. */
function dryRunTags(plan: Plan): string[] {
  const commit = plan.steps.find((s): s is CommitStep => s.kind === 'commit');
  return commit ? movedRefs(commit) : plan.tags.refs;
}
