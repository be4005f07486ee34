/** Reads files out of a pushed image's layers with the real `tar`, as a container runtime would unpack them. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Registry } from './registry.js';

interface ImageManifest {
  config: { digest: string };
  layers: Array<{ digest: string; mediaType: string }>;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
}

/** The image manifest and config behind one platform's digest. */
export async function readImage(
  registry: Registry,
  repo: string,
  digest: string
): Promise<{ manifest: ImageManifest; config: ImageConfig }> {
  const fetched = await registry.manifest<ImageManifest>(repo, digest);
  if (!fetched) throw new Error(`${repo}@${digest} is not in the registry`);
  const config = await registry.blobJson<ImageConfig>(repo, fetched.body.config.digest);
  return { manifest: fetched.body, config };
}

/**
 * The content of `file` in the image, from the topmost layer that holds it (whiteouts are not
 * followed: the fixtures never delete files). Undefined when no layer has it.
 */
export async function readFileFromImage(
  registry: Registry,
  repo: string,
  digest: string,
  file: string
): Promise<string | undefined> {
  const { manifest } = await readImage(registry, repo, digest);
  const want = normalise(file);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-layer-'));
  try {
    for (let i = manifest.layers.length - 1; i >= 0; i--) {
      const layer = manifest.layers[i];
      const blob = path.join(dir, `layer-${i}`);
      writeFileSync(blob, await registry.blob(repo, layer.digest));
      // GNU tar detects gzip/zstd compression itself when reading from a file.
      const members = execFileSync('tar', ['-tf', blob], { stdio: ['ignore', 'pipe', 'pipe'] })
        .toString()
        .split('\n');
      const member = members.find((m) => normalise(m) === want);
      if (member === undefined) continue;
      const out = path.join(dir, `out-${i}`);
      mkdirSync(out);
      execFileSync('tar', ['-xf', blob, '-C', out, member], { stdio: ['ignore', 'pipe', 'pipe'] });
      const extracted = path.join(out, want);
      return existsSync(extracted) ? readFileSync(extracted, 'utf8') : undefined;
    }
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function normalise(name: string): string {
  return name.replace(/^\.?\/+/, '');
}
