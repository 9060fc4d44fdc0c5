import { Buffer } from 'node:buffer';
import { ASCII_LOWER, COLON, CR, HEX_VALUE, HOST_LOWER, LF, QUESTION, SLASH, SP, TARGET_CHAR, TOKEN_LOWER, latin1 } from './chars.ts';
import { type HttpParseError } from './errors.ts';
import { type HeaderListImpl } from './header-list.ts';
import { BODY_CHUNKED, BODY_LENGTH, BODY_NONE, HttpMessageParser, viewOf, type HttpParserOptions } from './message-parser.ts';

/** One request head as the proxy sees it. Strings are latin1: each char is one byte as received. */
export interface RequestHead {
  readonly method: string;
  /** The request-target as sent (origin-form, absolute-form or "*"). */
  readonly target: string;
  /** The path without the query: starts with '/', or is "*" for `OPTIONS *`. From absolute-form, the path part ('/' when empty). */
  readonly path: string;
  /** The raw query without '?', or ''. */
  readonly query: string;
  readonly versionMinor: 0 | 1;
  readonly headers: HeaderListImpl;
  /** Lower-case, without the port: from an absolute-form target, else from Host ('' for HTTP/1.0 without one). */
  readonly host: string;
  /** The declared body length; -1 when chunked or absent. */
  readonly contentLength: number;
  readonly chunked: boolean;
  readonly keepAlive: boolean;
  /** Connection: upgrade with an Upgrade header (a WebSocket handshake); the parser pauses after this message. */
  readonly upgrade: boolean;
  readonly expectContinue: boolean;
  /** Bytes of the request line and headers, the empty line included. */
  readonly headBytes: number;
  /**
   * The bytes the head was parsed from: the received chunk, or the parser's
   * copy of a head that came in pieces; neither is written again, so the
   * proxy can forward field lines as received (see Exchange.serializeRequestHead).
   * The request line is raw[rawStart, fieldsStart), the field lines
   * raw[fieldsStart, fieldsEnd), and the empty line follows.
   */
  readonly raw: Buffer;
  readonly rawStart: number;
  readonly fieldsStart: number;
  readonly fieldsEnd: number;
  /** The Host field's value in raw, without surrounding whitespace; -1 and -1 without one. */
  readonly hostStart: number;
  readonly hostEnd: number;
}

export interface RequestParserHandler {
  onRequestHead(head: RequestHead): void;
  /** Raw body bytes (chunked framing included), a view of the received chunk: forward or copy before returning. */
  onRequestBody(chunk: Buffer): void;
  onRequestEnd(): void;
  /** The parser stops for good; answer error.status and close. */
  onRequestError(error: HttpParseError): void;
}

/**
 * Client side: strict HTTP/1.1 (and 1.0) request parsing for a reverse
 * proxy, refusing what request smuggling lives on (RFC 9112 6.3, 11.2):
 * Content-Length with Transfer-Encoding, conflicting lengths, codings that
 * do not end in chunked, obs-fold, bare LF, whitespace before a colon.
 *
 * Pipelined requests come out in order; pause() in onRequestEnd holds the
 * next one until the response is done. After an upgrade request the parser
 * pauses itself: the bytes that follow are the tunnel's if the upstream
 * answers 101 (takeRemaining()), or the next request if not (resume()).
 */
export class RequestParser extends HttpMessageParser {
  private readonly handler: RequestParserHandler;
  private upgradeRequest = false;
  private contentLength = -1;

  constructor(handler: RequestParserHandler, options: HttpParserOptions) {
    super(options, false);
    this.handler = handler;
  }

  protected get declaredLength(): number {
    return this.contentLength;
  }

  protected get pausesAfterMessage(): boolean {
    return this.upgradeRequest;
  }

  protected emitBody(buffer: Buffer, start: number, end: number): void {
    this.handler.onRequestBody(viewOf(buffer, start, end));
  }

  protected emitEnd(): void {
    this.handler.onRequestEnd();
  }

  protected emitError(error: HttpParseError): void {
    this.handler.onRequestError(error);
  }

  protected parseHead(buffer: Buffer, start: number): number {
    let pos = start;
    let c = buffer[pos]!;
    while (TOKEN_LOWER[c] !== 0) c = buffer[++pos]!;
    if (pos === start || c !== SP) return this.reject('bad-request', 'invalid method in the request line');
    const methodEnd = pos;

    const targetStart = ++pos;
    let queryAt = -1;
    c = buffer[pos]!;
    while (TARGET_CHAR[c] !== 0) {
      if (c === QUESTION && queryAt === -1) queryAt = pos;
      c = buffer[++pos]!;
    }
    const targetEnd = pos;
    if (targetEnd === targetStart || c !== SP) return this.reject('bad-request', 'invalid request target');

    pos++;
    if (
      buffer[pos] !== 72 ||
      buffer[pos + 1] !== 84 ||
      buffer[pos + 2] !== 84 ||
      buffer[pos + 3] !== 80 ||
      buffer[pos + 4] !== SLASH ||
      buffer[pos + 6] !== 46 ||
      buffer[pos + 8] !== CR ||
      buffer[pos + 9] !== LF
    ) {
      return this.reject('bad-request', 'invalid HTTP version in the request line');
    }
    const major = buffer[pos + 5]! - 48;
    const minor = buffer[pos + 7]! - 48;
    if (major < 0 || major > 9 || minor < 0 || minor > 9) return this.reject('bad-request', 'invalid HTTP version in the request line');
    if (major !== 1 || minor > 1) return this.reject('version-not-supported', `HTTP/${major}.${minor} is not supported`);

    const end = this.scanFields(buffer, pos + 10, true);
    if (end < 0) return -1;

    if (this.fieldHostCount > 1) return this.reject('bad-request', 'more than one Host header');
    if (this.fieldHostCount === 0 && minor === 1) return this.reject('bad-request', 'missing Host header');
    let chunked = false;
    if (this.fieldTransferEncoding) {
      if (minor === 0) return this.reject('bad-request', 'Transfer-Encoding in an HTTP/1.0 request');
      if (this.fieldContentLength !== -1) return this.reject('bad-request', 'both Content-Length and Transfer-Encoding');
      if (!this.fieldChunkedLast || this.fieldChunkedEarlier) return this.reject('bad-request', 'Transfer-Encoding must end with chunked, once');
      chunked = true;
    }

    const text = latin1(buffer, start, end);
    const method = knownMethod(buffer, start, methodEnd) ?? text.substring(0, methodEnd - start);
    let host = this.fieldHostCount === 0 ? '' : hostOf(buffer, this.fieldHostStart, this.fieldHostEnd, text, start);
    if (host === undefined) return this.reject('bad-request', 'invalid Host header');
    const target = text.substring(targetStart - start, targetEnd - start);
    let path: string;
    const query = queryAt === -1 ? '' : text.substring(queryAt + 1 - start, targetEnd - start);
    const first = buffer[targetStart];
    if (first === SLASH) {
      path = queryAt === -1 ? target : text.substring(targetStart - start, queryAt - start);
    } else if (first === 42 && targetEnd - targetStart === 1) {
      if (method !== 'OPTIONS') return this.reject('bad-request', 'the "*" target is only for OPTIONS');
      path = '*';
    } else {
      const authorityStart = absoluteFormAuthority(buffer, targetStart, targetEnd);
      if (authorityStart === -1) return this.reject('bad-request', 'invalid request target');
      let authorityEnd = authorityStart;
      while (authorityEnd < targetEnd && buffer[authorityEnd] !== SLASH && buffer[authorityEnd] !== QUESTION) authorityEnd++;
      host = hostOf(buffer, authorityStart, authorityEnd, text, start);
      if (host === undefined || host === '') return this.reject('bad-request', 'invalid host in the request target');
      if (authorityEnd === targetEnd || buffer[authorityEnd] === QUESTION) path = '/';
      else path = text.substring(authorityEnd - start, (queryAt === -1 ? targetEnd : queryAt) - start);
    }

    this.contentLength = this.fieldContentLength;
    this.bodyKind = chunked ? BODY_CHUNKED : this.fieldContentLength === -1 ? BODY_NONE : BODY_LENGTH;
    const upgrade = this.fieldConnectionUpgrade && this.fieldUpgrade;
    this.upgradeRequest = upgrade;
    const head: RequestHead = {
      method,
      target,
      path,
      query,
      versionMinor: minor as 0 | 1,
      headers: this.buildFields(text, start),
      host,
      contentLength: this.fieldContentLength,
      chunked,
      keepAlive: !this.fieldClose && (minor === 1 || this.fieldKeepAlive),
      upgrade,
      expectContinue: this.fieldExpectContinue,
      headBytes: end - start,
      raw: buffer,
      rawStart: start,
      fieldsStart: pos + 10,
      fieldsEnd: end - 2,
      hostStart: this.fieldHostCount === 0 ? -1 : this.fieldHostStart,
      hostEnd: this.fieldHostCount === 0 ? -1 : this.fieldHostEnd,
    };
    this.handler.onRequestHead(head);
    return end;
  }
}

/** The interned string of a common method (methods are case-sensitive), or undefined. */
function knownMethod(buffer: Buffer, start: number, end: number): string | undefined {
  switch (end - start) {
    case 3:
      if (buffer[start + 2] !== 84) return undefined;
      if (buffer[start] === 71 && buffer[start + 1] === 69) return 'GET';
      if (buffer[start] === 80 && buffer[start + 1] === 85) return 'PUT';
      return undefined;
    case 4:
      if (buffer[start] === 80 && buffer[start + 1] === 79 && buffer[start + 2] === 83 && buffer[start + 3] === 84) return 'POST';
      if (buffer[start] === 72 && buffer[start + 1] === 69 && buffer[start + 2] === 65 && buffer[start + 3] === 68) return 'HEAD';
      return undefined;
    default:
      for (let m = 0; m < LONG_METHODS.length; m++) {
        const bytes = LONG_METHODS[m]!;
        if (bytes.length === end - start && buffer.compare(bytes, 0, bytes.length, start, end) === 0) return LONG_METHOD_NAMES[m];
      }
      return undefined;
  }
}

const LONG_METHOD_NAMES = ['PATCH', 'DELETE', 'OPTIONS'];
const LONG_METHODS = LONG_METHOD_NAMES.map((name) => Buffer.from(name, 'latin1'));

const HTTP_SCHEME = Buffer.from('http://', 'latin1');
const HTTPS_SCHEME = Buffer.from('https://', 'latin1');

/** Where the authority starts in an absolute-form http(s) target, or -1. */
function absoluteFormAuthority(buffer: Buffer, start: number, end: number): number {
  if (startsWithLower(buffer, start, end, HTTP_SCHEME)) return start + HTTP_SCHEME.length;
  if (startsWithLower(buffer, start, end, HTTPS_SCHEME)) return start + HTTPS_SCHEME.length;
  return -1;
}

function startsWithLower(buffer: Buffer, start: number, end: number, prefix: Uint8Array): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (ASCII_LOWER[buffer[start + i]!] !== prefix[i]) return false;
  }
  return true;
}

/**
 * The host of an authority (`host[:port]`, `[v6]:port`), lower-cased and
 * without the port; '' for an empty one, undefined when it is malformed
 * (userinfo included: it has no business in a Host).
 */
function hostOf(buffer: Buffer, start: number, end: number, text: string, textBase: number): string | undefined {
  if (start === end) return '';
  let pos = start;
  let changed = 0;
  if (buffer[pos] === 91) {
    pos++;
    while (pos < end && buffer[pos] !== 93) {
      const c = buffer[pos]!;
      if (HEX_VALUE[c] === 0 && c !== COLON && c !== 46) return undefined;
      changed |= ASCII_LOWER[c]! ^ c;
      pos++;
    }
    if (pos === end || pos === start + 1) return undefined;
    pos++;
  } else {
    while (pos < end && buffer[pos] !== COLON) {
      const c = buffer[pos]!;
      const lower = HOST_LOWER[c]!;
      if (lower === 0) return undefined;
      changed |= lower ^ c;
      pos++;
    }
    if (pos === start) return undefined;
  }
  const hostEnd = pos;
  if (pos < end) {
    if (buffer[pos] !== COLON) return undefined;
    for (pos++; pos < end; pos++) {
      const digit = buffer[pos]! - 48;
      if (digit < 0 || digit > 9) return undefined;
    }
  }
  const host = text.substring(start - textBase, hostEnd - textBase);
  return changed === 0 ? host : host.toLowerCase();
}
