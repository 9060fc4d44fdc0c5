import { Buffer } from 'node:buffer';
import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import { ASCII_LOWER, COLON, COMMA, CR, FIELD_CHAR, HEX_VALUE, HTAB, LF, SEMICOLON, SP, TOKEN_LOWER, latin1 } from './chars.ts';
import { HttpParseError, type HttpErrorKind } from './errors.ts';
import { HeaderListImpl } from './header-list.ts';
import {
  HEADER_CONNECTION,
  HEADER_CONTENT_LENGTH,
  HEADER_EXPECT,
  HEADER_HOST,
  HEADER_OTHER,
  HEADER_TRANSFER_ENCODING,
  HEADER_UPGRADE,
  KNOWN_HEADER_NAMES,
  lookupHeaderName,
} from './header-names.ts';

export interface HttpParserOptions {
  /** Start line plus headers plus the empty line; more is `header-too-large`. Also bounds a chunked body's trailer section. */
  maxHeaderBytes: number;
  /** The default body limit for each message (setMaxBodyBytes changes it for one); Infinity when absent. */
  maxBodyBytes?: number;
  /** All chunk extensions of one message together; more is `bad-request`. 4096 when absent. */
  maxChunkExtensionBytes?: number;
}

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** `buffer[start, end)` as a Buffer: the buffer itself when that is all of it, else a view. */
export function viewOf(buffer: Buffer, start: number, end: number): Buffer {
  return start === 0 && end === buffer.length ? buffer : buffer.subarray(start, end);
}

/**
 * Where scanFields notes each field, five ints a field: the known-name
 * index (or one of the two codes below), name start and end, value start
 * and end. One array for every parser of the thread: a head is scanned and
 * built before any callback runs, so no two parses ever share it.
 */
const SLOT_SIZE = 5;
const NAME_AS_IS = -1;
const NAME_NEEDS_LOWER_CASE = -2;
let fieldSlots = new Int32Array(64 * SLOT_SIZE);

/**
 * The slab keepFieldSlots copies a head's slots into, 64 KB at a time, each
 * head holding on to its slab. A typed array of its own per head (`slice`)
 * would be an ArrayBuffer per proxied response, which V8 tracks one by one
 * and frees in every young collection: that sweep was the largest part of
 * the gateway's collection pauses, and so of its latency tail.
 */
const KEPT_SLAB_INTS = 16_384;
let keptSlab = new Int32Array(KEPT_SLAB_INTS);
let keptUsed = 0;

const STATE_HEAD = 0;
/** The head was delivered while paused; the body starts on resume. */
const STATE_BODY_START = 1;
const STATE_LENGTH = 2;
const STATE_CHUNKED = 3;
const STATE_UNTIL_CLOSE = 4;
/** HTTP ended for this connection (101, or an upgrade request taken over): bytes are kept for takeRemaining(). */
const STATE_TUNNEL = 5;
const STATE_ERROR = 6;

export const BODY_NONE = 0;
export const BODY_LENGTH = 1;
export const BODY_CHUNKED = 2;
export const BODY_UNTIL_CLOSE = 3;
export const BODY_TUNNEL = 4;

const CHUNK_SIZE_START = 0;
const CHUNK_SIZE = 1;
const CHUNK_SIZE_SPACE = 2;
const CHUNK_EXTENSION = 3;
const CHUNK_SIZE_LF = 4;
const CHUNK_DATA = 5;
const CHUNK_DATA_CR = 6;
const CHUNK_DATA_LF = 7;
const CHUNK_TRAILER_START = 8;
const CHUNK_TRAILER_LINE = 9;
const CHUNK_TRAILER_LF = 10;
const CHUNK_END_LF = 11;

/** Beyond this a chunk size is refused rather than risk losing precision (2^48 bytes is far past any body limit). */
const MAX_CHUNK_SIZE_BEFORE_SHIFT = 2 ** 44;
const MAX_CHUNK_SIZE_DIGITS = 16;
/** Content-Length digits: 15 keep the value an exact integer. */
const MAX_LENGTH_DIGITS = 15;

/**
 * What the two parsers share: finding the end of a head incrementally, the
 * field lines, body framing (Content-Length, chunked, until close), pause,
 * resume and the tunnel hand-over. A parser lives as long as its connection
 * and is reused for every message on it; reset() readies it for another.
 *
 * Everything runs synchronously inside execute() or resume(); callbacks go to
 * one handler object given at construction, so nothing allocates a closure
 * per message. Body bytes are handed on as a range of the chunk they
 * arrived in, raw: a chunked body comes out with its framing, ready to
 * forward as it is. The request parser's handler gets them as a view (the
 * chunk itself when it is all body); the response parser's gets the range,
 * so a proxy can join a head and its body into one view without making one
 * for each.
 */
export abstract class HttpMessageParser {
  protected readonly maxHeaderBytes: number;
  private readonly defaultMaxBodyBytes: number;
  private readonly maxChunkExtensionBytes: number;
  private readonly fromUpstream: boolean;

  protected state = STATE_HEAD;
  private paused = false;
  private executing = false;
  private endPending = false;
  private eof = false;
  /** The end of the range run() is parsing (see chunkEnd). */
  private runEnd = 0;
  /** Bytes received while paused or after HTTP ended, not parsed yet. */
  private pending: Buffer | undefined = undefined;

  /** A head split across chunks is copied here (only then); also collects a trailer section. */
  private headBuffer: Buffer | undefined = undefined;
  private headLength = 0;
  /** A CR was the last byte of the empty lines that may precede a message. */
  private sawLeadingCR = false;

  /** While a head that spanned chunks is parsed from the parser's copy: nothing follows it in that buffer. */
  protected headCopied = false;

  /** Set by parseHead: how the body that follows is framed. */
  protected bodyKind = BODY_NONE;
  /** Set by parseHead for a 1xx other than 101: another head follows for the same request, with no end in between. */
  protected interimHead = false;
  private bodyRemaining = 0;
  private maxBodyBytes: number;
  private bodyBytes = 0;

  private chunkState = CHUNK_SIZE_START;
  private chunkRemaining = 0;
  private chunkExtensionBytes = 0;
  private chunkSizeDigits = 0;
  private trailerList: HeaderListImpl | undefined = undefined;

  /** What parseFields found in the headers the parsers interpret; reset per head. */
  protected fieldContentLength = -1;
  protected fieldHostCount = 0;
  /** Where the (last) Host value is in the head's buffer. */
  protected fieldHostStart = 0;
  protected fieldHostEnd = 0;
  protected fieldTransferEncoding = false;
  protected fieldChunkedLast = false;
  protected fieldChunkedEarlier = false;
  protected fieldClose = false;
  protected fieldKeepAlive = false;
  protected fieldConnectionUpgrade = false;
  protected fieldUpgrade = false;
  protected fieldExpectContinue = false;

  /** How many fields the last scanFields found. */
  protected fieldCount = 0;
  private failKind: HttpErrorKind = 'bad-request';
  private failMessage = '';

  protected constructor(options: HttpParserOptions, fromUpstream: boolean) {
    const { maxHeaderBytes, maxBodyBytes = Infinity, maxChunkExtensionBytes = 4096 } = options;
    if (!Number.isInteger(maxHeaderBytes) || maxHeaderBytes < 64) throw new NetopsError(ErrorCodes.invalidArgument, `maxHeaderBytes must be an integer >= 64, got ${maxHeaderBytes}`);
    if (!(maxBodyBytes >= 0)) throw new NetopsError(ErrorCodes.invalidArgument, `maxBodyBytes must be >= 0, got ${maxBodyBytes}`);
    if (!Number.isInteger(maxChunkExtensionBytes) || maxChunkExtensionBytes < 0) {
      throw new NetopsError(ErrorCodes.invalidArgument, `maxChunkExtensionBytes must be an integer >= 0, got ${maxChunkExtensionBytes}`);
    }
    this.maxHeaderBytes = maxHeaderBytes;
    this.defaultMaxBodyBytes = maxBodyBytes;
    this.maxBodyBytes = maxBodyBytes;
    this.maxChunkExtensionBytes = maxChunkExtensionBytes;
    this.fromUpstream = fromUpstream;
  }

  /**
   * Parses a chunk, `chunk[start, end)` (all of it by default), calling the
   * handler for each head, body piece, message end or error, in order. The
   * bytes past `end` are not read: a caller may pass the shared slab its
   * reads are kept in, with no view of its own for each read. Returns false
   * when the caller should stop reading for now: paused, failed, or HTTP is
   * over for this connection.
   */
  execute(chunk: Buffer, start = 0, end = chunk.length): boolean {
    if (this.state === STATE_ERROR || this.eof) return false;
    if (this.paused || this.state === STATE_TUNNEL) {
      const bytes = viewOf(chunk, start, end);
      this.pending = this.pending === undefined ? bytes : Buffer.concat([this.pending, bytes]);
      return false;
    }
    this.run(chunk, start, end);
    return !this.paused && this.state !== STATE_ERROR && this.state !== STATE_TUNNEL;
  }

  /** Where the chunk being parsed ends in its buffer (see execute); valid during a callback. */
  protected get chunkEnd(): number {
    return this.runEnd;
  }

  /** No callbacks after the current one returns until resume(); later chunks are kept, not parsed. */
  pause(): void {
    this.paused = true;
  }

  /** Parses what was kept while paused (synchronously, calling the handler). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.executing || this.state === STATE_ERROR || this.state === STATE_TUNNEL) return;
    if (this.state === STATE_BODY_START) {
      if (!this.startBody()) return;
    } else if (this.endPending) {
      this.endPending = false;
      this.finishMessage();
    }
    const pending = this.pending;
    if (pending !== undefined && !this.paused) {
      this.pending = undefined;
      this.run(pending, 0, pending.length);
    } else if (this.eof && !this.paused) {
      this.checkEnd();
    }
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Between messages with nothing half-received (a kept-alive connection may be closed now). */
  get isIdle(): boolean {
    return this.state === STATE_HEAD && this.headLength === 0 && !this.sawLeadingCR && !this.endPending && this.pending === undefined;
  }

  /**
   * The unparsed bytes, handed over when the connection stops speaking HTTP
   * (a 101, or an upgrade request the proxy turns into a tunnel). The parser
   * keeps nothing afterwards and parses nothing more.
   */
  takeRemaining(): Buffer | undefined {
    const pending = this.pending;
    this.pending = undefined;
    this.state = STATE_TUNNEL;
    return pending;
  }

  /** The body limit for the message in progress (a route's bodyLimit); the next message starts from the default again. */
  setMaxBodyBytes(maxBytes: number): void {
    this.maxBodyBytes = maxBytes;
  }

  /** Decoded body bytes of the message in progress, or of the one that just ended (chunk framing not counted). */
  get receivedBodyBytes(): number {
    return this.bodyBytes;
  }

  /** The trailer fields of the chunked message that just ended; read them in the end callback. */
  get trailers(): HeaderListImpl | undefined {
    return this.trailerList;
  }

  /** The peer closed its side: ends a body read until close, fails a message cut short. */
  finish(): void {
    if (this.eof || this.state === STATE_ERROR) return;
    this.eof = true;
    if (!this.paused && !this.executing) this.checkEnd();
  }

  /** Ready for a new connection. */
  reset(): void {
    this.state = STATE_HEAD;
    this.paused = false;
    this.endPending = false;
    this.eof = false;
    this.pending = undefined;
    this.headBuffer = undefined;
    this.headLength = 0;
    this.sawLeadingCR = false;
    this.resetMessage();
  }

  /**
   * Parses the head starting at `start`; the bytes from there are known to
   * hold CRLFCRLF, so its loops stop at a CR without bounds checks. Sets
   * bodyKind, emits the head and returns where it ended, or -1 after reject().
   */
  protected abstract parseHead(buffer: Buffer, start: number): number;
  /** Body bytes `buffer[start, end)`: the chunk being parsed, valid during the call. */
  protected abstract emitBody(buffer: Buffer, start: number, end: number): void;
  protected abstract emitEnd(): void;
  protected abstract emitError(error: HttpParseError): void;
  /** The Content-Length of the head, for framing. */
  protected abstract get declaredLength(): number;
  /** Whether the message that just ended hands the connection over (an upgrade request): the parser then pauses itself. */
  protected abstract get pausesAfterMessage(): boolean;

  /** Records why parsing failed; the caller returns -1 and the parser emits the error. */
  protected reject(kind: HttpErrorKind, message: string): -1 {
    this.failKind = kind;
    this.failMessage = message;
    return -1;
  }

  private fail(kind: HttpErrorKind, message: string): number {
    this.state = STATE_ERROR;
    this.pending = undefined;
    this.headBuffer = undefined;
    this.emitError(new HttpParseError(kind, message, this.fromUpstream));
    return -1;
  }

  private failRecorded(): number {
    return this.fail(this.failKind, this.failMessage);
  }

  private run(buffer: Buffer, start: number, end: number): void {
    this.executing = true;
    this.runEnd = end;
    let pos = start;
    while (pos < end) {
      switch (this.state) {
        case STATE_HEAD:
          pos = this.readHead(buffer, pos, end);
          break;
        case STATE_LENGTH:
          pos = this.readLengthBody(buffer, pos, end);
          break;
        case STATE_CHUNKED:
          pos = this.readChunkedBody(buffer, pos, end);
          break;
        case STATE_UNTIL_CLOSE:
          this.bodyBytes += end - pos;
          this.emitBody(buffer, pos, end);
          pos = end;
          break;
        default:
          pos = -1;
      }
      if (pos < 0) break;
      if (this.paused || this.state === STATE_TUNNEL) {
        if (pos < end) this.pending = this.pending === undefined ? buffer.subarray(pos, end) : Buffer.concat([buffer.subarray(pos, end), this.pending]);
        break;
      }
    }
    this.executing = false;
    if (this.eof && !this.paused) this.checkEnd();
  }

  private checkEnd(): void {
    if (this.state === STATE_UNTIL_CLOSE) {
      this.finishMessage();
    } else if (this.state !== STATE_TUNNEL && this.state !== STATE_ERROR && !this.isIdle) {
      this.fail(this.fromUpstream ? 'bad-response' : 'bad-request', 'the connection closed in the middle of a message');
    }
  }

  private readHead(buffer: Buffer, pos: number, end: number): number {
    if (this.headLength === 0) {
      // RFC 9112 2.2: empty lines before a message are skipped (old clients send CRLF after a POST body).
      while (pos < end) {
        const c = buffer[pos]!;
        if (this.sawLeadingCR) {
          if (c !== LF) return this.fail(this.badKind(), 'CR without LF');
          this.sawLeadingCR = false;
        } else if (c === CR) {
          this.sawLeadingCR = true;
        } else if (c === LF) {
          return this.fail(this.badKind(), 'bare LF line ending');
        } else {
          break;
        }
        pos++;
      }
      if (pos === end) return end;
      // The usual chunk is one whole head: ending in CRLFCRLF is then proof enough that the head is complete, without a search.
      if (
        end - pos <= this.maxHeaderBytes &&
        end - pos >= 4 &&
        buffer[end - 1] === LF &&
        buffer[end - 2] === CR &&
        buffer[end - 3] === LF &&
        buffer[end - 4] === CR
      ) {
        return this.completeHead(buffer, pos);
      }
      // The search may run past `end` (into a slab's other bytes): a find there is no find.
      const found = buffer.indexOf(HEAD_END, pos);
      if (found !== -1 && found + 4 <= end) {
        if (found + 4 - pos > this.maxHeaderBytes) return this.tooLarge();
        return this.completeHead(buffer, pos);
      }
      if (end - pos > this.maxHeaderBytes) return this.tooLarge();
      if (hasBareLF(buffer, pos, end, CR)) return this.fail(this.badKind(), 'bare LF line ending');
      this.appendHead(buffer, pos, end);
      return end;
    }
    const headEnd = this.findEndAcross(buffer, pos, end);
    const stop = headEnd === -1 ? end : headEnd;
    if (this.headLength + stop - pos > this.maxHeaderBytes) return this.tooLarge();
    if (headEnd === -1 && hasBareLF(buffer, pos, end, this.headBuffer![this.headLength - 1]!)) return this.fail(this.badKind(), 'bare LF line ending');
    this.appendHead(buffer, pos, stop);
    if (headEnd === -1) return end;
    const head = this.headBuffer!;
    this.headBuffer = undefined;
    this.headLength = 0;
    this.headCopied = true;
    const parsed = this.completeHead(head, 0);
    this.headCopied = false;
    return parsed < 0 ? -1 : headEnd;
  }

  /** Where the head ends in this chunk when its first bytes are buffered: the CRLFCRLF may straddle the two. */
  private findEndAcross(buffer: Buffer, pos: number, end: number): number {
    const held = this.headBuffer!;
    const length = this.headLength;
    for (let inHeld = Math.min(3, length); inHeld >= 1; inHeld--) {
      const inChunk = 4 - inHeld;
      if (end - pos < inChunk) continue;
      let match = true;
      for (let i = 0; i < 4 && match; i++) {
        const byte = i < inHeld ? held[length - inHeld + i] : buffer[pos + i - inHeld];
        match = byte === HEAD_END[i];
      }
      if (match) return pos + inChunk;
    }
    const found = buffer.indexOf(HEAD_END, pos);
    return found === -1 || found + 4 > end ? -1 : found + 4;
  }

  private appendHead(buffer: Buffer, start: number, end: number): void {
    const needed = this.headLength + end - start;
    let held = this.headBuffer;
    if (held === undefined || held.length < needed) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(needed, held === undefined ? 1024 : held.length * 2), this.maxHeaderBytes + 4));
      if (held !== undefined) held.copy(grown, 0, 0, this.headLength);
      held = grown;
      this.headBuffer = grown;
    }
    buffer.copy(held, this.headLength, start, end);
    this.headLength = needed;
  }

  /** Parses and emits the head at `start` and moves on to its body; returns where the head ended, or -1. */
  private completeHead(buffer: Buffer, start: number): number {
    this.resetFields();
    this.resetMessage();
    const headEnd = this.parseHead(buffer, start);
    if (headEnd < 0) return this.failRecorded();
    if (this.paused) {
      this.state = STATE_BODY_START;
      return headEnd;
    }
    return this.startBody() ? headEnd : -1;
  }

  private tooLarge(): number {
    return this.fail('header-too-large', `the message head is larger than ${this.maxHeaderBytes} bytes`);
  }

  private badKind(): HttpErrorKind {
    return this.fromUpstream ? 'bad-response' : 'bad-request';
  }

  /** Moves to the body parseHead framed; false when it failed. */
  private startBody(): boolean {
    switch (this.bodyKind) {
      case BODY_LENGTH: {
        const length = this.declaredLength;
        if (length > this.maxBodyBytes) {
          this.fail('body-too-large', `the body of ${length} bytes is larger than the limit of ${this.maxBodyBytes}`);
          return false;
        }
        if (length === 0) {
          this.finishMessage();
          return true;
        }
        this.bodyRemaining = length;
        this.state = STATE_LENGTH;
        return true;
      }
      case BODY_CHUNKED:
        this.chunkState = CHUNK_SIZE_START;
        this.state = STATE_CHUNKED;
        return true;
      case BODY_UNTIL_CLOSE:
        this.state = STATE_UNTIL_CLOSE;
        return true;
      case BODY_TUNNEL:
        this.state = STATE_TUNNEL;
        return true;
      default:
        if (this.interimHead) this.state = STATE_HEAD;
        else this.finishMessage();
        return true;
    }
  }

  private finishMessage(): void {
    const pauses = this.pausesAfterMessage;
    this.state = STATE_HEAD;
    if (pauses) this.paused = true;
    this.afterMessage();
    this.emitEnd();
  }

  /** Bookkeeping before an end is emitted, so the handler may already set up the next message (the response parser forgets the request method). */
  protected afterMessage(): void {}

  private resetMessage(): void {
    this.bodyRemaining = 0;
    this.bodyBytes = 0;
    this.maxBodyBytes = this.defaultMaxBodyBytes;
    this.chunkState = CHUNK_SIZE_START;
    this.chunkRemaining = 0;
    this.chunkExtensionBytes = 0;
  }

  private messageBodyDone(): void {
    if (this.paused) {
      this.endPending = true;
      return;
    }
    this.finishMessage();
  }

  private readLengthBody(buffer: Buffer, pos: number, end: number): number {
    const available = end - pos;
    if (available < this.bodyRemaining) {
      this.bodyRemaining -= available;
      this.bodyBytes += available;
      this.emitBody(buffer, pos, end);
      return end;
    }
    const stop = pos + this.bodyRemaining;
    this.bodyBytes += this.bodyRemaining;
    this.bodyRemaining = 0;
    this.emitBody(buffer, pos, stop);
    if (this.state === STATE_ERROR) return -1;
    this.messageBodyDone();
    return stop;
  }

  private readChunkedBody(buffer: Buffer, start: number, end: number): number {
    let pos = start;
    let state = this.chunkState;
    let done = false;
    while (pos < end && !done) {
      const c = buffer[pos]!;
      switch (state) {
        case CHUNK_DATA: {
          const take = Math.min(this.chunkRemaining, end - pos);
          this.chunkRemaining -= take;
          pos += take;
          if (this.chunkRemaining === 0) state = CHUNK_DATA_CR;
          continue;
        }
        case CHUNK_SIZE_START: {
          const digit = HEX_VALUE[c]!;
          if (digit === 0) return this.fail(this.badKind(), 'invalid chunk size');
          this.chunkRemaining = digit - 1;
          this.chunkSizeDigits = 1;
          state = CHUNK_SIZE;
          break;
        }
        case CHUNK_SIZE: {
          const digit = HEX_VALUE[c]!;
          if (digit !== 0) {
            // Leading zeros count too: a size line is never an unbounded trickle.
            if (this.chunkRemaining >= MAX_CHUNK_SIZE_BEFORE_SHIFT || ++this.chunkSizeDigits > MAX_CHUNK_SIZE_DIGITS) return this.fail(this.badKind(), 'chunk size too large');
            this.chunkRemaining = this.chunkRemaining * 16 + digit - 1;
          } else if (c === CR) {
            state = CHUNK_SIZE_LF;
          } else if (c === SEMICOLON) {
            state = CHUNK_EXTENSION;
          } else if (c === SP || c === HTAB) {
            state = CHUNK_SIZE_SPACE;
          } else {
            return this.fail(this.badKind(), 'invalid chunk size');
          }
          break;
        }
        case CHUNK_SIZE_SPACE:
          // BWS is allowed before a chunk extension, nowhere else.
          if (c === SEMICOLON) state = CHUNK_EXTENSION;
          else if (c !== SP && c !== HTAB) return this.fail(this.badKind(), 'invalid chunk size');
          break;
        case CHUNK_EXTENSION:
          if (c === CR) {
            state = CHUNK_SIZE_LF;
          } else if (FIELD_CHAR[c] === 0) {
            return this.fail(this.badKind(), 'invalid character in a chunk extension');
          } else if (++this.chunkExtensionBytes > this.maxChunkExtensionBytes) {
            return this.fail(this.badKind(), `chunk extensions exceed ${this.maxChunkExtensionBytes} bytes`);
          }
          break;
        case CHUNK_SIZE_LF:
          if (c !== LF) return this.fail(this.badKind(), 'chunk size line without LF');
          if (this.chunkRemaining === 0) {
            state = CHUNK_TRAILER_START;
            this.headLength = 0;
          } else {
            this.bodyBytes += this.chunkRemaining;
            if (this.bodyBytes > this.maxBodyBytes) return this.fail('body-too-large', `the chunked body is larger than the limit of ${this.maxBodyBytes}`);
            state = CHUNK_DATA;
          }
          break;
        case CHUNK_DATA_CR:
          if (c !== CR) return this.fail(this.badKind(), 'chunk data longer than its size');
          state = CHUNK_DATA_LF;
          break;
        case CHUNK_DATA_LF:
          if (c !== LF) return this.fail(this.badKind(), 'chunk data without CRLF');
          state = CHUNK_SIZE_START;
          break;
        case CHUNK_TRAILER_START:
          if (c === CR) {
            state = CHUNK_END_LF;
            break;
          }
          if (c === LF) return this.fail(this.badKind(), 'bare LF line ending');
          state = CHUNK_TRAILER_LINE;
          if (!this.holdTrailerByte(c)) return -1;
          break;
        case CHUNK_TRAILER_LINE:
          if (c === CR) state = CHUNK_TRAILER_LF;
          if (!this.holdTrailerByte(c)) return -1;
          break;
        case CHUNK_TRAILER_LF:
          if (c !== LF) return this.fail(this.badKind(), 'CR without LF in trailers');
          state = CHUNK_TRAILER_START;
          if (!this.holdTrailerByte(c)) return -1;
          break;
        case CHUNK_END_LF:
          if (c !== LF) return this.fail(this.badKind(), 'CR without LF at the end of a chunked body');
          done = true;
          break;
      }
      pos++;
    }
    this.chunkState = state;
    if (done && this.headLength > 0 && !this.parseTrailers()) return -1;
    this.emitBody(buffer, start, pos);
    if (this.state === STATE_ERROR) return -1;
    if (done) this.messageBodyDone();
    return pos;
  }

  private holdTrailerByte(byte: number): boolean {
    if (this.headLength >= this.maxHeaderBytes) {
      this.fail('header-too-large', `the trailer section is larger than ${this.maxHeaderBytes} bytes`);
      return false;
    }
    if (this.headBuffer === undefined || this.headBuffer.length === this.headLength) {
      const grown = Buffer.allocUnsafe(Math.min(this.headBuffer === undefined ? 256 : this.headBuffer.length * 2, this.maxHeaderBytes + 4));
      if (this.headBuffer !== undefined) this.headBuffer.copy(grown, 0, 0, this.headLength);
      this.headBuffer = grown;
    }
    this.headBuffer[this.headLength++] = byte;
    return true;
  }

  private parseTrailers(): boolean {
    const length = this.headLength;
    let held = this.headBuffer!;
    if (held.length < length + 2) {
      held = Buffer.allocUnsafe(length + 2);
      this.headBuffer!.copy(held, 0, 0, length);
    }
    // The section as the field parser wants it: the lines, then the empty line.
    held[length] = CR;
    held[length + 1] = LF;
    this.headLength = 0;
    this.headBuffer = undefined;
    if (this.scanFields(held, 0, false) < 0) {
      this.failRecorded();
      return false;
    }
    this.trailerList = this.buildFields(latin1(held, 0, length + 2), 0);
    return true;
  }

  private resetFields(): void {
    this.fieldContentLength = -1;
    this.fieldHostCount = 0;
    this.fieldHostStart = 0;
    this.fieldHostEnd = 0;
    this.fieldTransferEncoding = false;
    this.fieldChunkedLast = false;
    this.fieldChunkedEarlier = false;
    this.fieldClose = false;
    this.fieldKeepAlive = false;
    this.fieldConnectionUpgrade = false;
    this.fieldUpgrade = false;
    this.fieldExpectContinue = false;
    this.interimHead = false;
    this.bodyKind = BODY_NONE;
    this.trailerList = undefined;
  }

  /**
   * First pass over the field lines from `pos` to the empty line that ends
   * them: checks every byte, interprets the framing fields and notes where
   * each name and value is in `fieldSlots`, allocating nothing. The loops
   * stop at a CR, so a region known to hold CRLFCRLF needs no bounds checks.
   * Returns the position after the empty line, or -1 after reject().
   */
  protected scanFields(buffer: Buffer, pos: number, interpret: boolean): number {
    // Locals, not module bindings, so the optimizer can keep the tables' checks out of the byte loops.
    const tokenLower = TOKEN_LOWER;
    const fieldChar = FIELD_CHAR;
    let slots = fieldSlots;
    let count = 0;
    for (;;) {
      let c = buffer[pos]!;
      if (c === CR) {
        if (buffer[pos + 1] !== LF) return this.rejectAt('CR without LF');
        this.fieldCount = count;
        return pos + 2;
      }
      const nameStart = pos;
      let lower = tokenLower[c]!;
      if (lower === 0) return this.rejectAt(c === SP || c === HTAB ? 'obsolete line folding' : c === COLON ? 'empty header name' : 'invalid character in a header name');
      let hash = 0;
      let changed = 0;
      do {
        hash = ((hash << 5) + hash + lower) | 0; // nextNameHash, inlined
        changed |= lower ^ c;
        c = buffer[++pos]!;
        lower = tokenLower[c]!;
      } while (lower !== 0);
      if (c !== COLON) return this.rejectAt(c === SP || c === HTAB ? 'whitespace between a header name and the colon' : 'invalid character in a header name');
      const nameEnd = pos;
      c = buffer[++pos]!;
      while (c === SP || c === HTAB) c = buffer[++pos]!;
      const valueStart = pos;
      while (fieldChar[c] !== 0) c = buffer[++pos]!;
      if (c !== CR || buffer[pos + 1] !== LF) return this.rejectAt(c === LF ? 'bare LF line ending' : 'invalid character in a header value');
      let valueEnd = pos;
      while (valueEnd > valueStart && (buffer[valueEnd - 1] === SP || buffer[valueEnd - 1] === HTAB)) valueEnd--;
      pos += 2;

      const known = lookupHeaderName(buffer, nameStart, nameEnd, hash);
      if (interpret && known !== -1 && known < HEADER_OTHER && !this.interpretField(known, buffer, valueStart, valueEnd)) return -1;
      const slot = count * SLOT_SIZE;
      if (slot + SLOT_SIZE > slots.length) {
        const grown = new Int32Array(slots.length * 2);
        grown.set(slots);
        slots = fieldSlots = grown;
      }
      slots[slot] = known !== -1 ? known : changed !== 0 ? NAME_NEEDS_LOWER_CASE : NAME_AS_IS;
      slots[slot + 1] = nameStart;
      slots[slot + 2] = nameEnd;
      slots[slot + 3] = valueStart;
      slots[slot + 4] = valueEnd;
      count++;
    }
  }

  /** Second pass: the strings of the fields scanFields found, cut from `text`, which holds the head's bytes from `textBase`. */
  protected buildFields(text: string, textBase: number): HeaderListImpl {
    return fieldsFromSlots(text, textBase, fieldSlots, 0, this.fieldCount);
  }

  /**
   * Keeps what scanFields noted of the last head, for building its fields
   * later (see fieldsFromSlots): copies it into the current slab and returns
   * where it starts there. Read `keptSlots` after this call: it may start a
   * new slab.
   */
  protected keepFieldSlots(): number {
    const length = this.fieldCount * SLOT_SIZE;
    if (keptUsed + length > keptSlab.length) {
      keptSlab = new Int32Array(Math.max(KEPT_SLAB_INTS, length));
      keptUsed = 0;
    }
    const slab = keptSlab;
    const at = keptUsed;
    for (let i = 0; i < length; i++) slab[at + i] = fieldSlots[i]!;
    keptUsed = at + length;
    return at;
  }

  /** The slab the last keepFieldSlots copied into. */
  protected get keptSlots(): Int32Array {
    return keptSlab;
  }

  private refuse(message: string): false {
    this.reject(this.badKind(), message);
    return false;
  }

  private rejectAt(message: string): number {
    this.reject(this.badKind(), message);
    return -1;
  }

  private interpretField(id: number, buffer: Buffer, start: number, end: number): boolean {
    switch (id) {
      case HEADER_HOST:
        this.fieldHostCount++;
        this.fieldHostStart = start;
        this.fieldHostEnd = end;
        return true;
      case HEADER_CONTENT_LENGTH:
        return this.readContentLength(buffer, start, end);
      case HEADER_TRANSFER_ENCODING:
        return this.readTransferEncoding(buffer, start, end);
      case HEADER_CONNECTION:
        this.readConnection(buffer, start, end);
        return true;
      case HEADER_UPGRADE:
        this.fieldUpgrade = end > start;
        return true;
      case HEADER_EXPECT:
        this.fieldExpectContinue = equalsLower(buffer, start, end, CONTINUE_100);
        return true;
      default:
        return true;
    }
  }

  /** Digits, or a list of identical digits (RFC 9110 8.6 lets a recipient accept "5, 5"). */
  private readContentLength(buffer: Buffer, start: number, end: number): boolean {
    let pos = start;
    let length = -1;
    for (;;) {
      let value = 0;
      let digits = 0;
      while (pos < end) {
        const digit = buffer[pos]! - 48;
        if (digit < 0 || digit > 9) break;
        value = value * 10 + digit;
        digits++;
        pos++;
      }
      if (digits === 0) return this.refuse('Content-Length is not a number');
      if (digits > MAX_LENGTH_DIGITS) return this.refuse('Content-Length is too large');
      if (length !== -1 && length !== value) return this.refuse('differing Content-Length values');
      length = value;
      pos = skipSpaces(buffer, pos, end);
      if (pos === end) break;
      if (buffer[pos] !== COMMA) return this.refuse('Content-Length is not a number');
      pos = skipSpaces(buffer, pos + 1, end);
    }
    if (this.fieldContentLength !== -1 && this.fieldContentLength !== length) return this.refuse('differing Content-Length values');
    this.fieldContentLength = length;
    return true;
  }

  /** Codings in order; records whether chunked is the final one and whether it also came earlier (applied twice). */
  private readTransferEncoding(buffer: Buffer, start: number, end: number): boolean {
    this.fieldTransferEncoding = true;
    let pos = start;
    while (pos < end) {
      const tokenStart = pos;
      while (pos < end && TOKEN_LOWER[buffer[pos]!] !== 0) pos++;
      const tokenEnd = pos;
      pos = skipSpaces(buffer, pos, end);
      let parameters = false;
      if (pos < end && buffer[pos] === SEMICOLON) {
        parameters = true;
        while (pos < end && buffer[pos] !== COMMA) pos++;
      }
      if (pos < end && buffer[pos] !== COMMA) return this.refuse('invalid Transfer-Encoding');
      if (tokenEnd > tokenStart) {
        const chunked = equalsLower(buffer, tokenStart, tokenEnd, CHUNKED);
        if (chunked && parameters) return this.refuse('chunked takes no parameters');
        if (this.fieldChunkedLast) this.fieldChunkedEarlier = true;
        this.fieldChunkedLast = chunked;
      } else if (parameters) {
        return this.refuse('invalid Transfer-Encoding');
      }
      if (pos < end) pos = skipSpaces(buffer, pos + 1, end);
    }
    return true;
  }

  private readConnection(buffer: Buffer, start: number, end: number): void {
    let pos = start;
    while (pos < end) {
      const tokenStart = pos;
      while (pos < end && buffer[pos] !== COMMA) pos++;
      let tokenEnd = pos;
      while (tokenEnd > tokenStart && (buffer[tokenEnd - 1] === SP || buffer[tokenEnd - 1] === HTAB)) tokenEnd--;
      switch (tokenEnd - tokenStart) {
        case 5:
          if (equalsLower(buffer, tokenStart, tokenEnd, CLOSE)) this.fieldClose = true;
          break;
        case 7:
          if (equalsLower(buffer, tokenStart, tokenEnd, UPGRADE)) this.fieldConnectionUpgrade = true;
          break;
        case 10:
          if (equalsLower(buffer, tokenStart, tokenEnd, KEEP_ALIVE)) this.fieldKeepAlive = true;
          break;
      }
      if (pos < end) pos = skipSpaces(buffer, pos + 1, end);
    }
  }
}

const CHUNKED = Buffer.from('chunked');
const CLOSE = Buffer.from('close');
const UPGRADE = Buffer.from('upgrade');
const KEEP_ALIVE = Buffer.from('keep-alive');
const CONTINUE_100 = Buffer.from('100-continue');

/** buffer[start, end) equals `lower` ignoring ASCII case. */
function equalsLower(buffer: Buffer, start: number, end: number, lower: Uint8Array): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if (ASCII_LOWER[buffer[start + i]!] !== lower[i]) return false;
  }
  return true;
}

function skipSpaces(buffer: Buffer, pos: number, end: number): number {
  while (pos < end && (buffer[pos] === SP || buffer[pos] === HTAB)) pos++;
  return pos;
}

/** An LF in buffer[start, end) not preceded by CR; `before` is the byte preceding `start`. */
function hasBareLF(buffer: Buffer, start: number, end: number, before: number): boolean {
  let from = start;
  for (;;) {
    const at = buffer.indexOf(LF, from);
    if (at === -1 || at >= end) return false;
    if ((at === start ? before : buffer[at - 1]) !== CR) return true;
    from = at + 1;
  }
}

/** The `count` fields scanFields noted in `slots` from index `first` (positions in the buffer `text` was decoded from at `textBase`). */
export function fieldsFromSlots(text: string, textBase: number, slots: Int32Array, first: number, count: number): HeaderListImpl {
  // Sized up front: grown by push, each would take room for 16 fields or more, for the one or few a request has.
  const names = new Array<string>(count);
  const values = new Array<string>(count);
  for (let i = 0, slot = first; i < count; i++, slot += SLOT_SIZE) {
    const known = slots[slot]!;
    if (known >= 0) {
      names[i] = KNOWN_HEADER_NAMES[known]!;
    } else {
      const name = text.substring(slots[slot + 1]! - textBase, slots[slot + 2]! - textBase);
      names[i] = known === NAME_NEEDS_LOWER_CASE ? name.toLowerCase() : name;
    }
    const valueStart = slots[slot + 3]!;
    const valueEnd = slots[slot + 4]!;
    values[i] = valueEnd > valueStart ? text.substring(valueStart - textBase, valueEnd - textBase) : '';
  }
  return new HeaderListImpl(names, values);
}

/** Whether a field named `lowerName` (lower case) is among the `count` that scanFields noted in `slots` from index `first`, read from `source` without making strings. */
export function slotsHaveName(source: Buffer, slots: Int32Array, first: number, count: number, lowerName: string): boolean {
  const length = lowerName.length;
  for (let i = 0, slot = first; i < count; i++, slot += SLOT_SIZE) {
    const known = slots[slot]!;
    if (known >= 0) {
      if (KNOWN_HEADER_NAMES[known] === lowerName) return true;
      continue;
    }
    const start = slots[slot + 1]!;
    if (slots[slot + 2]! - start !== length) continue;
    let same = true;
    for (let k = 0; k < length && same; k++) {
      const byte = source[start + k]!;
      same = (byte >= 65 && byte <= 90 ? byte | 0x20 : byte) === lowerName.charCodeAt(k);
    }
    if (same) return true;
  }
  return false;
}
