/*
 * Everything a pipeline run talks to, faked at its seams: the edges in memory, buildx at the
 * process seam, and a loopback HTTP registry sharing the fake's in-memory registry. One world per
 * test file; `reset()` between tests.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../src/pipeline/run.js';
import type { Result } from '../../../src/pipeline/result.js';
import { MemoryRegistry } from '../../support/memory-registry.js';
import { startRegistry, type LoopbackRegistry } from '../../support/registry-server.js';
import { SHA } from '../../support/context.js';
import { memoryEdges, type MemoryEdges } from '../../support/edges.js';
import { FakeBuildx } from './fake-buildx.js';

export const NOW = new Date('2024-03-05T14:07:09.000Z');
const EVENTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/events');

export interface Outcome {
  result: Result | undefined;
  error: unknown;
  mem: MemoryEdges;
}

export class World {
  store = new MemoryRegistry();
  buildx = new FakeBuildx(this.store);
  readonly dir: string;
  readonly temp: string;

  private constructor(readonly registry: LoopbackRegistry) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'pipeline-'));
    this.temp = path.join(this.dir, 'runner-temp');
    mkdirSync(path.join(this.dir, 'home'));
    writeFileSync(path.join(this.dir, 'Dockerfile'), 'FROM scratch\n');
  }

  static async start(): Promise<World> {
    return new World(await startRegistry());
  }

  /** `host:port/acme/app`: an image on the loopback registry. */
  get image(): string {
    return `${this.registry.host}/acme/app`;
  }

  reset(): void {
    this.store = new MemoryRegistry();
    this.registry.store = this.store;
    this.registry.reset();
    this.buildx = new FakeBuildx(this.store);
  }

  async close(): Promise<void> {
    await this.registry.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The environment of a workflow run for `ref` (a push event of commit SHA). */
  env(ref = 'refs/tags/v1.2.3'): NodeJS.ProcessEnv {
    return {
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: path.join(EVENTS, ref.startsWith('refs/tags/') ? 'push_tag.json' : 'push_branch.json'),
      GITHUB_REF: ref,
      GITHUB_SHA: SHA,
      GITHUB_REPOSITORY: 'octo/app',
      GITHUB_RUN_ID: '7001',
      GITHUB_RUN_ATTEMPT: '1',
      RUNNER_TEMP: this.temp,
      HOME: path.join(this.dir, 'home'),
      PATH: process.env.PATH
    };
  }

  /** Runs the whole pipeline with these inputs (qemu false and retries 0 unless given). */
  async run(inputs: Record<string, string>, ref?: string, env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
    const mem = memoryEdges({ qemu: 'false', retries: '0', images: this.image, ...inputs });
    try {
      const result = await run({
        edges: mem,
        env: { ...this.env(ref), ...env },
        cwd: this.dir,
        now: () => NOW,
        runner: this.buildx.runner
      });
      return { result, error: undefined, mem };
    } catch (error) {
      return { result: undefined, error, mem };
    }
  }

  /** Text as the test compares it: the registry's port, the builder's random suffix and the run's temp directory named. */
  normalise(text: string): string {
    return text
      .split(this.registry.host)
      .join('<registry>')
      .replace(/multiarch-7001-1-[0-9a-f]{6}/g, '<builder>')
      .split(this.temp)
      .join('<temp>')
      .replace(/<temp>\/multiarch-[A-Za-z0-9]{6}/g, '<run-dir>');
  }

  /** The buildx calls so far, normalised. */
  commands(): string[] {
    return this.buildx.lines.map((l) => this.normalise(l));
  }

  /** Each output, normalised. */
  outputs(mem: MemoryEdges): Record<string, string> {
    return Object.fromEntries(Object.entries(mem.outputs).map(([k, v]) => [k, this.normalise(v)]));
  }

  /** The registry requests so far, as `METHOD path`. */
  requests(): string[] {
    return this.registry.seen.map((s) => `${s.method} ${s.url}`);
  }
}

/** The summary with its time column made stable. */
export function stableSummary(markdown: string): string {
  return markdown.replace(/^\| (.+) \| \d+\.\d \|$/gm, '| $1 | s |');
}
