import type { Edges } from '../ports.js';
import type { Plan } from '../plan/plan.js';

/*
 * The environment variables docker/metadata-action exports for later steps (a cosign or a scan step
 * reads DOCKER_METADATA_OUTPUT_TAGS or _JSON), in its formats, so such steps keep working when the
 * metadata step is gone. Off with DOCKER_METADATA_SET_OUTPUT_ENV=false, as there.
 */

/** Name → value, as metadata-action sets them: newline-separated lists, its JSON shape. */
export function metadataEnv(plan: Plan, env: NodeJS.ProcessEnv): Record<string, string> {
  const levels = (env.DOCKER_METADATA_ANNOTATIONS_LEVELS || 'manifest')
    .split(',')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const labels = Object.entries(plan.labels).sort(([a], [b]) => a.localeCompare(b));
  // The annotations of one level, as key=value: what metadata-action prefixes with each level it is asked for.
  const pairs = plan.annotations.filter((a) => a.startsWith('manifest:')).map((a) => a.slice('manifest:'.length));
  const annotations = levels.flatMap((level) => pairs.map((pair) => `${level}:${pair}`));
  const json = {
    tags: plan.tags.refs,
    'tag-names': plan.tags.tags,
    labels: Object.fromEntries(labels),
    annotations
  };
  return {
    DOCKER_METADATA_OUTPUT_VERSION: plan.tags.version,
    DOCKER_METADATA_OUTPUT_TAGS: plan.tags.refs.join('\n'),
    DOCKER_METADATA_OUTPUT_TAG_NAMES: plan.tags.tags.join('\n'),
    DOCKER_METADATA_OUTPUT_LABELS: labels.map(([k, v]) => `${k}=${v}`).join('\n'),
    DOCKER_METADATA_OUTPUT_ANNOTATIONS: annotations.join('\n'),
    DOCKER_METADATA_OUTPUT_JSON: JSON.stringify(json)
  };
}

/** Exports them where the edges can (the action: GITHUB_ENV), unless DOCKER_METADATA_SET_OUTPUT_ENV says not to. */
export function exportMetadataEnv(edges: Edges, plan: Plan, env: NodeJS.ProcessEnv): void {
  if (!edges.exportVariable) return;
  if (/^(false|0|no|off)$/i.test((env.DOCKER_METADATA_SET_OUTPUT_ENV ?? '').trim())) return;
  for (const [name, value] of Object.entries(metadataEnv(plan, env))) edges.exportVariable(name, value);
}
