import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** Hashed build assets can be cached for good; index.html never. */
  immutable: boolean;
}

/** Serves the built UI from one directory, with no way out of it. */
export class StaticFiles {
  // Only hashed build assets are cached: their names change with their content, and the set is bounded by the build.
  private readonly cache = new Map<string, StaticFile>();

  private readonly root: string;

  constructor(root: string) {
    // resolve() drops a trailing separator, which would otherwise fail the containment check below.
    this.root = resolve(root);
  }

  async get(urlPath: string): Promise<StaticFile | undefined> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    if (decoded.includes('\0')) return undefined;
    const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
    const full = normalize(join(this.root, relative));
    if (!full.startsWith(this.root + sep)) return undefined;
    const cached = this.cache.get(full);
    if (cached) return cached;
    let body: Buffer;
    try {
      body = await readFile(full);
    } catch {
      return undefined;
    }
    const file: StaticFile = { body, contentType: contentTypes[extname(full)] ?? 'application/octet-stream', immutable: relative.startsWith('assets/') };
    if (file.immutable) this.cache.set(full, file);
    return file;
  }
}
