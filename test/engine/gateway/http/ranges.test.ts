import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import type { ResponseHead } from '../../../../electron/engine/gateway/http/index.ts';
import { mulberry32 } from '../../../helpers/random.ts';
import { crlf, feed, requestParser, responseParser } from './recorder.ts';

/**
 * The proxy hands the parsers each read as a range of the slab its reads are
 * kept in (see own-reads.ts), not as a view of its own: execute(buffer,
 * start, end). The bytes past `end` are other reads, or not written yet: a
 * parser that looked at them would see heads end where they do not.
 */

/** `bytes` split at `cuts`, each piece copied into one slab between bytes of `junk`; returns the slab and the ranges. */
function inSlab(bytes: Buffer, cuts: number[], junk: Buffer): { slab: Buffer; ranges: Array<[number, number]> } {
  const pieces: Buffer[] = [];
  const ranges: Array<[number, number]> = [];
  let from = 0;
  let at = junk.length;
  pieces.push(junk);
  for (const cut of [...cuts, bytes.length]) {
    if (cut <= from) continue;
    pieces.push(bytes.subarray(from, cut), junk);
    ranges.push([at, at + cut - from]);
    at += cut - from + junk.length;
    from = cut;
  }
  return { slab: Buffer.concat(pieces), ranges };
}

function randomCuts(random: () => number, length: number): number[] {
  const cuts: number[] = [];
  for (let at = 0; at < length; ) {
    at += 1 + Math.floor(random() * 40);
    if (at < length) cuts.push(at);
  }
  return cuts;
}

/** What a slab's other bytes may hold: the end of a head, and a whole request or response to be taken for the next. */
const JUNK = crlf('\n\nGET /junk HTTP/1.1\nHost: junk\n\nHTTP/1.1 500 Junk\nContent-Length: 0\n\n');

describe('parsers fed ranges of a larger buffer', () => {
  it('a request head whose end lies just past the range is not complete: the CRLFCRLF must be inside it', () => {
    const { parser, recorder } = requestParser();
    // The range ends after "Host: a\r\n"; the bytes after it would finish the head.
    const slab = Buffer.concat([crlf('GET /a HTTP/1.1\nHost: a\n'), crlf('\nGET /junk HTTP/1.1\n\n')]);
    const end = crlf('GET /a HTTP/1.1\nHost: a\n').length;
    parser.execute(slab, 0, end);
    expect(recorder.heads).toHaveLength(0);
    // The same for a head held from an earlier read: the next range is "\r", and "\n" follows it in the buffer.
    const next = Buffer.concat([crlf('\n').subarray(0, 1), crlf('\n\n')]);
    parser.execute(next, 0, 1);
    expect(recorder.heads).toHaveLength(0);
    parser.execute(Buffer.from('\n', 'latin1'));
    expect(recorder.normalized()).toMatchObject([{ type: 'head', path: '/a', host: 'a' }, { type: 'end' }]);
  });

  it('a partial head whose CRLFCRLF straddles the range end is held, not completed, when nothing was held before', () => {
    const { parser, recorder } = requestParser();
    const head = crlf('GET /b HTTP/1.1\nHost: b\n\n');
    // Everything but the last LF is in range; the LF and more follow in the buffer.
    const slab = Buffer.concat([head, crlf('\n')]);
    parser.execute(slab, 0, head.length - 1);
    expect(recorder.heads).toHaveLength(0);
    parser.execute(slab, head.length - 1, head.length);
    expect(recorder.normalized()).toMatchObject([{ type: 'head', path: '/b' }, { type: 'end' }]);
  });

  it('requests with bodies, chunked and pipelined, cut at random: ranges of a slab parse exactly as the same pieces do', () => {
    const stream = crlf(
      [
        'POST /one HTTP/1.1\nHost: a\nContent-Length: 11\n\nhello world',
        'GET /two?x=1 HTTP/1.1\nHost: b\nX-Long: ' + 'v'.repeat(300) + '\n\n',
        'PUT /three HTTP/1.1\nHost: c\nTransfer-Encoding: chunked\n\n5\nhello\n6\n world\n0\nX-Trailer: t\n\n',
        'GET /four HTTP/1.1\nHost: d\n\n',
      ].join(''),
    );
    const random = mulberry32(7);
    for (let round = 0; round < 200; round++) {
      const cuts = randomCuts(random, stream.length);
      const expected = requestParser();
      feed(expected.parser, stream, cuts);
      const got = requestParser();
      const { slab, ranges } = inSlab(stream, cuts, JUNK);
      for (const [start, end] of ranges) got.parser.execute(slab, start, end);
      expect(got.recorder.normalized(), `cuts ${cuts.join(',')}`).toEqual(expected.recorder.normalized());
      expect(expected.recorder.heads).toHaveLength(4);
    }
  });

  it('responses cut at random, as ranges of a slab: the same events, and bodyWithHead never reaches past the range', () => {
    const stream = crlf(
      [
        'HTTP/1.1 200 OK\nContent-Length: 13\n\n{"pong":true}',
        'HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n',
        'HTTP/1.1 404 Not Found\nContent-Length: 4\nX-Pad: ' + 'p'.repeat(200) + '\n\nnope',
      ].join(''),
    );
    const random = mulberry32(11);
    for (let round = 0; round < 200; round++) {
      const cuts = randomCuts(random, stream.length);
      const expected = responseParser();
      feed(expected.parser, stream, cuts);
      const got = responseParser();
      const withHead: Array<string | undefined> = [];
      const onHead = got.recorder.onResponseHead.bind(got.recorder);
      got.recorder.onResponseHead = (head: ResponseHead) => {
        // What the proxy asks for when it copies a small body in with the head.
        if (head.contentLength > 0) withHead.push(got.parser.bodyWithHead(head.contentLength)?.toString('latin1'));
        const raw = got.parser.rawHead();
        expect(raw.equals(got.parser.rawHeadSource.subarray(got.parser.rawHeadStart, got.parser.rawHeadEnd))).toBe(true);
        expect(raw.subarray(0, 9).toString('latin1')).toBe('HTTP/1.1 ');
        onHead(head);
      };
      const { slab, ranges } = inSlab(stream, cuts, JUNK);
      for (const [start, end] of ranges) got.parser.execute(slab, start, end);
      expect(got.recorder.normalized(), `cuts ${cuts.join(',')}`).toEqual(expected.recorder.normalized());
      // A body is offered with its head only when all of it came in the head's range, and then it is that body.
      for (const body of withHead) if (body !== undefined) expect(['{"pong":true}', 'nope']).toContain(body);
    }
  });
});
