import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crlf, feed, requestParser, responseParser } from './recorder.ts';

/**
 * Whatever way the bytes are cut into chunks, the parsers must emit the same
 * heads, the same body bytes (merged), the same ends and trailers, and the
 * same errors as for one whole buffer.
 */
const requests: Array<[string, Buffer]> = [
  ['a GET', crlf('GET /x?y=1 HTTP/1.1\nHost: example.com\nAccept: */*\n\n')],
  ['empty lines first', crlf('\n\nGET / HTTP/1.1\nHost: a\n\n')],
  ['a Content-Length body', crlf('POST /upload HTTP/1.1\nHost: a\nContent-Length: 11\nContent-Type: text/plain\n\nhello world')],
  ['chunked with extensions and trailers', Buffer.from('PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5 ; a="b"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Sum: 9\r\nX-B: two\r\n\r\n', 'latin1')],
  [
    'pipelined, mixed framing',
    crlf('GET /1 HTTP/1.1\nHost: a\n\nPOST /2 HTTP/1.1\nHost: a\nContent-Length: 3\n\nabcPOST /3 HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n3\nxyz\n0\n\n\nGET /4 HTTP/1.0\n\n'),
  ],
  ['an error after a good request', crlf('GET /ok HTTP/1.1\nHost: a\n\nGET /bad HTTP/1.1\nHost: a\nX-A : b\n\n')],
  ['smuggling attempt', crlf('POST / HTTP/1.1\nHost: a\nContent-Length: 4\nTransfer-Encoding: chunked\n\n0\n\n')],
  ['a bad chunk', crlf('POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n5\nhelloX\n')],
];

const responses: Array<[string, Buffer, string[]]> = [
  ['Content-Length', crlf('HTTP/1.1 200 OK\nContent-Length: 5\nContent-Type: text/plain\n\nhello'), ['GET']],
  ['chunked with trailers', Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10;x\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\n', 'latin1'), ['GET']],
  ['interim 100 then 200', crlf('HTTP/1.1 100 Continue\n\nHTTP/1.1 103 Early Hints\nLink: </a.css>\n\nHTTP/1.1 201 Created\nContent-Length: 2\n\nok'), ['POST']],
  ['GET then HEAD then GET', crlf('HTTP/1.1 200 OK\nContent-Length: 1\n\nxHTTP/1.1 200 OK\nContent-Length: 5\n\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok'), ['GET', 'HEAD', 'GET']],
  ['HEAD then GET', crlf('HTTP/1.1 200 OK\nContent-Length: 5\n\nHTTP/1.1 200 OK\nContent-Length: 5\n\nhello'), ['HEAD', 'GET']],
  ['204 and 304 then a body', crlf('HTTP/1.1 204 No Content\n\nHTTP/1.1 304 Not Modified\nContent-Length: 10\n\nHTTP/1.1 200\nContent-Length: 1\n\nz'), ['GET', 'GET', 'GET']],
  ['bad status', crlf('HTTP/1.1 20 OK\nContent-Length: 0\n\n'), ['GET']],
];

function requestEvents(bytes: Buffer, cuts: number[]): unknown[] {
  const { parser, recorder } = requestParser({ maxHeaderBytes: 512 });
  feed(parser, bytes, cuts);
  parser.finish();
  return withoutBodyBeforeError(recorder.normalized());
}

/** Body bytes that arrived before the bad byte was seen were already handed on; how many depends on the cuts. */
function withoutBodyBeforeError(events: unknown[]): unknown[] {
  return events.filter((event, i) => !((event as { type: string }).type === 'body' && (events[i + 1] as { type: string } | undefined)?.type === 'error'));
}

function responseEvents(bytes: Buffer, methods: string[], cuts: number[]): unknown[] {
  const { parser, recorder } = responseParser({ maxHeaderBytes: 512 });
  let next = 0;
  parser.setRequestMethod(methods[next++]!);
  recorder.after = (event) => {
    if (event.type === 'end' && next < methods.length) parser.setRequestMethod(methods[next++]!);
  };
  feed(parser, bytes, cuts);
  parser.finish();
  return recorder.normalized();
}

describe('split anywhere', () => {
  it.each(requests)('request: %s, cut in two at every byte', (_name, bytes) => {
    const whole = requestEvents(bytes, []);
    for (let at = 1; at < bytes.length; at++) expect(requestEvents(bytes, [at]), `cut at ${at}`).toEqual(whole);
  });

  it.each(requests)('request: %s, one byte at a time', (_name, bytes) => {
    const cuts = Array.from({ length: bytes.length }, (_, i) => i);
    expect(requestEvents(bytes, cuts)).toEqual(requestEvents(bytes, []));
  });

  it.each(requests)('request: %s, random cuts', (_name, bytes) => {
    const whole = requestEvents(bytes, []);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        expect(requestEvents(bytes, cuts.sort((a, b) => a - b))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it.each(responses)('response: %s, cut in two at every byte and one byte at a time', (_name, bytes, methods) => {
    const whole = responseEvents(bytes, methods, []);
    for (let at = 1; at < bytes.length; at++) expect(responseEvents(bytes, methods, [at]), `cut at ${at}`).toEqual(whole);
    expect(
      responseEvents(
        bytes,
        methods,
        Array.from({ length: bytes.length }, (_, i) => i),
      ),
    ).toEqual(whole);
  });

  it('the whole-buffer results are what they should be', () => {
    expect(requestEvents(requests[3]![1], [])).toMatchObject([
      { type: 'head', chunked: true },
      { type: 'body' },
      {
        type: 'end',
        trailers: [
          ['x-sum', '9'],
          ['x-b', 'two'],
        ],
      },
    ]);
    expect(requestEvents(requests[4]![1], []).filter((e) => (e as { type: string }).type === 'end')).toHaveLength(4);
    expect(requestEvents(requests[5]![1], [])).toMatchObject([{ type: 'head' }, { type: 'end' }, { type: 'error', status: 400 }]);
    const [, headBetween, methods] = responses.find(([name]) => name === 'GET then HEAD then GET')!;
    expect(responseEvents(headBetween, methods, [])).toMatchObject([
      { type: 'head' },
      { type: 'body', text: 'x' },
      { type: 'end' },
      { type: 'head', hasBody: false },
      { type: 'end' },
      { type: 'head' },
      { type: 'body', text: 'ok' },
      { type: 'end' },
    ]);
    expect(responseEvents(responses[2]![1], responses[2]![2], [])).toMatchObject([
      { type: 'head', status: 100 },
      { type: 'head', status: 103 },
      { type: 'head', status: 201 },
      { type: 'body', text: 'ok' },
      { type: 'end' },
    ]);
  });
});
