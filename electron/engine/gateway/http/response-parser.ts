import { CR, FIELD_CHAR, LF, SLASH, SP, latin1 } from './chars.ts';
import { type HttpParseError } from './errors.ts';
import { type HeaderListImpl } from './header-list.ts';
import { BODY_CHUNKED, BODY_LENGTH, BODY_NONE, BODY_TUNNEL, BODY_UNTIL_CLOSE, fieldsFromSlots, HttpMessageParser, slotsHaveName, type HttpParserOptions } from './message-parser.ts';

/** One response head from an upstream. Strings are latin1, byte for byte. */
export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  readonly versionMinor: 0 | 1;
  readonly headers: HeaderListImpl;
  /** The declared Content-Length, -1 when absent or chunked; a HEAD, 204 or 304 answer may declare one and still has no body. */
  readonly contentLength: number;
  readonly chunked: boolean;
  /** False for a body with no framing: it runs until the upstream closes, so the connection cannot be reused. */
  readonly keepAlive: boolean;
  /** 101 Switching Protocols: HTTP ends here, and takeRemaining() has the first tunnel bytes. */
  readonly upgrade: boolean;
  /** Whether body bytes follow (false for 1xx, 204, 304 and answers to HEAD). */
  readonly hasBody: boolean;
  /** A body framed by nothing but the connection's end. */
  readonly untilClose: boolean;
  readonly headBytes: number;
  /** Whether the head has a field of this (lower-case) name; unlike `headers`, makes no strings. */
  hasField(lowerName: string): boolean;
}

export interface ResponseParserHandler {
  /** Also called for each 1xx interim head (status < 200, not 101); the final head follows with no end in between. */
  onResponseHead(head: ResponseHead): void;
  /**
   * Raw body bytes (chunked framing included): `buffer[start, end)`, a range
   * of the received chunk. Forward or copy them before returning; a range
   * rather than a view, so a caller that joins them to what came before
   * makes no view of them at all.
   */
  onResponseBody(buffer: Buffer, start: number, end: number): void;
  onResponseEnd(): void;
  /** The parser stops for good; error.status is 502. */
  onResponseError(error: HttpParseError): void;
}

/**
 * Upstream side: status line, headers and body framing per RFC 9112 6.3.
 * A response has no body after HEAD (tell it with setRequestMethod), for
 * 1xx, 204 and 304; without Content-Length or chunked it runs until the
 * upstream closes (finish() ends it). Both Content-Length and
 * Transfer-Encoding is refused rather than guessed at.
 */
export class ResponseParser extends HttpMessageParser {
  private readonly handler: ResponseParserHandler;
  private headRequest = false;
  private contentLength = -1;
  /** Where the head being emitted lies, for rawHead(). */
  private headSource: Buffer | undefined = undefined;
  private headSourceStart = 0;
  private headSourceEnd = 0;

  constructor(handler: ResponseParserHandler, options: HttpParserOptions) {
    super(options, true);
    this.handler = handler;
  }

  /** The method of the request this response answers; only HEAD changes anything, for that one response. */
  setRequestMethod(method: string): void {
    this.headRequest = method === 'HEAD';
  }

  /**
   * The head being emitted, byte for byte as received: call it from
   * onResponseHead. A view of the chunk it came in, or of the parser's copy
   * when it spanned chunks (which the parser then lets go of, so the view
   * stays valid).
   */
  rawHead(): Buffer {
    return this.headSource!.subarray(this.headSourceStart, this.headSourceEnd);
  }

  /** Where rawHead() lies, without making a view of it: the buffer, then rawHeadStart and rawHeadEnd in it. */
  get rawHeadSource(): Buffer {
    return this.headSource!;
  }

  get rawHeadStart(): number {
    return this.headSourceStart;
  }

  get rawHeadEnd(): number {
    return this.headSourceEnd;
  }

  /**
   * The first `length` body bytes, if they came in the same chunk as the
   * head being emitted (call it from onResponseHead): a view, for a caller
   * that wants head and body in one buffer. The parser still emits them.
   */
  bodyWithHead(length: number): Buffer | undefined {
    return this.bodyBytesWithHead(length) === length ? this.headSource!.subarray(this.headSourceEnd, this.headSourceEnd + length) : undefined;
  }

  /** `length` if bodyWithHead(length) would give the bytes, else 0: they then lie in rawHeadSource right after rawHeadEnd. */
  bodyBytesWithHead(length: number): number {
    return this.headSource === undefined || this.headCopied || this.chunkEnd - this.headSourceEnd < length ? 0 : length;
  }

  override reset(): void {
    super.reset();
    this.headRequest = false;
  }

  protected get declaredLength(): number {
    return this.contentLength;
  }

  protected get pausesAfterMessage(): boolean {
    return false;
  }

  protected override afterMessage(): void {
    this.headRequest = false;
  }

  protected emitBody(buffer: Buffer, start: number, end: number): void {
    this.handler.onResponseBody(buffer, start, end);
  }

  protected emitEnd(): void {
    this.handler.onResponseEnd();
  }

  protected emitError(error: HttpParseError): void {
    this.handler.onResponseError(error);
  }

  protected parseHead(buffer: Buffer, start: number): number {
    if (
      buffer[start] !== 72 ||
      buffer[start + 1] !== 84 ||
      buffer[start + 2] !== 84 ||
      buffer[start + 3] !== 80 ||
      buffer[start + 4] !== SLASH ||
      buffer[start + 6] !== 46 ||
      buffer[start + 8] !== SP
    ) {
      return this.reject('bad-response', 'invalid status line');
    }
    const major = buffer[start + 5]! - 48;
    const minor = buffer[start + 7]! - 48;
    if (major < 0 || major > 9 || minor < 0 || minor > 9) return this.reject('bad-response', 'invalid HTTP version in the status line');
    if (major !== 1 || minor > 1) return this.reject('version-not-supported', `HTTP/${major}.${minor} is not supported`);
    const d0 = buffer[start + 9]! - 48;
    const d1 = buffer[start + 10]! - 48;
    const d2 = buffer[start + 11]! - 48;
    if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return this.reject('bad-response', 'invalid status code');
    const status = d0 * 100 + d1 * 10 + d2;

    let cursor = start + 12;
    let reasonStart = cursor;
    // The SP before an empty reason is often left out; accept both.
    if (buffer[cursor] === SP) {
      reasonStart = ++cursor;
      while (FIELD_CHAR[buffer[cursor]!] !== 0) cursor++;
    }
    const reasonEnd = cursor;
    if (buffer[cursor] !== CR || buffer[cursor + 1] !== LF) return this.reject('bad-response', 'invalid status line');

    const end = this.scanFields(buffer, cursor + 2, true);
    if (end < 0) return -1;

    let kind = BODY_NONE;
    if (status === 101) {
      kind = BODY_TUNNEL;
    } else if (status < 200) {
      this.interimHead = true;
    } else if (this.fieldTransferEncoding) {
      if (this.fieldContentLength !== -1) return this.reject('bad-response', 'both Content-Length and Transfer-Encoding');
      if (this.fieldChunkedLast && this.fieldChunkedEarlier) return this.reject('bad-response', 'chunked applied more than once');
      // RFC 9112 6.3: codings not ending in chunked (or any coding in HTTP/1.0) leave the connection's end as the only frame.
      kind = minor === 1 && this.fieldChunkedLast ? BODY_CHUNKED : BODY_UNTIL_CLOSE;
    } else {
      kind = this.fieldContentLength === -1 ? BODY_UNTIL_CLOSE : BODY_LENGTH;
    }
    if (status >= 200 && (this.headRequest || status === 204 || status === 304)) kind = BODY_NONE;
    const chunked = kind === BODY_CHUNKED;
    this.bodyKind = kind;
    this.contentLength = this.fieldContentLength;
    const untilClose = kind === BODY_UNTIL_CLOSE;
    let reason = '';
    if (reasonEnd - reasonStart === 2 && buffer[reasonStart] === 79 && buffer[reasonStart + 1] === 75) reason = 'OK';
    else if (reasonEnd > reasonStart) reason = latin1(buffer, reasonStart, reasonEnd);
    const slotsAt = this.keepFieldSlots();
    const head = new ParsedResponseHead(
      status,
      reason,
      minor as 0 | 1,
      chunked ? -1 : this.fieldContentLength,
      chunked,
      !untilClose && !this.fieldClose && (minor === 1 || this.fieldKeepAlive),
      kind === BODY_TUNNEL,
      kind === BODY_CHUNKED || kind === BODY_UNTIL_CLOSE || (kind === BODY_LENGTH && this.fieldContentLength > 0),
      untilClose,
      end - start,
      buffer,
      start,
      slotsAt,
      this.keptSlots,
      this.fieldCount,
    );
    this.headSource = buffer;
    this.headSourceStart = start;
    this.headSourceEnd = end;
    this.handler.onResponseHead(head);
    this.headSource = undefined;
    return end;
  }
}

/**
 * A response head whose fields are made into strings only when someone asks
 * for them. A proxy passing an answer through untouched never does, and
 * saves the head's text and a string per name and value: about a tenth of
 * the garbage a proxied request makes. The head's bytes stay valid: they are
 * a chunk as received, or the parser's copy of a head that spanned chunks,
 * which it lets go of.
 */
class ParsedResponseHead implements ResponseHead {
  // Private fields, not properties: a copy of the head made by spreading it carries only the head's figures.
  readonly #source: Buffer;
  readonly #start: number;
  readonly #slots: Int32Array;
  readonly #slotsAt: number;
  readonly #fieldCount: number;
  #headers: HeaderListImpl | undefined = undefined;

  constructor(
    readonly status: number,
    readonly reason: string,
    readonly versionMinor: 0 | 1,
    readonly contentLength: number,
    readonly chunked: boolean,
    readonly keepAlive: boolean,
    readonly upgrade: boolean,
    readonly hasBody: boolean,
    readonly untilClose: boolean,
    readonly headBytes: number,
    source: Buffer,
    start: number,
    slotsAt: number,
    slots: Int32Array,
    fieldCount: number,
  ) {
    this.#source = source;
    this.#start = start;
    this.#slots = slots;
    this.#slotsAt = slotsAt;
    this.#fieldCount = fieldCount;
  }

  hasField(lowerName: string): boolean {
    const headers = this.#headers;
    if (headers !== undefined) return headers.has(lowerName);
    return slotsHaveName(this.#source, this.#slots, this.#slotsAt, this.#fieldCount, lowerName);
  }

  get headers(): HeaderListImpl {
    let headers = this.#headers;
    if (headers === undefined) {
      const start = this.#start;
      headers = fieldsFromSlots(latin1(this.#source, start, start + this.headBytes), start, this.#slots, this.#slotsAt, this.#fieldCount);
      this.#headers = headers;
    }
    return headers;
  }
}
