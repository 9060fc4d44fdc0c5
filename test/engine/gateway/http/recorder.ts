import { type HttpParseError, RequestParser, ResponseParser, type HttpParserOptions, type RequestHead, type RequestParserHandler, type ResponseHead, type ResponseParserHandler } from '../../../../electron/engine/gateway/http/index.ts';

export type ParseEvent =
  | { type: 'head'; head: RequestHead | ResponseHead }
  | { type: 'body'; bytes: Buffer }
  | { type: 'end'; trailers: Array<[string, string]> | undefined }
  | { type: 'error'; error: HttpParseError };

/** Records what a parser emits; body pieces are copied (they are views of the fed chunk). */
export class Recorder implements RequestParserHandler, ResponseParserHandler {
  readonly events: ParseEvent[] = [];
  parser: RequestParser | ResponseParser | undefined;
  /** Called after each event is recorded, to pause/resume from inside callbacks. */
  after: ((event: ParseEvent) => void) | undefined;

  private push(event: ParseEvent): void {
    this.events.push(event);
    this.after?.(event);
  }

  onRequestHead(head: RequestHead): void {
    this.push({ type: 'head', head: portableRequestHead(head) });
  }
  onRequestBody(chunk: Buffer): void {
    this.push({ type: 'body', bytes: Buffer.from(chunk) });
  }
  onRequestEnd(): void {
    this.push({ type: 'end', trailers: pairs(this.parser?.trailers) });
  }
  onRequestError(error: HttpParseError): void {
    this.push({ type: 'error', error });
  }
  onResponseHead(head: ResponseHead): void {
    this.push({ type: 'head', head });
  }
  onResponseBody(buffer: Buffer, start: number, end: number): void {
    this.push({ type: 'body', bytes: Buffer.from(buffer.subarray(start, end)) });
  }
  onResponseEnd(): void {
    this.push({ type: 'end', trailers: pairs(this.parser?.trailers) });
  }
  onResponseError(error: HttpParseError): void {
    this.push({ type: 'error', error });
  }

  get heads(): Array<RequestHead | ResponseHead> {
    return this.events.flatMap((event) => (event.type === 'head' ? [event.head] : []));
  }

  get error(): HttpParseError | undefined {
    const event = this.events.find((e) => e.type === 'error');
    return event?.type === 'error' ? event.error : undefined;
  }

  /**
   * Events with adjacent body pieces merged, heads as plain objects with
   * headers as pairs: the same for any way the input was split.
   */
  normalized(): unknown[] {
    const out: unknown[] = [];
    let body: Buffer[] = [];
    const flush = () => {
      if (body.length > 0) out.push({ type: 'body', text: Buffer.concat(body).toString('latin1') });
      body = [];
    };
    for (const event of this.events) {
      if (event.type === 'body') {
        body.push(event.bytes);
        continue;
      }
      flush();
      if (event.type === 'head') out.push({ type: 'head', ...event.head, headers: pairs(event.head.headers) });
      else if (event.type === 'error') out.push({ type: 'error', kind: event.error.kind, status: event.error.status });
      else out.push(event);
    }
    flush();
    return out;
  }
}

function pairs(list: { names: string[]; values: string[] } | undefined): Array<[string, string]> | undefined {
  return list?.names.map((name, i) => [name, list.values[i]!]);
}

export function requestParser(options: Partial<HttpParserOptions> = {}): { parser: RequestParser; recorder: Recorder } {
  const recorder = new Recorder();
  const parser = new RequestParser(recorder, { maxHeaderBytes: 16_384, ...options });
  recorder.parser = parser;
  return { parser, recorder };
}

export function responseParser(options: Partial<HttpParserOptions> = {}): { parser: ResponseParser; recorder: Recorder } {
  const recorder = new Recorder();
  const parser = new ResponseParser(recorder, { maxHeaderBytes: 16_384, ...options });
  recorder.parser = parser;
  return { parser, recorder };
}

/** latin1 bytes of a string with "\n" turned into CRLF ("\\n" style tests stay readable). */
export function crlf(text: string): Buffer {
  return Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1');
}

export function feed(parser: RequestParser | ResponseParser, bytes: Buffer, splitAt: number[] = []): void {
  let from = 0;
  for (const at of [...splitAt, bytes.length]) {
    if (at > from) parser.execute(bytes.subarray(from, at));
    from = Math.max(from, at);
  }
}

/**
 * A request head with its positions in the parsed bytes replaced by what
 * they point at: the request line, the field lines and the Host value as
 * text. The same request cut into different chunks then records the same,
 * and a wrong position shows as wrong text.
 */
export function portableRequestHead(head: RequestHead): RequestHead & { requestLine: string; fieldLines: string; hostValue: string | null } {
  const { raw } = head;
  return {
    ...head,
    raw: undefined as unknown as Buffer,
    rawStart: 0,
    fieldsStart: 0,
    fieldsEnd: 0,
    hostStart: 0,
    hostEnd: 0,
    requestLine: raw.toString('latin1', head.rawStart, head.fieldsStart),
    fieldLines: raw.toString('latin1', head.fieldsStart, head.fieldsEnd),
    hostValue: head.hostStart < 0 ? null : raw.toString('latin1', head.hostStart, head.hostEnd),
  };
}
