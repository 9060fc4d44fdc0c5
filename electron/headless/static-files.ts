import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

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
  private readonly cache = new Map<string, StaticFile | null>();

  constructor(private readonly root: string) {}

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
    if (!full.startsWith(normalize(this.root) + sep)) return undefined;
    if (this.cache.has(full)) return this.cache.get(full) ?? undefined;
    let file: StaticFile | null;
    try {
      const body = await readFile(full);
      file = {
        body,
        contentType: contentTypes[extname(full)] ?? 'application/octet-stream',
        immutable: relative.startsWith('assets/'),
      };
    } catch {
      file = null;
    }
    this.cache.set(full, file);
    return file ?? undefined;
  }
}
