/** Reads a registry over its HTTP API, independently of buildx, to check what the action pushed. */

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ');

export interface IndexEntry {
  digest: string;
  mediaType: string;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface Fetched<T> {
  status: number;
  digest: string;
  body: T;
}

export class Registry {
  constructor(
    readonly host: string,
    private readonly auth?: { user: string; password: string }
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { ...extra };
    if (this.auth)
      h.Authorization = `Basic ${Buffer.from(`${this.auth.user}:${this.auth.password}`).toString('base64')}`;
    return h;
  }

  async manifest<
    T = {
      manifests?: IndexEntry[];
      config?: { digest: string };
      layers?: Array<{ digest: string }>;
      annotations?: Record<string, string>;
      mediaType?: string;
    }
  >(repo: string, ref: string): Promise<Fetched<T> | undefined> {
    const res = await fetch(`http://${this.host}/v2/${repo}/manifests/${ref}`, {
      headers: this.headers({ Accept: ACCEPT })
    });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET manifest ${repo}:${ref}: ${res.status} ${await res.text()}`);
    return {
      status: res.status,
      digest: res.headers.get('docker-content-digest') ?? '',
      body: (await res.json()) as T
    };
  }

  async blobJson<T>(repo: string, digest: string): Promise<T> {
    const res = await fetch(`http://${this.host}/v2/${repo}/blobs/${digest}`, { headers: this.headers() });
    if (!res.ok) throw new Error(`GET blob ${repo}@${digest}: ${res.status}`);
    return (await res.json()) as T;
  }

  async blob(repo: string, digest: string): Promise<Buffer> {
    const res = await fetch(`http://${this.host}/v2/${repo}/blobs/${digest}`, { headers: this.headers() });
    if (!res.ok) throw new Error(`GET blob ${repo}@${digest}: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async tags(repo: string): Promise<string[]> {
    const res = await fetch(`http://${this.host}/v2/${repo}/tags/list`, { headers: this.headers() });
    if (res.status === 404) return [];
    if (!res.ok) throw new Error(`GET tags ${repo}: ${res.status}`);
    return ((await res.json()) as { tags: string[] | null }).tags ?? [];
  }

  /** Index entries that are images (attestation manifests left out). */
  static images(entries: IndexEntry[] = []): IndexEntry[] {
    return entries.filter(
      (e) => e.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' && e.platform?.os !== 'unknown'
    );
  }
}

export function platformId(p: { os: string; architecture: string; variant?: string }): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
