import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { startConsole } from '../../electron/headless/index.ts';
import { dataDirPaths } from '../../electron/engine/store/index.ts';
import { openRawSocket, startTestConsole, type TestConsole } from '../helpers/console.ts';

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly the headers given (Host included), on a fresh connection. */
function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The status line the console answers raw request bytes with. */
function rawStatusLine(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(raw));
    let text = '';
    socket.setEncoding('latin1');
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\r\n')) {
        resolve(text.slice(0, text.indexOf('\r\n')));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

/** Resolves with the HTTP status an upgrade was refused with, or 101 if it opened (the socket is then closed). */
async function upgradeStatus(origin: string, options: Parameters<typeof openRawSocket>[1]): Promise<number> {
  let socket: WebSocket;
  try {
    socket = await openRawSocket(origin, options);
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === undefined) throw error;
    return status;
  }
  socket.close();
  return 101;
}

const INDEX_HTML = '<!doctype html><title>NetOps test page</title><p>netops-auth-test-marker</p>\n';

let c: TestConsole;
let port: number;
let host: string;
let sessionCookie: string;

beforeAll(async () => {
  c = await startTestConsole();
  port = Number(new URL(c.origin).port);
  host = `127.0.0.1:${port}`;
  // StaticFiles caches misses, so the page must exist before the first request for it.
  await mkdir(join(c.dataDir, 'ui'), { recursive: true });
  await writeFile(join(c.dataDir, 'ui', 'index.html'), INDEX_HTML);
  await writeFile(join(c.dataDir, 'ui', 'app.js'), 'console.log(1);\n');
});

afterAll(async () => {
  await c?.close();
});

describe('without a token', () => {
  it('the page is 401 and does not leak the page or the token', async () => {
    for (const path of ['/', '/index.html', '/app.js', '/session', '/rpc']) {
      const reply = await get(port, path, { Host: host });
      expect(reply.status, path).toBe(401);
      expect(reply.body).not.toContain('netops-auth-test-marker');
      expect(reply.body).not.toContain(c.token);
      expect(reply.headers['set-cookie']).toBeUndefined();
    }
  });

  it('the WebSocket upgrade is 401, for a browser (same-origin Origin) and for a script (no Origin)', async () => {
    expect(await upgradeStatus(c.origin, { origin: c.origin })).toBe(401);
    expect(await upgradeStatus(c.origin, {})).toBe(401);
  });

  it('GET /healthz answers 200 with no token and no secrets', async () => {
    const reply = await get(port, '/healthz', { Host: host });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ status: 'ok' });
    expect(reply.body).not.toContain(c.token);
  });
});

describe('with a wrong token', () => {
  it('?token= on the page is 401 and sets no cookie', async () => {
    for (const wrong of ['nope', c.token.slice(0, -1), `${c.token}x`, c.token.toUpperCase(), '']) {
      const reply = await get(port, `/?token=${encodeURIComponent(wrong)}`, { Host: host });
      expect(reply.status, wrong).toBe(401);
      expect(reply.headers['set-cookie']).toBeUndefined();
    }
  });

  it('a wrong bearer on the socket is 401 (so the CLI can say "wrong token")', async () => {
    expect(await upgradeStatus(c.origin, { bearer: 'nope' })).toBe(401);
    expect(await upgradeStatus(c.origin, { bearer: `${c.token}x` })).toBe(401);
  });

  it('a forged session cookie opens neither the page nor the socket', async () => {
    const forged = 'netops_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    expect((await get(port, '/', { Host: host, Cookie: forged })).status).toBe(401);
    // The token itself is not the cookie value.
    expect((await get(port, '/', { Host: host, Cookie: `netops_session=${c.token}` })).status).toBe(401);
    expect(await upgradeStatus(c.origin, { cookie: forged, origin: c.origin })).toBe(401);
  });
});

describe('with the right token', () => {
  it('?token= answers 303 with a strict HttpOnly cookie and a Location without the token', async () => {
    const reply = await get(port, `/connections?token=${c.token}&tab=live`, { Host: host });
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/connections?tab=live');
    expect(reply.headers.location).not.toContain(c.token);
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers['referrer-policy']).toBe('no-referrer');

    const cookies = reply.headers['set-cookie'] ?? [];
    expect(cookies).toHaveLength(1);
    const parts = cookies[0]!.split(';').map((part) => part.trim());
    const [pair, ...attributes] = parts;
    expect(pair).toMatch(/^netops_session=[A-Za-z0-9_-]{20,}$/);
    // The cookie is derived from the token, not the token itself.
    expect(pair).not.toContain(c.token);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));
    sessionCookie = pair!;

    const bare = await get(port, `/?token=${c.token}`, { Host: host });
    expect(bare.status).toBe(303);
    expect(bare.headers.location).toBe('/');
  });

  it('the Location stays on this console whatever the path normalizes to (no open redirect)', async () => {
    for (const path of ['/.//evil.example/', '/..//evil.example/', '//evil.example/x/..//evil.example/']) {
      const reply = await get(port, `${path}?token=${c.token}`, { Host: host });
      expect(reply.status, path).toBe(303);
      expect(reply.headers.location, path).toMatch(/^\/(?![/\\])/);
    }
  });

  it('the cookie opens the page with strict security headers', async () => {
    expect(sessionCookie).toBeDefined();
    const reply = await get(port, '/', { Host: host, Cookie: sessionCookie });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(INDEX_HTML);
    expect(reply.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(reply.headers['content-security-policy']);
    const directives = csp.split(';').map((d) => d.trim());
    expect(directives).toContain("default-src 'self'");
    expect(directives).toContain("frame-ancestors 'none'");
    expect(directives).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(reply.headers['x-frame-options']).toBe('DENY');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['cache-control']).toBe('no-store');

    // The SPA fallback serves the page for client-side routes, with the same headers.
    const route = await get(port, '/connections/abc', { Host: host, Cookie: `other=1; ${sessionCookie}; more=2` });
    expect(route.status).toBe(200);
    expect(route.body).toBe(INDEX_HTML);
    expect(route.headers['x-frame-options']).toBe('DENY');

    const script = await get(port, '/app.js', { Host: host, Cookie: sessionCookie });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await get(port, '/missing.js', { Host: host, Cookie: sessionCookie })).status).toBe(404);
  });

  it('only GET and HEAD are allowed on the page', async () => {
    expect((await get(port, '/', { Host: host, Cookie: sessionCookie }, 'HEAD')).status).toBe(200);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      expect((await get(port, '/', { Host: host, Cookie: sessionCookie }, method)).status, method).toBe(405);
    }
  });

  it('the cookie opens the WebSocket with a same-origin Origin, also when reached as localhost', async () => {
    expect(await upgradeStatus(c.origin, { cookie: sessionCookie, origin: c.origin })).toBe(101);
    expect(await upgradeStatus(c.origin, { cookie: sessionCookie, origin: `http://localhost:${port}`, host: `localhost:${port}` })).toBe(101);
    expect(await upgradeStatus(c.origin, { bearer: c.token })).toBe(101);
  });

  it('a foreign Origin is 403 even with a valid cookie or bearer (cross-site WebSocket hijacking)', async () => {
    for (const origin of ['http://evil.example', `http://evil.example:${port}`, `http://localhost:${port}`, 'null', `file://`, `http://127.0.0.1:${port + 1}`]) {
      expect(await upgradeStatus(c.origin, { cookie: sessionCookie, origin }), origin).toBe(403);
    }
    expect(await upgradeStatus(c.origin, { bearer: c.token, origin: 'http://evil.example' })).toBe(403);
  });

  it('a cookie without a bearer and without an Origin is not enough for the socket', async () => {
    // Browsers always send Origin on an upgrade; only the CLI sends none, and it carries the bearer.
    expect(await upgradeStatus(c.origin, { cookie: sessionCookie })).not.toBe(101);
  });
});

describe('DNS rebinding: a Host that is not ours', () => {
  it('is 421 for the page, even with a valid cookie or token', async () => {
    for (const foreign of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, `127.0.0.1.evil.example:${port}`]) {
      const withCookie = await get(port, '/', { Host: foreign, Cookie: sessionCookie });
      expect(withCookie.status, foreign).toBe(421);
      expect(withCookie.body).not.toContain('netops-auth-test-marker');
      const withToken = await get(port, `/?token=${c.token}`, { Host: foreign });
      expect(withToken.status, foreign).toBe(421);
      expect(withToken.headers['set-cookie']).toBeUndefined();
    }
  });

  it('is 421 for the socket, even with a valid bearer', async () => {
    expect(await upgradeStatus(c.origin, { bearer: c.token, host: `evil.example:${port}` })).toBe(421);
    expect(await upgradeStatus(c.origin, { cookie: sessionCookie, host: `evil.example:${port}`, origin: `http://evil.example:${port}` })).toBe(421);
  });

  it('a request with two Host headers, or none, is 400 for the page and the socket', async () => {
    const answers = [
      `GET /?token=${c.token} HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\n\r\n`,
      `GET /?token=${c.token} HTTP/1.1\r\nHost: evil.example\r\nHost: ${host}\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: ${host}\r\nHost: ${host}\r\nCookie: ${sessionCookie}\r\n\r\n`,
      `GET / HTTP/1.0\r\nCookie: ${sessionCookie}\r\n\r\n`,
      `GET /rpc HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\nAuthorization: Bearer ${c.token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    ].map((raw) => rawStatusLine(port, raw));
    for (const line of await Promise.all(answers)) expect(line).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('our own names are accepted, in any case', async () => {
    for (const ours of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      expect((await get(port, '/', { Host: ours, Cookie: sessionCookie })).status, ours).toBe(200);
    }
  });
});

describe('path traversal', () => {
  const attempts = [
    '/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/..%5c..%5cetc%5cpasswd',
    '/....//....//etc/passwd',
    '/%252e%252e/%252e%252e/etc/passwd',
    '/..%2fconsole-token',
    '/%2e%2e%2fconsole-token',
    '/..%2ftest-config.yaml',
    '/..%2finstance.json',
    '/ui/..%2f..%2fconsole-token',
    '/index.html%00.js',
    '/%c0%ae%c0%ae/console-token',
  ];

  it('never serves a file outside the UI dir (the token sits one level up)', async () => {
    const token = (await readFile(dataDirPaths(c.dataDir).token, 'utf8')).trim();
    const passwd = await readFile('/etc/passwd', 'utf8').catch(() => 'root:x:0:0');
    for (const path of attempts) {
      const reply = await get(port, path, { Host: host, Cookie: sessionCookie });
      expect([200, 400, 404], `${path} -> ${reply.status}`).toContain(reply.status);
      expect(reply.body, path).not.toContain(token);
      expect(reply.body, path).not.toContain('listeners:');
      expect(reply.body, path).not.toContain(passwd.split('\n')[0]!);
      // Anything served is the UI itself (the client-side-route fallback).
      if (reply.status === 200) expect(reply.body, path).toBe(INDEX_HTML);
    }
  });
});

describe('files in the data dir', () => {
  it.runIf(process.platform !== 'win32')('the token file is 0600 and the data dir 0700', async () => {
    expect((await stat(dataDirPaths(c.dataDir).token)).mode & 0o777).toBe(0o600);
    expect((await stat(c.dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(dataDirPaths(c.dataDir).instance)).mode & 0o777).toBe(0o600);
  });

  it('the token in the file is the one in the console URL', async () => {
    expect((await readFile(dataDirPaths(c.dataDir).token, 'utf8')).trim()).toBe(c.token);
  });

  it('a restart on the same data dir reuses the token, so the cookie and bookmarked URL keep working', async () => {
    const dataDir = c.dataDir;
    await c.running.stop();
    const restarted = await startConsole({
      dataDir,
      configFile: join(dataDir, 'test-config.yaml'),
      uiPort: 0,
      host: '127.0.0.1',
      uiDir: join(dataDir, 'ui'),
      log: () => undefined,
    });
    try {
      const url = new URL(restarted.url);
      expect(url.searchParams.get('token')).toBe(c.token);
      const newPort = Number(url.port);
      const reply = await get(newPort, '/', { Host: `127.0.0.1:${newPort}`, Cookie: sessionCookie });
      expect(reply.status).toBe(200);
      expect(reply.body).toBe(INDEX_HTML);
    } finally {
      await restarted.stop();
    }
  });
});
