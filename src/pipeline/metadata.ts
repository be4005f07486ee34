import { metadataTags } from '../plan/metadata.js';
import type { Plan } from '../plan/plan.js';
import { exportMetadataEnv } from './metadata-env.js';
import { setOutputs } from './outputs.js';
import type { Session } from './session.js';

/**
 * `mode: metadata`: the outputs metadata-action gives (tags, labels, annotations, version, json),
 * set from the plan; no builder, no build, no request to a registry. The summary says what a build
 * of this commit would be tagged and labelled.
 */
export async function metadataRun(session: Session, plan: Plan): Promise<undefined> {
  const tags = metadataTags(plan);
  await session.phase('Metadata', async () => {
    session.log.info(`version: ${plan.tags.version || '(none)'}`);
    for (const tag of tags) session.log.info(`tag: ${tag}`);
    for (const [key, value] of Object.entries(plan.labels)) session.log.info(`label: ${key}=${value}`);
  });
  setOutputs(session.edges, plan, { digest: '', platformDigests: {}, tags, metadata: {} });
  // metadata-action's variables too: this step stands in for it before the build.
  exportMetadataEnv(session.edges, plan, session.env);
  await session.edges.summary(session.masker.mask(metadataMarkdown(plan, tags)));
  return undefined;
}

function metadataMarkdown(plan: Plan, tags: string[]): string {
  const lines = ['## Image metadata (mode: metadata: nothing was built or pushed)', '', '| | |', '|---|---|'];
  lines.push(`| Version | \`${plan.tags.version || '-'}\` |`);
  lines.push('', '### Tags', '', ...(tags.length ? tags.map((t) => `- \`${t}\``) : ['none']));
  lines.push('', '### Labels', '', ...Object.entries(plan.labels).map(([k, v]) => `- \`${k}=${v}\``));
  return `${lines.join('\n')}\n`;
}
