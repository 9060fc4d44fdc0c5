import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../../shared/errors.ts';
import { type RequestHead } from '../../../../electron/engine/gateway/http/index.ts';
import { crlf, feed, requestParser } from './recorder.ts';

function parseOne(raw: Buffer | string, options = {}) {
  const { parser, recorder } = requestParser(options);
  parser.execute(typeof raw === 'string' ? crlf(raw) : raw);
  return { parser, recorder, head: recorder.heads[0] as RequestHead | undefined, error: recorder.error };
}

describe('RequestParser: valid heads', () => {
  it('parses a GET with its fields, in order, names lower-cased, values trimmed', () => {
    const { head, recorder } = parseOne('GET /a/b?x=1&y=2 HTTP/1.1\nHost: Example.COM:8080\nX-Thing:   spaced value \t\nAccept: */*\nx-thing: second\nEmpty:\n\n');
    expect(recorder.events.map((e) => e.type)).toEqual(['head', 'end']);
    expect(head).toMatchObject({
      method: 'GET',
      target: '/a/b?x=1&y=2',
      path: '/a/b',
      query: 'x=1&y=2',
      versionMinor: 1,
      host: 'example.com',
      contentLength: -1,
      chunked: false,
      keepAlive: true,
      upgrade: false,
      expectContinue: false,
    });
    expect(head!.headers.names).toEqual(['host', 'x-thing', 'accept', 'x-thing', 'empty']);
    expect(head!.headers.values).toEqual(['Example.COM:8080', 'spaced value', '*/*', 'second', '']);
    expect(head!.headers.get('x-thing')).toBe('spaced value');
    expect(head!.headBytes).toBe(crlf('GET /a/b?x=1&y=2 HTTP/1.1\nHost: Example.COM:8080\nX-Thing:   spaced value \t\nAccept: */*\nx-thing: second\nEmpty:\n\n').length);
  });

  it.each([
    ['HTTP/1.1 default', 'GET / HTTP/1.1\nHost: a\n\n', true],
    ['HTTP/1.1 close', 'GET / HTTP/1.1\nHost: a\nConnection: close\n\n', false],
    ['HTTP/1.1 close among tokens', 'GET / HTTP/1.1\nHost: a\nConnection: TE, Close\n\n', false],
    ['HTTP/1.0 default', 'GET / HTTP/1.0\n\n', false],
    ['HTTP/1.0 keep-alive', 'GET / HTTP/1.0\nConnection: Keep-Alive\n\n', true],
    ['HTTP/1.0 keep-alive and close', 'GET / HTTP/1.0\nConnection: keep-alive, close\n\n', false],
  ])('keep-alive: %s', (_name, raw, keepAlive) => {
    expect(parseOne(raw).head!.keepAlive).toBe(keepAlive);
  });

  it.each([
    ['websocket handshake', 'GET /ws HTTP/1.1\nHost: a\nConnection: keep-alive, Upgrade\nUpgrade: websocket\n\n', true],
    ['Upgrade without Connection token', 'GET /ws HTTP/1.1\nHost: a\nUpgrade: websocket\n\n', false],
    ['Connection token without Upgrade', 'GET /ws HTTP/1.1\nHost: a\nConnection: upgrade\n\n', false],
  ])('upgrade: %s', (_name, raw, upgrade) => {
    expect(parseOne(raw).head!.upgrade).toBe(upgrade);
  });

  it('flags Expect: 100-continue, in any case', () => {
    expect(parseOne('POST / HTTP/1.1\nHost: a\nExpect: 100-Continue\nContent-Length: 1\n\nx').head!.expectContinue).toBe(true);
    expect(parseOne('POST / HTTP/1.1\nHost: a\nExpect: something\nContent-Length: 1\n\nx').head!.expectContinue).toBe(false);
  });

  it('splits an absolute-form target into host, path and query; the target host wins over Host', () => {
    const head = parseOne('GET HTTP://Upstream.Example:81/p/q?k=v HTTP/1.1\nHost: other\n\n').head!;
    expect(head).toMatchObject({ target: 'HTTP://Upstream.Example:81/p/q?k=v', host: 'upstream.example', path: '/p/q', query: 'k=v' });
    expect(parseOne('GET https://h.example HTTP/1.1\nHost: h.example\n\n').head).toMatchObject({ host: 'h.example', path: '/', query: '' });
    expect(parseOne('GET http://h.example?x HTTP/1.1\nHost: h.example\n\n').head).toMatchObject({ host: 'h.example', path: '/', query: 'x' });
    expect(parseOne('GET http://[::1]:8080/ HTTP/1.1\nHost: x\n\n').head!.host).toBe('[::1]');
  });

  it('accepts OPTIONS *, HTTP/1.0 without Host, an IPv6 Host, an empty Host and other methods', () => {
    expect(parseOne('OPTIONS * HTTP/1.1\nHost: a\n\n').head).toMatchObject({ method: 'OPTIONS', path: '*', query: '' });
    expect(parseOne('GET / HTTP/1.0\n\n').head).toMatchObject({ versionMinor: 0, host: '' });
    expect(parseOne('GET / HTTP/1.1\nHost: [2001:DB8::1]:443\n\n').head!.host).toBe('[2001:db8::1]');
    expect(parseOne('GET / HTTP/1.1\nHost:\n\n').head!.host).toBe('');
    for (const method of ['PUT', 'POST', 'HEAD', 'PATCH', 'DELETE', 'PROPFIND', 'M-SEARCH']) {
      expect(parseOne(`${method} / HTTP/1.1\nHost: a\n\n`).head!.method).toBe(method);
    }
  });

  it('keeps obs-text bytes (raw UTF-8 in a path, latin1 in a value) byte for byte', () => {
    const raw = Buffer.concat([Buffer.from('GET /caf'), Buffer.from('é', 'utf8'), Buffer.from(' HTTP/1.1\r\nHost: a\r\nX-V: \xe9t\xe9\r\n\r\n', 'latin1')]);
    const head = parseOne(raw).head!;
    expect(Buffer.from(head.path, 'latin1')).toEqual(Buffer.from('/café', 'utf8'));
    expect(Buffer.from(head.headers.get('x-v')!, 'latin1')).toEqual(Buffer.from([0xe9, 0x74, 0xe9]));
  });

  it('skips empty lines before a request (RFC 9112 2.2), even split', () => {
    const { parser, recorder } = requestParser();
    feed(parser, crlf('\n\nGET / HTTP/1.1\nHost: a\n\n'), [1, 3]);
    expect(recorder.heads).toHaveLength(1);
    expect(recorder.error).toBeUndefined();
  });

  it('accepts identical repeated Content-Length values', () => {
    expect(parseOne('POST / HTTP/1.1\nHost: a\nContent-Length: 3, 3\nContent-Length: 3\n\nabc').head!.contentLength).toBe(3);
  });
});

describe('RequestParser: refused requests', () => {
  const cases: Array<[string, string | Buffer, string, number]> = [
    ['CL and TE', 'POST / HTTP/1.1\nHost: a\nContent-Length: 3\nTransfer-Encoding: chunked\n\n', 'bad-request', 400],
    ['TE and CL', 'POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\nContent-Length: 3\n\n', 'bad-request', 400],
    ['differing CL headers', 'POST / HTTP/1.1\nHost: a\nContent-Length: 3\nContent-Length: 4\n\n', 'bad-request', 400],
    ['differing CL list', 'POST / HTTP/1.1\nHost: a\nContent-Length: 3, 4\n\n', 'bad-request', 400],
    ['non-numeric CL', 'POST / HTTP/1.1\nHost: a\nContent-Length: 3a\n\n', 'bad-request', 400],
    ['negative CL', 'POST / HTTP/1.1\nHost: a\nContent-Length: -1\n\n', 'bad-request', 400],
    ['hex CL', 'POST / HTTP/1.1\nHost: a\nContent-Length: 0x10\n\n', 'bad-request', 400],
    ['empty CL', 'POST / HTTP/1.1\nHost: a\nContent-Length:\n\n', 'bad-request', 400],
    ['huge CL', 'POST / HTTP/1.1\nHost: a\nContent-Length: 1234567890123456\n\n', 'bad-request', 400],
    ['TE gzip', 'POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\n\n', 'bad-request', 400],
    ['TE chunked then gzip', 'POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked, gzip\n\n', 'bad-request', 400],
    ['TE chunked twice', 'POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked, chunked\n\n', 'bad-request', 400],
    ['TE chunked over two lines then gzip', 'POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\nTransfer-Encoding: gzip\n\n', 'bad-request', 400],
    ['TE xchunked', 'POST / HTTP/1.1\nHost: a\nTransfer-Encoding: xchunked\n\n', 'bad-request', 400],
    ['TE chunked with a parameter', 'POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked;q=1\n\n', 'bad-request', 400],
    ['TE empty', 'POST / HTTP/1.1\nHost: a\nTransfer-Encoding:\n\n', 'bad-request', 400],
    ['TE in HTTP/1.0', 'POST / HTTP/1.0\nTransfer-Encoding: chunked\n\n', 'bad-request', 400],
    ['obs-fold', 'GET / HTTP/1.1\nHost: a\nX-A: one\n two\n\n', 'bad-request', 400],
    ['obs-fold with tab', 'GET / HTTP/1.1\nHost: a\nX-A: one\n\ttwo\n\n', 'bad-request', 400],
    ['space before colon', 'GET / HTTP/1.1\nHost: a\nContent-Length : 3\n\n', 'bad-request', 400],
    ['tab before colon', 'GET / HTTP/1.1\nHost: a\nX-A\t: 3\n\n', 'bad-request', 400],
    ['empty header name', 'GET / HTTP/1.1\nHost: a\n: v\n\n', 'bad-request', 400],
    ['invalid char in header name', 'GET / HTTP/1.1\nHost: a\nX(A): v\n\n', 'bad-request', 400],
    ['line without colon', 'GET / HTTP/1.1\nHost: a\nno colon here\n\n', 'bad-request', 400],
    ['NUL in value', 'GET / HTTP/1.1\nHost: a\nX-A: a\u0000b\n\n', 'bad-request', 400],
    ['DEL in value', 'GET / HTTP/1.1\nHost: a\nX-A: a\u007fb\n\n', 'bad-request', 400],
    ['bare CR in value', 'GET / HTTP/1.1\nHost: a\nX-A: a\rb\n\n', 'bad-request', 400],
    ['invalid method char', 'G@T / HTTP/1.1\nHost: a\n\n', 'bad-request', 400],
    ['method with a space before', ' GET / HTTP/1.1\nHost: a\n\n', 'bad-request', 400],
    ['two spaces after method', 'GET  / HTTP/1.1\nHost: a\n\n', 'bad-request', 400],
    ['relative target', 'GET a/b HTTP/1.1\nHost: a\n\n', 'bad-request', 400],
    ['authority-form (CONNECT)', 'CONNECT example.com:443 HTTP/1.1\nHost: example.com:443\n\n', 'bad-request', 400],
    ['* for GET', 'GET * HTTP/1.1\nHost: a\n\n', 'bad-request', 400],
    ['fragment in target', 'GET /a#frag HTTP/1.1\nHost: a\n\n', 'bad-request', 400],
    ['control char in target', 'GET /a\u0001 HTTP/1.1\nHost: a\n\n', 'bad-request', 400],
    ['ftp absolute-form', 'GET ftp://a/ HTTP/1.1\nHost: a\n\n', 'bad-request', 400],
    ['absolute-form with userinfo', 'GET http://u:p@a/ HTTP/1.1\nHost: a\n\n', 'bad-request', 400],
    ['absolute-form without host', 'GET http:///x HTTP/1.1\nHost: a\n\n', 'bad-request', 400],
    ['missing Host in 1.1', 'GET / HTTP/1.1\nAccept: */*\n\n', 'bad-request', 400],
    ['two Host headers', 'GET / HTTP/1.1\nHost: a\nHost: b\n\n', 'bad-request', 400],
    ['Host with a path', 'GET / HTTP/1.1\nHost: a/b\n\n', 'bad-request', 400],
    ['Host with userinfo', 'GET / HTTP/1.1\nHost: u@a\n\n', 'bad-request', 400],
    ['Host with a bad port', 'GET / HTTP/1.1\nHost: a:8x\n\n', 'bad-request', 400],
    ['Host with a space', 'GET / HTTP/1.1\nHost: a b\n\n', 'bad-request', 400],
    ['malformed version', 'GET / HTTX/1.1\nHost: a\n\n', 'bad-request', 400],
    ['lower-case version', 'GET / http/1.1\nHost: a\n\n', 'bad-request', 400],
    ['missing version', 'GET /\nHost: a\n\n', 'bad-request', 400],
    ['trailing space after version', 'GET / HTTP/1.1 \nHost: a\n\n', 'bad-request', 400],
    ['HTTP/2.0', 'GET / HTTP/2.0\nHost: a\n\n', 'version-not-supported', 505],
    ['HTTP/1.2', 'GET / HTTP/1.2\nHost: a\n\n', 'version-not-supported', 505],
    ['HTTP/0.9', 'GET / HTTP/0.9\nHost: a\n\n', 'version-not-supported', 505],
    ['bare LF everywhere', Buffer.from('GET / HTTP/1.1\nHost: a\n\n'), 'bad-request', 400],
    ['bare LF after the request line', Buffer.from('GET / HTTP/1.1\nHost: a\r\n\r\n'), 'bad-request', 400],
    ['bare LF after a field', Buffer.from('GET / HTTP/1.1\r\nHost: a\n\r\n'), 'bad-request', 400],
    ['bare LF as the empty line', Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\n'), 'bad-request', 400],
    ['bare LF before the request', Buffer.from('\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'), 'bad-request', 400],
    ['CR without LF before the request', Buffer.from('\rGET / HTTP/1.1\r\nHost: a\r\n\r\n'), 'bad-request', 400],
  ];

  it.each(cases)('%s', (_name, raw, kind, status) => {
    const { recorder } = parseOne(raw);
    expect(recorder.heads).toHaveLength(0);
    expect(recorder.events).toHaveLength(1);
    expect(recorder.error).toMatchObject({ kind, status, code: ErrorCodes.protocol });
  });

  it.each(cases)('%s, fed one byte at a time', (_name, raw, kind) => {
    const { parser, recorder } = requestParser();
    const bytes = typeof raw === 'string' ? crlf(raw) : raw;
    for (let i = 0; i < bytes.length; i++) parser.execute(bytes.subarray(i, i + 1));
    expect(recorder.heads).toHaveLength(0);
    expect(recorder.error?.kind).toBe(kind);
  });

  it('stops for good after an error', () => {
    const { parser, recorder } = parseOne('GET / HTTP/1.1\nHost: a\nHost: b\n\n');
    expect(parser.execute(crlf('GET / HTTP/1.1\nHost: a\n\n'))).toBe(false);
    expect(recorder.events).toHaveLength(1);
  });
});

describe('RequestParser: maxHeaderBytes', () => {
  const max = 1024;
  const fits = (size: number) => `GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ${'p'.repeat(size - 'GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n'.length)}\r\n\r\n`;

  it('accepts a head of exactly the limit and refuses one byte more with 431', () => {
    expect(fits(max)).toHaveLength(max);
    expect(parseOne(Buffer.from(fits(max)), { maxHeaderBytes: max }).head).toBeDefined();
    const { error } = parseOne(Buffer.from(fits(max + 1)), { maxHeaderBytes: max });
    expect(error).toMatchObject({ kind: 'header-too-large', status: 431, code: ErrorCodes.limit });
  });

  it('refuses a head over the limit followed by a body in the same chunk', () => {
    const raw = Buffer.from(fits(max + 1).replace('Host: a', 'Host: a\r\nContent-Length: 2') + 'ab');
    expect(parseOne(raw, { maxHeaderBytes: max }).error?.kind).toBe('header-too-large');
  });

  it('accepts the limit exactly when the head arrives in pieces', () => {
    const { parser, recorder } = requestParser({ maxHeaderBytes: max });
    feed(parser, Buffer.from(fits(max)), [100, 500, 1021, 1022]);
    expect(recorder.heads).toHaveLength(1);
  });

  it('cuts a trickled head as soon as it passes the limit, without waiting for its end', () => {
    const { parser, recorder } = requestParser({ maxHeaderBytes: max });
    const trickle = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ' + 'p'.repeat(5000));
    let fed = 0;
    while (recorder.events.length === 0 && fed < trickle.length) parser.execute(trickle.subarray(fed, ++fed));
    expect(fed).toBe(max + 1);
    expect(recorder.error?.kind).toBe('header-too-large');
  });

  it('cuts a big partial chunk at once', () => {
    const { parser, recorder } = requestParser({ maxHeaderBytes: max });
    parser.execute(Buffer.from('GET / HTTP/1.1\r\nX-Pad: ' + 'p'.repeat(max)));
    expect(recorder.error?.kind).toBe('header-too-large');
  });

  it('refuses a bare LF in a partial head before the head completes', () => {
    const { parser, recorder } = requestParser();
    parser.execute(Buffer.from('GET / HTTP/1.1\r\nHost: a\nX'));
    expect(recorder.error?.kind).toBe('bad-request');
  });

  it('validates its options', () => {
    expect(() => requestParser({ maxHeaderBytes: 10 })).toThrow(/maxHeaderBytes/);
    expect(() => requestParser({ maxBodyBytes: -1 })).toThrow(/maxBodyBytes/);
    expect(() => requestParser({ maxChunkExtensionBytes: 1.5 })).toThrow(/maxChunkExtensionBytes/);
  });
});

describe('RequestParser: bodies', () => {
  it('hands a Content-Length body on as views of the chunk, then the next request', () => {
    const { parser, recorder } = requestParser();
    const chunk = crlf('POST /a HTTP/1.1\nHost: a\nContent-Length: 5\n\nhelloGET /b HTTP/1.1\nHost: a\n\n');
    parser.execute(chunk);
    expect(recorder.normalized()).toMatchObject([
      { type: 'head', path: '/a', contentLength: 5 },
      { type: 'body', text: 'hello' },
      { type: 'end' },
      { type: 'head', path: '/b' },
      { type: 'end' },
    ]);
  });

  it('passes a body chunk through without copying', () => {
    const { parser, recorder } = requestParser();
    const original = recorder.onRequestBody.bind(recorder);
    let sameBuffer = false;
    const body = Buffer.from('x'.repeat(100));
    recorder.onRequestBody = (chunk) => {
      sameBuffer = chunk === body;
      original(chunk);
    };
    parser.execute(crlf('POST / HTTP/1.1\nHost: a\nContent-Length: 200\n\n'));
    parser.execute(body);
    expect(sameBuffer).toBe(true);
    expect(parser.receivedBodyBytes).toBe(100);
  });

  it('passes chunked bytes through raw, counts the decoded size and reads trailers', () => {
    const { parser, recorder } = requestParser();
    const body = '5;name=value\r\nhello\r\nA \t; x="y z"\r\n0123456789\r\n0\r\nX-Checksum: abc\r\nX-Other:  1 \r\n\r\n';
    let decoded = -1;
    recorder.after = (event) => {
      if (event.type === 'body') decoded = parser.receivedBodyBytes;
    };
    parser.execute(Buffer.concat([crlf('POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip, chunked\n\n'), Buffer.from(body, 'latin1')]));
    expect(recorder.normalized()).toMatchObject([
      { type: 'head', chunked: true, contentLength: -1 },
      { type: 'body', text: body },
      {
        type: 'end',
        trailers: [
          ['x-checksum', 'abc'],
          ['x-other', '1'],
        ],
      },
    ]);
    expect(decoded).toBe(15);
  });

  it.each([
    ['a non-hex size', 'zz\r\n'],
    ['an empty size', '\r\n'],
    ['a size with a sign', '+5\r\nhello\r\n0\r\n\r\n'],
    ['a size with trailing space and no extension', '5 \r\nhello\r\n0\r\n\r\n'],
    ['a size overflowing', 'fffffffffffffffff\r\n'],
    ['a size line of endless zeros', '0'.repeat(17) + '5\r\nhello\r\n0\r\n\r\n'],
    ['data longer than its size', '3\r\nhello\r\n0\r\n\r\n'],
    ['a bare LF after the size', '5\nhello\r\n0\r\n\r\n'],
    ['a bare LF after the data', '5\r\nhello\n0\r\n\r\n'],
    ['a control char in an extension', '5;a=\u0001\r\nhello\r\n0\r\n\r\n'],
    ['an obs-folded trailer', '0\r\nX-A: 1\r\n  more\r\n\r\n'],
    ['a trailer without colon', '0\r\nnot a field\r\n\r\n'],
    ['a bare LF ending the trailers', '0\r\n\n'],
  ])('refuses a chunked body with %s', (_name, body) => {
    const { parser, recorder } = requestParser();
    parser.execute(Buffer.concat([crlf('POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n'), Buffer.from(body, 'latin1')]));
    expect(recorder.error).toMatchObject({ kind: 'bad-request', status: 400 });
    expect(recorder.events.some((e) => e.type === 'end')).toBe(false);
  });

  it('accepts leading zeros in chunk sizes within bounds', () => {
    const { parser, recorder } = requestParser();
    parser.execute(crlf('POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n0005\nhello\n000\n\n'));
    expect(recorder.events.map((e) => e.type)).toEqual(['head', 'body', 'end']);
    expect(parser.receivedBodyBytes).toBe(5);
  });

  it('bounds chunk extensions per message', () => {
    const { parser, recorder } = requestParser({ maxChunkExtensionBytes: 100 });
    parser.execute(crlf('POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n'));
    for (let i = 0; i < 5 && !recorder.error; i++) parser.execute(Buffer.from(`1;${'e'.repeat(30)}\r\nx\r\n`));
    expect(recorder.error?.message).toMatch(/chunk extensions/);
  });

  it('bounds the trailer section by maxHeaderBytes', () => {
    const { parser, recorder } = requestParser({ maxHeaderBytes: 256 });
    parser.execute(crlf('POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n'));
    parser.execute(Buffer.from(`0\r\nX-Big: ${'b'.repeat(300)}\r\n\r\n`));
    expect(recorder.error?.kind).toBe('header-too-large');
  });

  it('refuses a Content-Length over the body limit with 413, before any body byte', () => {
    const { parser, recorder } = requestParser({ maxBodyBytes: 10 });
    parser.execute(crlf('POST / HTTP/1.1\nHost: a\nContent-Length: 11\n\n'));
    expect(recorder.normalized()).toMatchObject([{ type: 'head' }, { type: 'error', kind: 'body-too-large', status: 413 }]);
  });

  it('refuses a chunked body over a per-request limit as soon as a chunk size says so', () => {
    const { parser, recorder } = requestParser();
    recorder.after = (event) => {
      if (event.type === 'head') parser.setMaxBodyBytes(8);
    };
    parser.execute(crlf('POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n5\nhello\n'));
    expect(recorder.error).toBeUndefined();
    parser.execute(Buffer.from('4\r\n'));
    expect(recorder.error).toMatchObject({ kind: 'body-too-large', status: 413, code: ErrorCodes.limit });
  });

  it('applies a per-request limit to that request only', () => {
    const { parser, recorder } = requestParser({ maxBodyBytes: 100 });
    recorder.after = (event) => {
      if (event.type === 'head' && recorder.heads.length === 1) parser.setMaxBodyBytes(1);
    };
    parser.execute(crlf('POST / HTTP/1.1\nHost: a\nContent-Length: 1\n\nxPOST / HTTP/1.1\nHost: a\nContent-Length: 50\n\n'));
    expect(recorder.error).toBeUndefined();
    expect(recorder.heads).toHaveLength(2);
  });
});

describe('RequestParser: pipelining, pause and resume', () => {
  const pipelined = crlf(
    'GET /1 HTTP/1.1\nHost: a\n\n' +
      'POST /2 HTTP/1.1\nHost: a\nContent-Length: 3\n\nabc' +
      'POST /3 HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n3\nxyz\n0\n\n' +
      'GET /4 HTTP/1.1\nHost: a\nConnection: close\n\n',
  );

  it('yields pipelined requests in order, each body before the next head', () => {
    const { parser, recorder } = requestParser();
    parser.execute(pipelined);
    expect(recorder.normalized()).toMatchObject([
      { type: 'head', path: '/1' },
      { type: 'end' },
      { type: 'head', path: '/2' },
      { type: 'body', text: 'abc' },
      { type: 'end' },
      { type: 'head', path: '/3' },
      { type: 'body', text: '3\r\nxyz\r\n0\r\n\r\n' },
      { type: 'end' },
      { type: 'head', path: '/4', keepAlive: false },
      { type: 'end' },
    ]);
    expect(parser.isIdle).toBe(true);
  });

  it('holds the next request while paused at a message end, and goes on at resume', () => {
    const { parser, recorder } = requestParser();
    recorder.after = (event) => {
      if (event.type === 'end') parser.pause();
    };
    expect(parser.execute(pipelined)).toBe(false);
    expect(recorder.heads.map((h) => (h as RequestHead).path)).toEqual(['/1']);
    expect(parser.isIdle).toBe(false);
    for (const expected of [['/1', '/2'], ['/1', '/2', '/3'], ['/1', '/2', '/3', '/4']]) {
      parser.resume();
      expect(recorder.heads.map((h) => (h as RequestHead).path)).toEqual(expected);
    }
    parser.resume();
    expect(recorder.events.filter((e) => e.type === 'end')).toHaveLength(4);
    expect(parser.isIdle).toBe(true);
  });

  it('pausing at a head holds the body; chunks that come meanwhile are kept in order', () => {
    const { parser, recorder } = requestParser();
    recorder.after = (event) => {
      if (event.type === 'head') parser.pause();
    };
    parser.execute(crlf('POST / HTTP/1.1\nHost: a\nContent-Length: 6\n\nab'));
    expect(parser.isPaused).toBe(true);
    expect(parser.execute(Buffer.from('cd'))).toBe(false);
    parser.execute(Buffer.from('ef'));
    expect(recorder.events.map((e) => e.type)).toEqual(['head']);
    recorder.after = undefined;
    parser.resume();
    expect(recorder.normalized()).toMatchObject([{ type: 'head' }, { type: 'body', text: 'abcdef' }, { type: 'end' }]);
  });

  it('pausing at a head of a bodiless request delays its end until resume', () => {
    const { parser, recorder } = requestParser();
    recorder.after = (event) => {
      if (event.type === 'head') parser.pause();
    };
    parser.execute(crlf('GET / HTTP/1.1\nHost: a\n\n'));
    expect(recorder.events.map((e) => e.type)).toEqual(['head']);
    recorder.after = undefined;
    parser.resume();
    expect(recorder.events.map((e) => e.type)).toEqual(['head', 'end']);
  });

  it('pausing in the last body piece delays the end until resume', () => {
    const { parser, recorder } = requestParser();
    recorder.after = (event) => {
      if (event.type === 'body') parser.pause();
    };
    parser.execute(crlf('POST / HTTP/1.1\nHost: a\nContent-Length: 2\n\nokGET / HTTP/1.1\nHost: a\n\n'));
    expect(recorder.events.map((e) => e.type)).toEqual(['head', 'body']);
    parser.resume();
    expect(recorder.events.map((e) => e.type)).toEqual(['head', 'body', 'end', 'head', 'end']);
  });

  it('pause and resume inside one callback changes nothing', () => {
    const { parser, recorder } = requestParser();
    recorder.after = () => {
      parser.pause();
      parser.resume();
    };
    parser.execute(pipelined);
    expect(recorder.events.filter((e) => e.type === 'end')).toHaveLength(4);
  });

  it('pauses itself after an upgrade request and hands over the tunnel bytes', () => {
    const { parser, recorder } = requestParser();
    const frames = Buffer.from([0x81, 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const upgrade = crlf('GET /ws HTTP/1.1\nHost: a\nConnection: Upgrade\nUpgrade: websocket\n\n');
    expect(parser.execute(Buffer.concat([upgrade, frames]))).toBe(false);
    expect(recorder.events.map((e) => e.type)).toEqual(['head', 'end']);
    expect(parser.isPaused).toBe(true);
    parser.execute(Buffer.from([10, 11]));
    expect(parser.takeRemaining()).toEqual(Buffer.concat([frames, Buffer.from([10, 11])]));
    expect(parser.execute(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'))).toBe(false);
    expect(recorder.events).toHaveLength(2);
  });

  it('goes back to HTTP when an upgrade is refused (resume)', () => {
    const { parser, recorder } = requestParser();
    parser.execute(crlf('GET /ws HTTP/1.1\nHost: a\nConnection: Upgrade\nUpgrade: websocket\n\nGET /next HTTP/1.1\nHost: a\n\n'));
    parser.resume();
    expect(recorder.heads.map((h) => (h as RequestHead).path)).toEqual(['/ws', '/next']);
  });
});

describe('RequestParser: end of input', () => {
  it('reports a request cut short', () => {
    for (const partial of ['GET / HTTP/1.1\nHost: a\n', 'POST / HTTP/1.1\nHost: a\nContent-Length: 5\n\nab', 'POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n5\nhello\n']) {
      const { parser, recorder } = requestParser();
      parser.execute(crlf(partial));
      parser.finish();
      expect(recorder.error?.kind).toBe('bad-request');
    }
  });

  it('is quiet when the client closes between requests, even with requests still held', () => {
    const { parser, recorder } = requestParser();
    recorder.after = (event) => {
      if (event.type === 'end') parser.pause();
    };
    parser.execute(crlf('GET /1 HTTP/1.1\nHost: a\n\nGET /2 HTTP/1.1\nHost: a\n\n'));
    parser.finish();
    parser.resume();
    parser.resume();
    expect(recorder.events.map((e) => e.type)).toEqual(['head', 'end', 'head', 'end']);
  });

  it('can be reset for another connection', () => {
    const { parser, recorder } = requestParser();
    parser.execute(crlf('GET / HTTP/1.1\nHost: a\nHost: b\n\n'));
    parser.reset();
    parser.execute(crlf('GET /again HTTP/1.1\nHost: a\n\n'));
    expect((recorder.heads[0] as RequestHead).path).toBe('/again');
  });
});
