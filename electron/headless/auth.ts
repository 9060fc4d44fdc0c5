import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'netops_session';

/**
 * Who may talk to the console. The token never leaves the machine except in
 * the URL the operator opens once; the browser then holds a session cookie
 * derived from it (HttpOnly, SameSite=Strict), so scripts cannot read it and
 * other sites cannot send it.
 */
export class ConsoleAuth {
  private readonly sessionValue: string;

  constructor(
    private readonly token: string,
    private readonly allowedHosts: ReadonlySet<string>,
  ) {
    this.sessionValue = createHmac('sha256', token).update('netops console session v1').digest('base64url');
  }

  /** Host header values this server answers to: loopback names, the bind address, and any the operator added, with the port. */
  static allowedHostSet(bindHost: string, port: number, extra: readonly string[]): Set<string> {
    const names = new Set(['127.0.0.1', 'localhost', '[::1]', ...extra.map((h) => h.toLowerCase())]);
    if (bindHost !== '0.0.0.0' && bindHost !== '::') names.add(bindHost.includes(':') ? `[${bindHost}]` : bindHost);
    return new Set([...names].map((name) => `${name}:${port}`));
  }

  isTokenValid(candidate: string | null | undefined): boolean {
    return typeof candidate === 'string' && safeEqual(candidate, this.token);
  }

  sessionCookie(): string {
    return `${SESSION_COOKIE}=${this.sessionValue}; HttpOnly; SameSite=Strict; Path=/`;
  }

  hasValidSession(request: IncomingMessage): boolean {
    const value = readCookie(request.headers.cookie, SESSION_COOKIE);
    return value !== undefined && safeEqual(value, this.sessionValue);
  }

  hasValidBearer(request: IncomingMessage): boolean {
    const header = request.headers.authorization;
    if (!header?.startsWith('Bearer ')) return false;
    return this.isTokenValid(header.slice('Bearer '.length).trim());
  }

  /** DNS rebinding defence: a page on evil.example resolved to 127.0.0.1 still sends Host: evil.example. */
  isHostAllowed(request: IncomingMessage): boolean {
    const host = request.headers.host?.toLowerCase();
    return host !== undefined && this.allowedHosts.has(host);
  }

  /**
   * Cross-site WebSocket hijacking defence: a browser always sends Origin on
   * an upgrade, and it must be this console itself. Only non-browser clients
   * (the CLI) send none, and they must carry the bearer token.
   */
  isOriginAllowed(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return this.hasValidBearer(request);
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    return (url.protocol === 'http:' || url.protocol === 'https:') && this.allowedHosts.has(url.host.toLowerCase()) && url.host.toLowerCase() === request.headers.host?.toLowerCase();
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function safeEqual(a: string, b: string): boolean {
  // Compare digests so that neither the content nor the length leaks through timing.
  const da = createHmac('sha256', 'netops-compare').update(a).digest();
  const db = createHmac('sha256', 'netops-compare').update(b).digest();
  return timingSafeEqual(da, db);
}
