import type { Edges } from '../ports.js';
import type { Plan } from '../plan/plan.js';
import { movedRefs, type CommitStep } from '../plan/steps.js';
import type { HeldTag } from '../plan/tags/hold-back.js';
import type { Result } from './result.js';
import { removalNote } from './merge.js';
import { emulationSection } from '../plan/emulation-text.js';

type Outputs = Pick<Result, 'digest' | 'platformDigests' | 'tags' | 'metadata' | 'verification' | 'signed'>;

/** Every output, set on success and on a dry run alike; never silently empty (see the README). */
export function setOutputs(edges: Edges, plan: Plan, result: Outputs): void {
  edges.setOutput('digest', result.digest);
  edges.setOutput('tags', result.tags.join('\n'));
  edges.setOutput('version', plan.tags.version);
  edges.setOutput('platform-digests', JSON.stringify(result.platformDigests));
  edges.setOutput('metadata', JSON.stringify(result.metadata));
  edges.setOutput('builder', plan.builder);
  edges.setOutput(
    'labels',
    Object.entries(plan.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')
  );
  edges.setOutput('annotations', plan.annotations.join('\n'));
  edges.setOutput(
    'json',
    JSON.stringify({
      tags: result.tags,
      labels: plan.labels,
      annotations: plan.annotations,
      version: plan.tags.version,
      digest: result.digest,
      'platform-digests': result.platformDigests
    })
  );
  setReleaseOutputs(edges, plan, result);
}

/** attestations, signature and verify-command: what users verify a release with. */
function setReleaseOutputs(edges: Edges, plan: Plan, result: Outputs): void {
  edges.setOutput('attestations', result.verification?.attestations ?? '{}');
  edges.setOutput('signature', result.signed?.signatures.join('\n') ?? '');
  // A dry run shows the command with the digest still to come.
  const planned = plan.steps.find((s) => s.kind === 'sign');
  edges.setOutput('verify-command', result.signed?.verifyCommand ?? planned?.verifyCommand ?? '');
}

/**
 * The `tags` output: what the rules computed, whether or not anything was pushed (as
 * metadata-action's output); when pushing, the refs the commit moves (or, after a run, moved),
 * platform tags included, less the floating tags held back. A matrix leg publishes no tags.
 */
export function tagsOutput(plan: Plan, moved?: string[]): string[] {
  const commit = commitOf(plan);
  if (commit?.handOff) return [];
  if (moved) return moved;
  return commit ? movedRefs(commit) : plan.tags.refs;
}

function commitOf(plan: Plan | undefined): CommitStep | undefined {
  return plan?.steps.find((s): s is CommitStep => s.kind === 'commit');
}

/** The job summary of a run that published (or built): what, where, and where the time went. */
export function summaryMarkdown(result: Result): string {
  const { plan } = result;
  const lines = ['## Multi-arch image', '', '| | |', '|---|---|'];
  lines.push(`| Platforms | ${plan.platforms.map((p) => `\`${p.id}\``).join(' ')} |`);
  lines.push(
    `| Emulated | ${
      emulatedIds(result)
        .map((id) => `\`${id}\``)
        .join(' ') || 'none'
    } |`
  );
  lines.push(`| Index digest | \`${result.digest || 'not pushed'}\` |`);
  if (plan.pushNote) lines.push(`| Push | none: ${plan.pushNote} |`);
  lines.push(`| Version | \`${plan.tags.version || '-'}\` |`);
  lines.push(`| Cache | ${plan.cache.refs.map((r) => `\`${r}\``).join('<br>') || 'off'} |`);
  const b = result.builder;
  lines.push(`| Builder | \`${b.name}\` (${b.driver}, BuildKit ${b.buildkitVersion}) |`);
  lines.push(...placementRows(result));
  // Without a push nothing moved: the tags are what the rules computed.
  const pushed = commitOf(plan) !== undefined || plan.mode === 'merge';
  lines.push('', pushed ? '### Tags' : '### Tags it would move', '');
  lines.push(...tagLines(result, pushed));
  if (Object.keys(result.platformDigests).length) {
    lines.push('', '### Platform digests', '', '| Platform | Digest |', '|---|---|');
    for (const [platform, digest] of Object.entries(result.platformDigests)) {
      lines.push(`| \`${platform}\` | \`${digest}\` |`);
    }
  }
  lines.push(...releaseSections(result));
  if (result.removals.length > 0) {
    lines.push('', '### Hand-off tags', '');
    for (const r of result.removals) lines.push(`- \`${r.ref}\`: ${removalNote(r.outcome)}`);
  }
  lines.push(...emulationSection(result.emulation));
  lines.push(...timeTable(result.timings));
  return `${lines.join('\n')}\n`;
}

/** What the prove step read back, and where the signatures are and how to check them. */
function releaseSections(result: Result): string[] {
  const lines: string[] = [];
  if (result.verification) {
    lines.push('', '### Verified in the registry', '', result.verification.table);
  }
  if (result.signed) {
    lines.push('', '### Signature', '', 'Signed by digest, the index and every manifest in it:', '');
    lines.push(...result.signed.signatures.map((s) => `- \`${s}\``));
    lines.push('', 'Verify with:', '', '```sh', result.signed.verifyCommand, '```');
  }
  return lines;
}

/** The summary of a dry run: the plan, and the commands a real run would start. */
export function dryRunMarkdown(plan: Plan, commands: string[]): string {
  const lines = ['## Multi-arch image (dry run: nothing was built or pushed)', '', '| | |', '|---|---|'];
  lines.push(`| Mode | ${plan.mode} |`);
  if (plan.pushNote) lines.push(`| Push | none: ${plan.pushNote} |`);
  lines.push(`| Platforms | ${plan.platforms.map((p) => `\`${p.id}\``).join(' ')} |`);
  lines.push(`| Version | \`${plan.tags.version || '-'}\` |`);
  lines.push(`| Cache | ${plan.cache.refs.map((r) => `\`${r}\``).join('<br>') || 'off'} |`);
  lines.push('', '### Tags it would move', '');
  const commit = commitOf(plan);
  const refs = commit ? movedRefs(commit) : [];
  lines.push(...(refs.length ? refs.map((t) => `- \`${t}\``) : ['none']));
  for (const h of commit?.held ?? []) lines.push(`- \`${h.tag}\` not moved (${heldNote(h)})`);
  const floating = plan.steps.flatMap((s) => (s.kind === 'prove' ? s.floating.map((f) => f.tag) : []));
  if (floating.length > 0) {
    lines.push(
      '',
      `${floating.map((t) => `\`${t}\``).join(', ')} move only forward: the real run reads where they point first.`
    );
  }
  lines.push('', '### Steps', '', '```sh', ...commands, '```');
  return `${lines.join('\n')}\n`;
}

/** The summary of a failed run: what failed, in which phase, and what became of each tag. */
export function failureMarkdown(
  phase: string,
  message: string,
  plan: Plan | undefined,
  timings: Array<[string, number]>,
  partial?: Result
): string {
  const lines = ['## Multi-arch image: failed', '', `**${phase || 'Start'}** failed:`, '', '```', message, '```'];
  const commit = commitOf(plan);
  if (commit) {
    if (partial?.digest && partial.plan.steps.some((s) => s.kind === 'stage')) {
      lines.push(
        '',
        `Staged index: \`${partial.digest}\` (by digest only${partial.tags.length ? '' : '; nothing names it'})`
      );
    }
    lines.push('', '### Tags', '');
    const moved = new Set(partial?.tags ?? []);
    for (const ref of movedRefs(commit)) lines.push(`- \`${ref}\`: ${moved.has(ref) ? 'moved' : 'not moved'}`);
    for (const h of partial?.held ?? commit.held) lines.push(`- \`${h.tag}\`: not moved (${heldNote(h)})`);
  }
  lines.push(...timeTable(timings));
  return `${lines.join('\n')}\n`;
}

/** Tag by tag: moved, superseded by another run, or held back. */
function tagLines(result: Result, pushed: boolean): string[] {
  const superseded = new Map(result.superseded.map((s) => [s.ref, s.by]));
  const lines = result.tags.map((t) =>
    superseded.has(t) ? `- \`${t}\`: superseded by \`${superseded.get(t)}\` (another run)` : `- \`${t}\``
  );
  if (lines.length === 0) lines.push(pushed ? 'none pushed' : 'none');
  for (const h of result.held) lines.push(`- \`${h.tag}\` not moved (${heldNote(h)})`);
  return lines;
}

/** What was built under QEMU: what the plan emulates, and each platform a node fallback rebuilt so. */
function emulatedIds(result: Result): string[] {
  const fellBack = (result.placements ?? []).filter((p) => p.emulated).map((p) => p.platform);
  return [...new Set([...result.plan.emulated.map((p) => p.id), ...fellBack])];
}

/** One build per platform: which node built each, its BuildKit, and whether under QEMU or after a fallback. */
function placementRows(result: Result): string[] {
  if (!result.placements) return [];
  const lines = ['', '### Builds', '', '| Platform | Node | BuildKit | |', '|---|---|---|---|'];
  for (const p of result.placements) {
    const node = p.node ? `\`${p.node}\`${p.endpoint ? ` (\`${p.endpoint}\`)` : ''}` : `\`${result.builder.name}\``;
    const notes = [
      ...(p.emulated ? ['emulated'] : []),
      ...(p.fellBackFrom ? [`node ${p.fellBackFrom} failed: rebuilt here under QEMU (node-fallback)`] : [])
    ];
    lines.push(`| \`${p.platform}\` | ${node} | ${p.buildkitVersion} | ${notes.join('; ')} |`);
  }
  return lines;
}

function heldNote(h: HeldTag): string {
  return h.reason === 'prerelease' ? 'pre-release' : `stays on ${h.current}, newer than ${h.ours}`;
}

function timeTable(timings: Array<[string, number]>): string[] {
  const lines = ['', '### Time', '', '| Phase | Seconds |', '|---|---|'];
  for (const [phase, seconds] of timings) lines.push(`| ${phase} | ${seconds.toFixed(1)} |`);
  return lines;
}
