import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { Contract } from '../../shared/contract/index.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import type { Disposable } from '../../shared/lifecycle.ts';
import { PROTOCOL_VERSION, serverFrame, type RpcClient } from '../../shared/rpc/index.ts';
import { MAX_FRAME_BYTES } from '../../electron/headless/index.ts';
import { connectClient, openRawSocket, openTcp, startTestConsole, waitFor, type TestConsole } from '../helpers/console.ts';
import { mulberry32 } from '../helpers/random.ts';

/**
 * Hostile input over real, authenticated WebSockets against one real console.
 * Every message must be answered with an error frame or by closing its
 * socket, and the host must keep serving everyone else.
 */

const TOTAL_MESSAGES = 10_000;
const BATCH_MAX_MESSAGES = 250;
const BATCH_MAX_BYTES = 3 * 1024 * 1024;
const WAIT_MS = 10_000;
/** A live subscription every greeted session holds, so that reusing its id is a deterministic duplicate. */
const HELD_ID = 7;

const { badMessage: BAD_MESSAGE, badParams: BAD_PARAMS, unknownMethod: UNKNOWN_METHOD, protocol: PROTOCOL } = ErrorCodes;

type Expectation = { code: string; id: number | null } | { close: number };

interface Hostile {
  kind: string;
  data: string | Buffer;
  binary?: boolean;
  expect: Expectation;
}

interface ReceivedFrame {
  t?: unknown;
  id?: unknown;
  error?: { code?: unknown; message?: unknown };
}

const J = JSON.stringify;
const answer = (kind: string, data: string | Buffer, code: string, id: number | null, binary = false): Hostile => ({
  kind,
  data,
  binary,
  expect: { code, id },
});
const closer = (kind: string, data: string | Buffer, close: number, binary = false): Hostile => ({ kind, data, binary, expect: { close } });

// A seeded generator: the same messages on every run, so a failure can be replayed.
const prng = mulberry32;
const random = prng(0x6e65746f);

let nextRequestId = 100;
const freshId = () => nextRequestId++;

/** Messages that are rejected the same way whether or not the socket has said hello. */
const anytime: Array<(i: number) => Hostile> = [
  (i) =>
    answer(
      'bad JSON',
      ['{', '{"t":', `not json ${i}`, "{'t':'req'}", '}{', '', '\u0000', 'NaN', 'undefined', '{"t":"hello","protocol":1,}', '[1,2', '"unterminated', '{"t":"hello","protocol":1}}', '\uFEFF{"t":"hello","protocol":1}'][i % 14]!,
      BAD_MESSAGE,
      null,
    ),
  (i) =>
    answer(
      'JSON of the wrong type',
      ['42', '-0', '1e400', '[]', '[1,2,3]', 'null', '"hello"', 'true', 'false', '{}', `[${J({ t: 'hello', protocol: 1 })}]`, J(J({ t: 'hello', protocol: 1 }))][i % 12]!,
      BAD_MESSAGE,
      null,
    ),
  (i) => {
    const id = freshId();
    const t = ['boom', 'REQ', 'Req', 'request', 'res', 'err', 'welcome', 'ev', 'end', '__proto__', 'constructor', 'toString', ''][i % 13];
    return answer('unknown t', J({ t, id, method: 'system.info', params: {} }), BAD_MESSAGE, id);
  },
  (i) => {
    const id = freshId();
    return answer('t of the wrong type', [J({ t: 1, id }), J({ t: null, id }), J({ t: ['req'], id }), J({ id }), J({ t: { t: 'req' }, id })][i % 5]!, BAD_MESSAGE, id);
  },
  (i) => {
    const id = freshId();
    const frames: Array<[string, number | null]> = [
      [J({ t: 'req', id, method: 'system.info', params: {}, extra: true }), id],
      [J({ t: 'hello', protocol: PROTOCOL_VERSION, x: 1 }), null],
      [J({ t: 'cancel', id, reason: 'x' }), id],
      [J({ t: 'unsub', id, x: 1 }), id],
      [J({ t: 'sub', id, stream: 'connections.live', params: {}, x: 1 }), id],
      [`{"t":"req","id":${id},"method":"system.info","params":{},"__proto__":{"t":"hello"}}`, id],
    ];
    const [data, expectedId] = frames[i % frames.length]!;
    return answer('extra field in the frame', data, BAD_MESSAGE, expectedId);
  },
  (i) => {
    const ids = ['0', '-1', '2147483648', '9007199254740993', '1.5', '"1"', 'null', 'true', '[]', '{}', '1e400', '-0', '1e-7', '4294967296'];
    const t = ['req', 'sub', 'cancel', 'unsub'][i % 4];
    const rest = t === 'req' ? ',"method":"system.info","params":{}' : t === 'sub' ? ',"stream":"connections.live","params":{}' : '';
    const id = i % 15 === 14 ? '' : `,"id":${ids[i % 14]}`;
    return answer('id out of range', `{"t":"${t}"${id}${rest}}`, BAD_MESSAGE, null);
  },
  (i) => {
    const length = 1 + Math.floor(random() * 512);
    const bytes = Buffer.alloc(length);
    for (let k = 0; k < length; k++) bytes[k] = Math.floor(random() * 256);
    // 0xfe decodes to U+FFFD, which no JSON text starts with.
    bytes[0] = 0xfe;
    return i % 3 === 2 ? answer('binary frame', Buffer.from(`{"t":"boom","n":${i}}`), BAD_MESSAGE, null, true) : answer('binary frame', bytes, BAD_MESSAGE, null, true);
  },
  (i) =>
    answer(
      'malformed hello',
      [J({ t: 'hello', protocol: String(PROTOCOL_VERSION) }), J({ t: 'hello', protocol: 1.5 }), J({ t: 'hello' }), J({ t: 'hello', protocol: PROTOCOL_VERSION, client: 'x'.repeat(65) }), J({ t: 'hello', protocol: PROTOCOL_VERSION, client: 5 }), J({ t: 'hello', protocol: null })][i % 6]!,
      BAD_MESSAGE,
      null,
    ),
  () => answer('prototype pollution', '{"__proto__":{"t":"hello","protocol":1}}', BAD_MESSAGE, null),
];

/** Well-formed frames that only a greeted socket may send: before hello each is a protocol error. */
const validShaped: Array<() => string> = [
  () => J({ t: 'req', id: freshId(), method: 'system.info', params: {} }),
  () => J({ t: 'req', id: freshId(), method: 'connections.list', params: { limit: 5 } }),
  () => J({ t: 'sub', id: freshId(), stream: 'connections.live', params: {} }),
  () => J({ t: 'cancel', id: freshId() }),
  () => J({ t: 'unsub', id: freshId() }),
  () => J({ t: 'req', id: freshId(), method: 'no.such', params: 'bad' }),
];

function beforeHello(i: number): Hostile {
  if (i % 2 === 0) return answer('request before hello', validShaped[(i / 2) % validShaped.length]!(), PROTOCOL, null);
  return anytime[((i - 1) / 2) % anytime.length]!(i);
}

/** Messages for a greeted socket. */
const afterHello: Array<(i: number) => Hostile> = [
  ...anytime,
  (i) => {
    const id = freshId();
    const method = ['nope', 'system.nope', 'system.overview', 'connections.live', 'connections', 'system', '.', 'system.info ', 'SYSTEM.INFO', '__proto__', 'constructor', 'system.__proto__', 'connections.constructor', 'system.info\u0000', 'hasOwnProperty', 'system..info'][i % 16];
    return answer('unknown method', J({ t: 'req', id, method, params: {} }), UNKNOWN_METHOD, id);
  },
  (i) => {
    const id = freshId();
    const stream = ['connections.list', 'system.info', 'nope', 'system.overview ', '__proto__'][i % 5];
    return answer('unknown stream', J({ t: 'sub', id, stream, params: {} }), UNKNOWN_METHOD, id);
  },
  (i) => {
    const id = freshId();
    const cases: Array<[string, unknown]> = [
      ['connections.list', { limit: '10' }],
      ['connections.list', { limit: 0 }],
      ['connections.list', { limit: 100_001 }],
      ['connections.list', { limit: 1.5 }],
      ['connections.list', { filter: 'x' }],
      ['connections.list', { filter: { kind: 'smtp' } }],
      ['connections.list', { filter: { text: 5 } }],
      ['connections.list', { filter: { text: 'x'.repeat(201) } }],
      ['connections.list', []],
      ['connections.list', 42],
      ['connections.list', 'x'],
      ['connections.list', false],
      ['connections.get', {}],
      ['connections.get', { id: 5 }],
      ['connections.get', { id: 'x'.repeat(65) }],
      ['connections.get', null],
      ['connections.close', { id: null }],
      ['connections.close', {}],
      ['system.info', [1]],
      ['system.info', 0],
    ];
    const [method, params] = cases[i % cases.length]!;
    return answer('wrong param types', J({ t: 'req', id, method, params }), BAD_PARAMS, id);
  },
  (i) => {
    const id = freshId();
    const cases: Array<[string, unknown]> = [
      ['connections.live', { x: 1 }],
      ['connections.live', []],
      ['system.overview', 'all'],
      ['system.overview', { every: 1 }],
    ];
    const [stream, params] = cases[i % cases.length]!;
    return answer('wrong stream params', J({ t: 'sub', id, stream, params }), BAD_PARAMS, id);
  },
  (i) => {
    const id = freshId();
    const cases: Array<[string, string]> = [
      ['system.info', '{"extra":1}'],
      ['connections.list', '{"filter":{},"sort":"id"}'],
      ['connections.list', '{"filter":{"text":"a","regex":true}}'],
      ['system.info', '{"__proto__":{"polluted":true}}'],
      ['connections.list', '{"constructor":{"prototype":{"polluted":true}}}'],
    ];
    const [method, params] = cases[i % cases.length]!;
    return answer('extra field in params', `{"t":"req","id":${id},"method":"${method}","params":${params}}`, BAD_PARAMS, id);
  },
  (i) =>
    answer(
      'duplicate id',
      [
        J({ t: 'req', id: HELD_ID, method: 'system.info', params: {} }),
        J({ t: 'sub', id: HELD_ID, stream: 'connections.live', params: {} }),
        J({ t: 'req', id: HELD_ID, method: 'connections.list', params: {} }),
        J({ t: 'sub', id: HELD_ID, stream: 'system.overview', params: {} }),
      ][i % 4]!,
      PROTOCOL,
      HELD_ID,
    ),
];

const LONG = 900_000;
const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
function exactlyBytes(bytes: number): string {
  // A JSON string of multi-byte characters whose UTF-8 encoding is exactly `bytes` long.
  const body = 'é'.repeat(Math.floor((bytes - 2) / 2)) + 'x'.repeat((bytes - 2) % 2);
  const text = `"${body}"`;
  if (Buffer.byteLength(text) !== bytes) throw new Error('exactlyBytes is off');
  return text;
}
function manyKeys(count: number): string {
  const parts: string[] = [];
  for (let k = 0; k < count; k++) parts.push(`"k${k}":1`);
  return parts.join(',');
}

/** Large messages under the 1 MiB frame limit: long strings, deep nesting, many keys. */
function heavyMessages(): Hostile[] {
  const list: Hostile[] = [];
  for (let round = 0; round < 2; round++) {
    let id = freshId();
    list.push(answer('long method name', J({ t: 'req', id, method: 'm'.repeat(LONG), params: {} }), BAD_MESSAGE, id));
    list.push(answer('long client name', J({ t: 'hello', protocol: PROTOCOL_VERSION, client: 'c'.repeat(LONG) }), BAD_MESSAGE, null));
    id = freshId();
    list.push(answer('long filter text', J({ t: 'req', id, method: 'connections.list', params: { filter: { text: 't'.repeat(LONG) } } }), BAD_PARAMS, id));
    id = freshId();
    list.push(answer('long connection id', J({ t: 'req', id, method: 'connections.get', params: { id: 'i'.repeat(LONG) } }), BAD_PARAMS, id));
    id = freshId();
    list.push(answer('long t', J({ t: 't'.repeat(LONG), id }), BAD_MESSAGE, id));
    list.push(answer('a JSON string of exactly MAX_FRAME_BYTES', exactlyBytes(MAX_FRAME_BYTES), BAD_MESSAGE, null));
    list.push(answer('bad JSON of exactly MAX_FRAME_BYTES', `{${'x'.repeat(MAX_FRAME_BYTES - 1)}`, BAD_MESSAGE, null));
    list.push(answer('binary of exactly MAX_FRAME_BYTES', Buffer.alloc(MAX_FRAME_BYTES, 0xfe), BAD_MESSAGE, null, true));
    id = freshId();
    list.push(answer('long unknown key', `{"t":"req","id":${id},"method":"system.info","params":{"${'k'.repeat(LONG)}":1}}`, BAD_PARAMS, id));

    list.push(answer('deep array', deepArray(200_000), BAD_MESSAGE, null));
    list.push(answer('deep object', deepObject(100_000), BAD_MESSAGE, null));
    id = freshId();
    list.push(answer('deep params', `{"t":"req","id":${id},"method":"connections.list","params":{"filter":{"text":${deepArray(150_000)}}}}`, BAD_PARAMS, id));
    list.push(answer('deep id', `{"t":"req","id":${deepArray(150_000)},"method":"system.info","params":{}}`, BAD_MESSAGE, null));
    id = freshId();
    list.push(answer('deep unknown param', `{"t":"sub","id":${id},"stream":"connections.live","params":{"x":${deepObject(80_000)}}}`, BAD_PARAMS, id));

    id = freshId();
    list.push(answer('many unknown params', `{"t":"req","id":${id},"method":"connections.list","params":{${manyKeys(30_000)}}}`, BAD_PARAMS, id));
    id = freshId();
    list.push(answer('many unknown frame fields', `{"t":"req","id":${id},"method":"system.info","params":{},${manyKeys(30_000)}}`, BAD_MESSAGE, id));
  }
  return list;
}

/** Messages after which the server must close the socket. */
function closingMessages(): Hostile[] {
  const TOO_BIG = 1009;
  const BAD_UTF8 = 1007;
  return [
    closer('one byte over MAX_FRAME_BYTES (text)', exactlyBytes(MAX_FRAME_BYTES + 1), TOO_BIG),
    closer('one byte over MAX_FRAME_BYTES (binary)', Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20), TOO_BIG, true),
    closer('a valid frame over MAX_FRAME_BYTES', J({ t: 'req', id: 1, method: 'system.info', params: { pad: 'p'.repeat(MAX_FRAME_BYTES) } }), TOO_BIG),
    closer('2 MiB of text', 'x'.repeat(2 * 1024 * 1024), TOO_BIG),
    closer('4 MiB binary', Buffer.alloc(4 * 1024 * 1024, 1), TOO_BIG, true),
    closer('8 MiB deep array', deepArray(4 * 1024 * 1024), TOO_BIG),
    closer('invalid UTF-8 in a text frame', Buffer.from([0x7b, 0xff, 0x7d]), BAD_UTF8),
    closer('overlong UTF-8 in a text frame', Buffer.from([0x22, 0xc0, 0xaf, 0x22]), BAD_UTF8),
    closer('a lone surrogate in a text frame', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), BAD_UTF8),
    { kind: 'hello with a protocol we do not speak', data: J({ t: 'hello', protocol: PROTOCOL_VERSION + 1 }), expect: { code: PROTOCOL, id: null } },
    { kind: 'hello with protocol 0', data: J({ t: 'hello', protocol: 0 }), expect: { code: PROTOCOL, id: null } },
    { kind: 'hello with a negative protocol', data: J({ t: 'hello', protocol: -1 }), expect: { code: PROTOCOL, id: null } },
  ];
}

class RawSession {
  readonly frames: ReceivedFrame[] = [];
  closed: { code: number; reason: string } | undefined;
  private cursor = 0;
  private readonly wake = new Set<() => void>();

  private constructor(
    readonly socket: WebSocket,
    private readonly onFrame: (text: string) => void,
  ) {
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      this.onFrame(text);
      let frame: ReceivedFrame;
      try {
        frame = JSON.parse(text) as ReceivedFrame;
      } catch {
        frame = { t: 'unparsable' };
      }
      this.frames.push(frame);
      this.notify();
    });
    socket.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  static async open(c: TestConsole, onFrame: (text: string) => void): Promise<RawSession> {
    return new RawSession(await openRawSocket(c.origin, { bearer: c.token }), onFrame);
  }

  private notify(): void {
    for (const wake of [...this.wake]) wake();
  }

  send(message: { data: string | Buffer; binary?: boolean }): void {
    this.socket.send(message.data, { binary: message.binary ?? false });
  }

  until(done: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.wake.delete(check);
        resolve();
      };
      this.wake.add(check);
    });
  }

  /** Frames received since the last call. */
  take(): ReceivedFrame[] {
    const taken = this.frames.slice(this.cursor);
    this.cursor = this.frames.length;
    return taken;
  }

  async greet(): Promise<void> {
    this.send({ data: J({ t: 'hello', protocol: PROTOCOL_VERSION, client: 'robustness' }) });
    await this.until(() => this.frames.some((f) => f.t === 'welcome') || this.closed !== undefined, 'welcome');
    if (this.closed) throw new Error(`closed instead of welcoming: ${this.closed.code}`);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.socket.close();
    return this.until(() => this.closed !== undefined, 'close');
  }
}

interface Outcome {
  sent: number;
  answeredByError: number;
  answeredByClose: number;
  /** Messages whose answer was not the expected one: the first few, for the report. */
  wrongAnswers: string[];
  /** Replies that the protocol's own server frame schema rejects, e.g. messages over 4096 characters. */
  nonconformingReplies: string[];
  kinds: Map<string, number>;
  sessions: number;
  rejectedBefore: number;
  rejectedAfter: number;
  rssBefore: number;
  rssAfter: number;
  elapsedMs: number;
}

let c: TestConsole;
let bystander: RpcClient<Contract>;
let bystanderEvents = 0;
let bystanderSubscription: Disposable;
const outcome: Outcome = {
  sent: 0,
  answeredByError: 0,
  answeredByClose: 0,
  wrongAnswers: [],
  nonconformingReplies: [],
  kinds: new Map(),
  sessions: 0,
  rejectedBefore: 0,
  rejectedAfter: 0,
  rssBefore: 0,
  rssAfter: 0,
  elapsedMs: 0,
};

function checkConformance(text: string): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    outcome.nonconformingReplies.push(`not JSON: ${text.slice(0, 120)}`);
    return;
  }
  const parsed = serverFrame.safeParse(value);
  if (!parsed.success) {
    const frame = value as ReceivedFrame;
    outcome.nonconformingReplies.push(
      `${String(frame.t)} ${String(frame.error?.code ?? '')}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')} (${text.length} chars)`,
    );
  }
}

function noteWrong(what: string): void {
  if (outcome.wrongAnswers.length < 20) outcome.wrongAnswers.push(what);
}

/** Compares the err frames a batch produced, in order, with what each message should have got. */
function settle(batch: Hostile[], frames: ReceivedFrame[], barrierId: number): void {
  const errors = frames.filter((f) => f.t === 'err');
  for (const f of frames) {
    if (f.t === 'err' || f.t === 'ev' || (f.t === 'res' && f.id === barrierId)) continue;
    noteWrong(`unexpected ${String(f.t)} frame for id ${String(f.id)}: a hostile message was accepted`);
  }
  if (errors.length !== batch.length) noteWrong(`a batch of ${batch.length} got ${errors.length} error replies (kinds: ${[...new Set(batch.map((h) => h.kind))].join(', ')})`);
  batch.forEach((hostile, index) => {
    const reply = errors[index];
    if (!reply) return;
    outcome.answeredByError++;
    const expected = hostile.expect as { code: string; id: number | null };
    if (reply.error?.code !== expected.code || reply.id !== expected.id) {
      noteWrong(`${hostile.kind}: expected ${expected.code} id ${expected.id}, got ${String(reply.error?.code)} id ${String(reply.id)}: ${String(reply.error?.message).slice(0, 160)}`);
    }
  });
}

interface Plan {
  closers: Hostile[];
  greeted: Hostile[];
  sessions: number;
  perSessionBeforeHello: number;
}

/** Builds every message up front, so the memory check measures the server, not the test's own payloads. */
function plan(): Plan {
  const closers = closingMessages();
  const heavy = heavyMessages();
  const sessions = closers.length + 1;
  const perSessionBeforeHello = 40;
  const greetedCount = TOTAL_MESSAGES - closers.length - sessions * perSessionBeforeHello;

  // The greeted messages, with the heavy ones spread evenly among the light ones.
  const greeted: Hostile[] = [];
  const lightCount = greetedCount - heavy.length;
  const heavyEvery = Math.floor(lightCount / heavy.length);
  for (let i = 0, h = 0; greeted.length < greetedCount; i++) {
    if (h < heavy.length && i % heavyEvery === heavyEvery - 1) greeted.push(heavy[h++]!);
    else greeted.push(afterHello[i % afterHello.length]!(i));
  }
  return { closers, greeted, sessions, perSessionBeforeHello };
}

async function runBombardment({ closers, greeted, sessions: sessionsPlanned, perSessionBeforeHello }: Plan): Promise<void> {
  let barrierId = 1_000_000;
  let beforeHelloIndex = 0;
  const started = Date.now();
  for (let s = 0; s < sessionsPlanned; s++) {
    const session = await RawSession.open(c, checkConformance);
    outcome.sessions++;

    const early = Array.from({ length: perSessionBeforeHello }, () => beforeHello(beforeHelloIndex++));
    for (const hostile of early) {
      session.send(hostile);
      outcome.kinds.set(hostile.kind, (outcome.kinds.get(hostile.kind) ?? 0) + 1);
    }
    outcome.sent += early.length;
    // welcome is sent synchronously after the errors of everything before it, so it doubles as the barrier.
    await session.greet();
    settle(early, session.take().filter((f) => f.t !== 'welcome'), -1);

    session.send({ data: J({ t: 'sub', id: HELD_ID, stream: 'connections.live', params: {} }) });

    const share = greeted.slice(Math.floor((s * greeted.length) / sessionsPlanned), Math.floor(((s + 1) * greeted.length) / sessionsPlanned));
    for (let start = 0; start < share.length; ) {
      const batch: Hostile[] = [];
      let bytes = 0;
      while (start < share.length && batch.length < BATCH_MAX_MESSAGES && (batch.length === 0 || bytes + share[start]!.data.length <= BATCH_MAX_BYTES)) {
        const hostile = share[start++]!;
        bytes += hostile.data.length;
        batch.push(hostile);
      }
      for (const hostile of batch) {
        session.send(hostile);
        outcome.kinds.set(hostile.kind, (outcome.kinds.get(hostile.kind) ?? 0) + 1);
      }
      outcome.sent += batch.length;
      // Replies to rejected frames are sent synchronously, in order; a request's result only after a
      // promise turn. So once the barrier's result is here, every error before it is too.
      const barrier = ++barrierId;
      session.send({ data: J({ t: 'req', id: barrier, method: 'system.info', params: {} }) });
      await session.until(() => session.frames.some((f) => f.t === 'res' && f.id === barrier) || session.closed !== undefined, `the barrier after a batch in session ${s}`);
      if (session.closed) throw new Error(`session ${s} closed during a batch of ${[...new Set(batch.map((h) => h.kind))].join(', ')}: ${session.closed.code} ${session.closed.reason}`);
      settle(batch, session.take(), barrier);
    }

    const last = closers[s];
    if (last) {
      session.send(last);
      outcome.sent++;
      outcome.kinds.set(last.kind, (outcome.kinds.get(last.kind) ?? 0) + 1);
      await session.until(() => session.closed !== undefined, `the server to close after "${last.kind}"`);
      const frames = session.take().filter((f) => f.t !== 'ev');
      const expectedClose = 'close' in last.expect ? last.expect.close : 1000;
      if ('code' in last.expect) {
        const reply = frames.find((f) => f.t === 'err');
        if (reply?.error?.code === last.expect.code) outcome.answeredByError++;
        else noteWrong(`${last.kind}: expected ${last.expect.code} before the close, got ${J(frames).slice(0, 200)}`);
      } else {
        outcome.answeredByClose++;
        if (frames.length > 0) noteWrong(`${last.kind}: unexpected frames before the close: ${J(frames).slice(0, 200)}`);
      }
      if (session.closed!.code !== expectedClose) noteWrong(`${last.kind}: closed with ${session.closed!.code}, expected ${expectedClose}`);
    } else {
      await session.close();
    }
  }
  outcome.elapsedMs = Date.now() - started;
}

beforeAll(async () => {
  c = await startTestConsole();
  bystander = await connectClient(c.origin, c.token);
  bystanderSubscription = bystander.api.system.overview.subscribe({}, { next: () => bystanderEvents++ });
  await waitFor(() => bystanderEvents > 0, 'the bystander to get its first overview');
  const messages = plan();
  outcome.rssBefore = process.memoryUsage().rss;
  outcome.rejectedBefore = c.running.host.rpc.stats.rejectedMessages;
  await runBombardment(messages);
  outcome.rejectedAfter = c.running.host.rpc.stats.rejectedMessages;
  outcome.rssAfter = process.memoryUsage().rss;
}, 90_000);

afterAll(async () => {
  bystanderSubscription?.dispose();
  bystander?.dispose();
  await c?.close();
});

describe(`${TOTAL_MESSAGES} hostile WebSocket messages against one console`, () => {
  it('sent every planned message, of every kind', () => {
    expect(outcome.sent).toBe(TOTAL_MESSAGES);
    for (const kind of ['bad JSON', 'JSON of the wrong type', 'unknown t', 'request before hello', 'unknown method', 'wrong param types', 'extra field in the frame', 'extra field in params', 'id out of range', 'duplicate id', 'binary frame', 'deep array', 'long method name', 'a JSON string of exactly MAX_FRAME_BYTES', 'one byte over MAX_FRAME_BYTES (text)', 'invalid UTF-8 in a text frame']) {
      expect(outcome.kinds.get(kind) ?? 0, kind).toBeGreaterThan(0);
    }
  });

  it('answered every message with an error reply or a close', () => {
    expect(outcome.answeredByError + outcome.answeredByClose).toBe(TOTAL_MESSAGES);
    expect(outcome.answeredByClose).toBe(9);
  });

  it('answered each with the right code and id, and accepted none of them', () => {
    expect(outcome.wrongAnswers).toEqual([]);
  });

  it('kept every reply within the protocol (a strict client must be able to read its errors)', () => {
    expect(outcome.nonconformingReplies.slice(0, 10)).toEqual([]);
  });

  it('counted every rejection in the rpc stats', () => {
    expect(outcome.rejectedAfter - outcome.rejectedBefore).toBe(outcome.answeredByError);
  });

  it('did not pollute Object.prototype', () => {
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).t).toBeUndefined();
  });

  it('did not let memory balloon, and finished in bounded time', () => {
    expect(outcome.rssAfter - outcome.rssBefore).toBeLessThan(200 * 1024 * 1024);
    expect(outcome.elapsedMs).toBeLessThan(60_000);
  });

  it('kept serving: a bystander client stayed connected, and a fresh client works', async () => {
    expect(bystander.isClosed).toBe(false);
    const seen = bystanderEvents;
    expect((await bystander.api.system.info({}, { timeoutMs: 5000 })).instanceId).toBe(c.running.host.info.instanceId);
    await waitFor(() => bystanderEvents > seen, 'the bystander to keep receiving overview frames', 5000);

    const fresh = await connectClient(c.origin, c.token);
    let tcp: Socket | undefined;
    try {
      const info = await fresh.api.system.info({}, { timeoutMs: 5000 });
      expect(info).toEqual(c.running.host.info);
      tcp = await openTcp(c.echoPort);
      const port = tcp.localPort;
      const listed = await waitFor(async () => {
        const { rows, total } = await fresh.api.connections.list({}, { timeoutMs: 5000 });
        return rows.find((row) => row.remotePort === port) ? { rows, total } : undefined;
      }, 'the fresh client to list a new connection');
      expect(listed.total).toBe(listed.rows.length);
    } finally {
      tcp?.destroy();
      fresh.dispose();
    }
  });

  it('left no hostile socket or rpc connection behind', async () => {
    // Only the bystander remains.
    await waitFor(() => c.running.console.stats.sockets === 1 && c.running.host.rpc.stats.clients === 1, 'hostile sockets to be released', 5000);
  });

  it('a strict client gets the error for params with many unknown keys, instead of waiting for it in vain', async () => {
    const client = await connectClient(c.origin, c.token);
    try {
      const params = Object.fromEntries(Array.from({ length: 2000 }, (_, k) => [`k${k}`, 1]));
      const error = await client.api.connections
        .list(params as Parameters<typeof client.api.connections.list>[0], { timeoutMs: 3000 })
        .then(() => undefined, (e: unknown) => e);
      expect((error as { code?: string } | undefined)?.code).toBe(ErrorCodes.badParams);
    } finally {
      client.dispose();
    }
  });
});
