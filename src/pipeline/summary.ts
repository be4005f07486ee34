import type { Result } from './run.js';
import type { BuilderInfo } from '../tools/buildx/builder.js';

/** The job summary: what was built, where it went, and where the time went. */
export function summaryMarkdown(result: Result, builder: BuilderInfo): string {
  const lines = ['## Multi-arch image', ''];
  lines.push(`| | |`, `|---|---|`);
  lines.push(`| Platforms | ${result.plan.platforms.map((p) => `\`${p.id}\``).join(' ')} |`);
  lines.push(`| Emulated | ${result.plan.emulated.map((p) => `\`${p.id}\``).join(' ') || 'none'} |`);
  lines.push(`| Index digest | \`${result.digest || 'not pushed'}\` |`);
  lines.push(`| Version | \`${result.plan.tags.version || '-'}\` |`);
  lines.push(`| Cache | ${result.plan.cache.refs.map((r) => `\`${r}\``).join('<br>') || 'off'} |`);
  lines.push(`| Builder | \`${builder.name}\` (${builder.driver}, BuildKit ${builder.buildkitVersion}) |`);
  lines.push('', '### Tags', '');
  lines.push(...(result.tags.length ? result.tags.map((t) => `- \`${t}\``) : ['none pushed']));
  for (const h of result.held)
    lines.push(
      `- \`${h.tag}\` not moved (${h.reason === 'prerelease' ? 'pre-release' : `stays on ${h.current}, newer than ${h.ours}`})`
    );
  if (Object.keys(result.platformDigests).length) {
    lines.push('', '### Platform digests', '', '| Platform | Digest |', '|---|---|');
    for (const [platform, digest] of Object.entries(result.platformDigests))
      lines.push(`| \`${platform}\` | \`${digest}\` |`);
  }
  lines.push('', '### Time', '', '| Phase | Seconds |', '|---|---|');
  for (const [phase, seconds] of result.timings) lines.push(`| ${phase} | ${seconds.toFixed(1)} |`);
  return `${lines.join('\n')}\n`;
}
