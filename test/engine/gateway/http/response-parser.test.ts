import { describe, expect, it } from 'vitest';
import { type ResponseHead } from '../../../../electron/engine/gateway/http/index.ts';
import { crlf, responseParser } from './recorder.ts';

function parse(raw: string | Buffer, method = 'GET') {
  const { parser, recorder } = responseParser();
  parser.setRequestMethod(method);
  parser.execute(typeof raw === 'string' ? crlf(raw) : raw);
  return { parser, recorder, head: recorder.heads[0] as ResponseHead | undefined };
}

describe('ResponseParser', () => {
  it('parses a status line, fields and a Content-Length body', () => {
    const { recorder, head } = parse('HTTP/1.1 404 Not Found\nContent-Type: text/plain\nContent-Length: 3\n\nnop');
    expect(head).toMatchObject({ status: 404, reason: 'Not Found', versionMinor: 1, contentLength: 3, chunked: false, keepAlive: true, hasBody: true, upgrade: false, untilClose: false });
    expect(head!.headers.names).toEqual(['content-type', 'content-length']);
    expect(recorder.normalized()).toMatchObject([{ type: 'head' }, { type: 'body', text: 'nop' }, { type: 'end' }]);
  });

  it('hasField finds names in any case without making the fields, and agrees with the fields once made', () => {
    const raw = 'HTTP/1.1 200 OK\nContent-Type: text/plain\nX-Custom-Thing: a\nRateLimit-Policy: "x";q=1\nContent-Length: 0\n\n';
    const asked = ['content-type', 'x-custom-thing', 'ratelimit-policy', 'content-length', 'x-custom-thin', 'x-custom-things', 'ratelimit', 'server', ''];
    const want = [true, true, true, true, false, false, false, false, false];
    const lazy = parse(raw).head!;
    expect(asked.map((name) => lazy.hasField(name))).toEqual(want);
    const built = parse(raw).head!;
    expect(built.headers.names).toEqual(['content-type', 'x-custom-thing', 'ratelimit-policy', 'content-length']);
    expect(asked.map((name) => built.hasField(name))).toEqual(want);
  });

  it('heads kept unread keep their own fields while later heads are parsed, across slabs of kept slots and with more fields than a slab holds', () => {
    // Every head on one keep-alive connection, none read until all are parsed: the kept slots of early
    // heads must survive everything parsed after them (the slab holds 16,384 ints, 5 a field).
    const { parser, recorder } = responseParser({ maxHeaderBytes: 1 << 20 });
    const fieldsOf = (i: number) => (i === 700 ? 3_500 : 1 + (i % 9));
    let raw = '';
    for (let i = 0; i < 1_500; i++) {
      raw += 'HTTP/1.1 200 OK\n';
      for (let f = 0; f < fieldsOf(i); f++) raw += `X-F${f}-${i}: v${i}.${f}\n`;
      raw += 'Content-Length: 0\n\n';
    }
    parser.execute(crlf(raw));
    const heads = recorder.heads as ResponseHead[];
    expect(heads).toHaveLength(1_500);
    for (const i of [0, 1, 699, 700, 701, 1_499]) {
      expect(heads[i]!.hasField(`x-f0-${i}`)).toBe(true);
      expect(heads[i]!.hasField(`x-f0-${i + 1}`)).toBe(false);
    }
    heads.forEach((head, i) => {
      const names = Array.from({ length: fieldsOf(i) }, (_, f) => `x-f${f}-${i}`);
      expect(head.headers.names).toEqual([...names, 'content-length']);
      expect(head.headers.get(`x-f${fieldsOf(i) - 1}-${i}`)).toBe(`v${i}.${fieldsOf(i) - 1}`);
    });
  });

  it.each([
    ['HTTP/1.1 200 OK\n', 200, 'OK'],
    ['HTTP/1.1 200 \n', 200, ''],
    ['HTTP/1.1 200\n', 200, ''],
    ['HTTP/1.0 503 Service Unavailable (busy)\n', 503, 'Service Unavailable (busy)'],
    ['HTTP/1.1 599 x\ty\n', 599, 'x\ty'],
  ])('status line %j', (line, status, reason) => {
    const head = parse(line + 'Content-Length: 0\n\n').head!;
    expect(head.status).toBe(status);
    expect(head.reason).toBe(reason);
  });

  it.each([
    ['HTTP/1.1 20 OK\n', 'bad-response'],
    ['HTTP/1.1 099 Low\n', 'bad-response'],
    ['HTTP/1.1 2000 OK\n', 'bad-response'],
    ['HTTP/1.1  200 OK\n', 'bad-response'],
    ['HTTP/1.1 200 O\u0001K\n', 'bad-response'],
    ['HTTP/2.0 200 OK\n', 'version-not-supported'],
    ['ICY 200 OK\n', 'bad-response'],
  ])('refuses status line %j with a 502', (line, kind) => {
    const { recorder } = parse(line + 'Content-Length: 0\n\n');
    expect(recorder.error).toMatchObject({ kind, status: 502 });
  });

  it.each([
    ['CL and TE', 'HTTP/1.1 200 OK\nContent-Length: 3\nTransfer-Encoding: chunked\n\n'],
    ['differing CL', 'HTTP/1.1 200 OK\nContent-Length: 3\nContent-Length: 5\n\n'],
    ['chunked twice', 'HTTP/1.1 200 OK\nTransfer-Encoding: chunked, chunked\n\n'],
    ['obs-fold', 'HTTP/1.1 200 OK\nX-A: 1\n 2\nContent-Length: 0\n\n'],
    ['space before colon', 'HTTP/1.1 200 OK\nContent-Length : 0\n\n'],
  ])('refuses %s with a 502', (_name, raw) => {
    expect(parse(raw).recorder.error).toMatchObject({ kind: 'bad-response', status: 502 });
  });

  it('refuses an oversized head with header-too-large, still a 502', () => {
    const { parser, recorder } = responseParser({ maxHeaderBytes: 256 });
    parser.execute(Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(300)}\r\n\r\n`));
    expect(recorder.error).toMatchObject({ kind: 'header-too-large', status: 502 });
  });

  it('passes a chunked body through raw', () => {
    const body = '4\r\nabcd\r\n0\r\n\r\n';
    const { recorder, head } = parse(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' + body));
    expect(head).toMatchObject({ chunked: true, contentLength: -1, hasBody: true, keepAlive: true });
    expect(recorder.normalized()).toMatchObject([{ type: 'head' }, { type: 'body', text: body }, { type: 'end' }]);
  });

  it('reads a body without framing until the upstream closes', () => {
    const { parser, recorder, head } = parse('HTTP/1.1 200 OK\nContent-Type: text/html\n\n<html>');
    expect(head).toMatchObject({ untilClose: true, keepAlive: false, hasBody: true });
    parser.execute(Buffer.from('</html>'));
    expect(recorder.events.map((e) => e.type)).toEqual(['head', 'body', 'body']);
    parser.finish();
    expect(recorder.normalized()).toMatchObject([{ type: 'head' }, { type: 'body', text: '<html></html>' }, { type: 'end' }]);
  });

  it('reads until close when the codings do not end in chunked, or in HTTP/1.0', () => {
    expect(parse('HTTP/1.1 200 OK\nTransfer-Encoding: gzip\n\n').head).toMatchObject({ untilClose: true, chunked: false, keepAlive: false });
    expect(parse('HTTP/1.0 200 OK\nTransfer-Encoding: chunked\n\n').head).toMatchObject({ untilClose: true, chunked: false });
  });

  it('keep-alive follows the version and Connection', () => {
    expect(parse('HTTP/1.1 200 OK\nContent-Length: 0\nConnection: close\n\n').head!.keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\nContent-Length: 0\n\n').head!.keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\nContent-Length: 0\nConnection: keep-alive\n\n').head!.keepAlive).toBe(true);
  });

  it('has no body after HEAD, 204 or 304, whatever the framing fields say', () => {
    for (const [raw, method] of [
      ['HTTP/1.1 200 OK\nContent-Length: 100\n\n', 'HEAD'],
      ['HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n', 'HEAD'],
      ['HTTP/1.1 204 No Content\n\n', 'GET'],
      ['HTTP/1.1 304 Not Modified\nContent-Length: 100\n\n', 'GET'],
    ] as const) {
      const { recorder, head } = parse(raw, method);
      expect(head!.hasBody).toBe(false);
      expect(head!.keepAlive).toBe(true);
      expect(recorder.events.map((e) => e.type)).toEqual(['head', 'end']);
    }
  });

  it('forgets HEAD after its response', () => {
    const { recorder } = parse('HTTP/1.1 200 OK\nContent-Length: 2\n\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok', 'HEAD');
    expect(recorder.normalized()).toMatchObject([{ type: 'head' }, { type: 'end' }, { type: 'head' }, { type: 'body', text: 'ok' }, { type: 'end' }]);
  });

  it('emits interim 1xx heads without an end, then the final response', () => {
    const { recorder } = parse('HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\nContent-Length: 1\n\nx');
    expect(recorder.normalized()).toMatchObject([{ type: 'head', status: 100, hasBody: false }, { type: 'head', status: 200 }, { type: 'body', text: 'x' }, { type: 'end' }]);
  });

  it('ends HTTP at 101 and hands the rest to the tunnel', () => {
    const { parser, recorder, head } = parse(Buffer.concat([crlf('HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\n'), Buffer.from([0x81, 0x00])]));
    expect(head).toMatchObject({ status: 101, upgrade: true, hasBody: false });
    expect(recorder.events.map((e) => e.type)).toEqual(['head']);
    expect(parser.execute(Buffer.from([0x82, 0x00]))).toBe(false);
    expect(parser.takeRemaining()).toEqual(Buffer.from([0x81, 0x00, 0x82, 0x00]));
    parser.finish();
    expect(recorder.events).toHaveLength(1);
  });

  it('reports an upstream that closes mid-response', () => {
    for (const partial of ['HTTP/1.1 200 OK\nContent-Length: 10\n\nabc', 'HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n', 'HTTP/1.1 200 OK\nContent-']) {
      const { parser, recorder } = parse(partial);
      parser.finish();
      expect(recorder.error).toMatchObject({ kind: 'bad-response', status: 502 });
    }
  });

  it('says nothing when the upstream closes an idle connection', () => {
    const { parser, recorder } = parse('HTTP/1.1 200 OK\nContent-Length: 0\n\n');
    expect(parser.isIdle).toBe(true);
    parser.finish();
    expect(recorder.events.map((e) => e.type)).toEqual(['head', 'end']);
  });
});
