import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../../shared/errors.ts';
import {
  HeaderListImpl,
  removeConnectionHeaders,
  serializeLocalResponse,
  serializeRequestHead,
  serializeResponseHead,
  type RequestHead,
  type ResponseHead,
} from '../../../../electron/engine/gateway/http/index.ts';
import { KNOWN_HEADER_NAMES, lookupHeaderName, nextNameHash } from '../../../../electron/engine/gateway/http/header-names.ts';
import { requestParser, responseParser } from './recorder.ts';

function parseRequest(raw: string): RequestHead {
  const { parser, recorder } = requestParser();
  parser.execute(Buffer.from(raw, 'latin1'));
  if (recorder.error) throw recorder.error;
  return recorder.heads[0] as RequestHead;
}

function parseResponse(raw: string): ResponseHead {
  const { parser, recorder } = responseParser();
  parser.execute(Buffer.from(raw, 'latin1'));
  if (recorder.error) throw recorder.error;
  return recorder.heads[0] as ResponseHead;
}

describe('HeaderListImpl', () => {
  it('gets, sets, appends and removes by lower-case name, keeping order', () => {
    const list = HeaderListImpl.from([
      ['Accept', 'a'],
      ['X-Dup', '1'],
      ['Via', 'v'],
      ['x-dup', '2'],
    ]);
    expect(list.names).toEqual(['accept', 'x-dup', 'via', 'x-dup']);
    expect(list.get('x-dup')).toBe('1');
    expect(list.get('missing')).toBeUndefined();
    list.set('X-Dup', '3');
    expect(list.names).toEqual(['accept', 'x-dup', 'via']);
    expect(list.values).toEqual(['a', '3', 'v']);
    list.set('new', 'n');
    list.append('via', 'w');
    list.remove('VIA');
    expect(list.names).toEqual(['accept', 'x-dup', 'new']);
    expect(list.has('new')).toBe(true);
    list.remove('absent');
    expect(list.values).toEqual(['a', '3', 'n']);
  });

  it('remembers which received lines are left after remove(), and that only set() and append() modify the list', () => {
    const list = parseRequest('GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nA: 3\r\nC: 4\r\nB: 5\r\n\r\n').headers as HeaderListImpl;
    expect(list.rawLines).toBeUndefined();
    list.remove('absent');
    expect(list.rawLines).toBeUndefined();
    list.remove('a');
    expect(list.names).toEqual(['host', 'b', 'c', 'b']);
    expect(list.rawLines).toEqual([0, 2, 4, 5]);
    list.remove('B');
    expect(list.values).toEqual(['h', '4']);
    expect(list.rawLines).toEqual([0, 4]);
    expect(list.rawCount).toBe(6);
    expect(list.modified).toBe(false);
    list.append('d', '6');
    expect(list.modified).toBe(true);
  });

  it('refuses names and values that would break the head', () => {
    const list = new HeaderListImpl();
    for (const [name, value] of [
      ['x', 'a\r\nInjected: 1'],
      ['x', 'a\nb'],
      ['x', 'nul\0'],
      ['bad name', 'v'],
      ['', 'v'],
      ['x:y', 'v'],
      ['x', 'snowman \u2603'],
    ]) {
      expect(() => list.set(name!, value!)).toThrow(expect.objectContaining({ code: ErrorCodes.invalidArgument }));
      expect(() => list.append(name!, value!)).toThrow(expect.objectContaining({ code: ErrorCodes.invalidArgument }));
    }
    expect(list.names).toHaveLength(0);
    list.set('x', 'tab\tand obs-text \u00e9');
    expect(list.get('x')).toBe('tab\tand obs-text \u00e9');
  });
});

describe('known header names', () => {
  it('interns every known name, in any case, and nothing else', () => {
    for (let index = 0; index < KNOWN_HEADER_NAMES.length; index++) {
      const name = KNOWN_HEADER_NAMES[index]!;
      for (const spelled of [name, name.toUpperCase(), name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase())]) {
        const bytes = Buffer.from(spelled, 'latin1');
        let hash = 0;
        for (const byte of Buffer.from(name, 'latin1')) hash = nextNameHash(hash, byte);
        expect(lookupHeaderName(bytes, 0, bytes.length, hash), spelled).toBe(index);
      }
    }
    const other = Buffer.from('x-not-known');
    let hash = 0;
    for (const byte of other) hash = nextNameHash(hash, byte);
    expect(lookupHeaderName(other, 0, other.length, hash)).toBe(-1);
  });

  it('parses to the same names whether interned or not', () => {
    const head = parseRequest('GET / HTTP/1.1\r\nHOST: a\r\nContent-TYPE: t\r\nX-Custom-Name: c\r\nx-lower: l\r\n\r\n');
    expect(head.headers.names).toEqual(['host', 'content-type', 'x-custom-name', 'x-lower']);
  });
});

describe('serializers', () => {
  it('serializes request and response heads as HTTP/1.1', () => {
    const headers = HeaderListImpl.from([
      ['Host', 'a.example'],
      ['X-Two', 'b'],
    ]);
    expect(serializeRequestHead('POST', '/p?q', headers)).toBe('POST /p?q HTTP/1.1\r\nhost: a.example\r\nx-two: b\r\n\r\n');
    expect(serializeResponseHead(200, 'OK', new HeaderListImpl())).toBe('HTTP/1.1 200 OK\r\n\r\n');
  });

  it('serializes a local response with framing the codec owns', () => {
    const out = serializeLocalResponse(
      {
        status: 429,
        headers: [
          ['Retry-After', '1'],
          ['Content-Length', '999'],
          ['Connection', 'upgrade'],
          ['Transfer-Encoding', 'chunked'],
        ],
        body: 'trop de requêtes',
      },
      true,
      false,
    );
    const text = out.toString('utf8');
    expect(text).toBe('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\ncontent-length: 17\r\nconnection: keep-alive\r\n\r\ntrop de requêtes');
    const head = parseResponse(out.toString('latin1'));
    expect(head).toMatchObject({ status: 429, contentLength: 17, keepAlive: true });
  });

  it('leaves the body out for HEAD and 204, and says close when asked', () => {
    expect(serializeLocalResponse({ status: 200, headers: [], body: 'abc' }, false, true).toString()).toBe('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\n');
    expect(serializeLocalResponse({ status: 204, headers: [], body: 'ignored' }, true, false).toString()).toBe('HTTP/1.1 204 No Content\r\nconnection: keep-alive\r\n\r\n');
    expect(serializeLocalResponse({ status: 599, headers: [], body: '' }, true, false).toString()).toContain('HTTP/1.1 599 Unknown\r\n');
  });

  it('refuses a local response that would break the head', () => {
    expect(() => serializeLocalResponse({ status: 302, headers: [['Location', '/a\r\nSet-Cookie: x=1']], body: '' }, true, false)).toThrow(expect.objectContaining({ code: ErrorCodes.invalidArgument }));
    expect(() => serializeLocalResponse({ status: 20, headers: [], body: '' }, true, false)).toThrow(/invalid status/);
  });

  it('removes connection-specific fields, but never framing fields a client names', () => {
    const headers = HeaderListImpl.from([
      ['Host', 'a'],
      ['Connection', 'keep-alive, X-Secret, Content-Length'],
      ['Connection', 'transfer-encoding, upgrade'],
      ['Content-Length', '3'],
      ['X-Secret', 's'],
      ['Keep-Alive', 'timeout=5'],
      ['Proxy-Connection', 'keep-alive'],
      ['Upgrade', 'websocket'],
      ['Accept', '*/*'],
    ]);
    removeConnectionHeaders(headers);
    expect(headers.names).toEqual(['host', 'content-length', 'upgrade', 'accept']);
  });
});

const token = fc.string({ unit: fc.constantFrom(...'!#$%&\'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('')), minLength: 1, maxLength: 16 });
const fieldName = token.filter((name) => !['host', 'content-length', 'transfer-encoding'].includes(name.toLowerCase()));
const fieldValue = fc
  .string({ unit: fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constantFrom(0x20, 0x09)).map((c) => String.fromCharCode(c)), maxLength: 40 })
  .map((value) => value.replace(/^[ \t]+|[ \t]+$/g, ''));
const pathChars = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-._~%!$&\'()*+,;=:@/'.split('')), maxLength: 30 });
const method = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'), token);
const host = fc.constantFrom('example.com', 'api.internal', '127.0.0.1', '[::1]', 'a-b.c_d.example');

describe('round trip', () => {
  it('serialize(parse(head)) gives back a canonical request head byte for byte', () => {
    fc.assert(
      fc.property(method, pathChars, fc.option(pathChars), host, fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 12 }), (m, path, query, hostName, fields) => {
        const target = '/' + path + (query === null ? '' : '?' + query);
        const lowered = fields.map(([n, v]) => [n.toLowerCase(), v] as const);
        const raw = `${m} ${target} HTTP/1.1\r\nhost: ${hostName}\r\n${lowered.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
        const head = parseRequest(raw);
        expect(head.host).toBe(hostName);
        expect(head.path).toBe('/' + path);
        expect(head.query).toBe(query ?? '');
        expect(serializeRequestHead(head.method, head.target, head.headers)).toBe(raw);
      }),
      { numRuns: 500 },
    );
  });

  it('parse(serialize(parse(x))) equals parse(x) for any spelling: case, OWS, HTTP/1.0', () => {
    const spacing = fc.constantFrom('', ' ', '\t', '  \t ');
    fc.assert(
      fc.property(
        method,
        pathChars,
        host,
        fc.array(fc.tuple(fieldName, spacing, fieldValue, spacing), { maxLength: 12 }),
        fc.boolean(),
        (m, path, hostName, fields, http10) => {
          const raw = `${m} /${path} HTTP/1.${http10 ? 0 : 1}\r\nHost: ${hostName}\r\n${fields.map(([n, before, v, after]) => `${n}:${before}${v}${after}\r\n`).join('')}\r\n`;
          const first = parseRequest(raw);
          const again = parseRequest(serializeRequestHead(first.method, first.target, first.headers));
          expect(again.headers.names).toEqual(first.headers.names);
          expect(again.headers.values).toEqual(first.headers.values);
          // The bytes differ by spelling; where they sit is checked by the split tests (see portableRequestHead).
          const positions = { raw: undefined, rawStart: 0, fieldsStart: 0, fieldsEnd: 0, hostStart: 0, hostEnd: 0, requestLine: '', fieldLines: '', hostValue: '' };
          expect({ ...again, headers: undefined, versionMinor: 1, keepAlive: true, headBytes: 0, ...positions }).toEqual({ ...first, headers: undefined, versionMinor: 1, keepAlive: true, headBytes: 0, ...positions });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('response heads round-trip too', () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 599 }), fieldValue, fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 12 }), (status, reason, fields) => {
        const raw = `HTTP/1.1 ${status} ${reason}\r\n${fields.map(([n, v]) => `${n.toLowerCase()}: ${v}\r\n`).join('')}\r\n`;
        const head = parseResponse(raw);
        expect(serializeResponseHead(head.status, head.reason, head.headers)).toBe(raw);
      }),
      { numRuns: 300 },
    );
  });
});
