import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineContract, request, stream, tableFrameSchema, applyTableFrame, type TableFrame } from '../../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import { DisposableStore, Emitter, toDisposable } from '../../../shared/lifecycle.ts';
import { createPipePair, RpcClient, RpcServer, type MessagePipe } from '../../../shared/rpc/index.ts';

const row = z.object({ id: z.string(), value: z.number() });

const testContract = defineContract({
  math: {
    add: request({ params: z.object({ a: z.number(), b: z.number() }).strict(), result: z.object({ sum: z.number() }) }),
    slow: request({ params: z.object({}).strict(), result: z.object({ done: z.boolean() }) }),
    fail: request({ params: z.object({ code: z.string() }).strict(), result: z.object({}) }),
    crash: request({ params: z.object({}).strict(), result: z.object({}) }),
    lie: request({ params: z.object({}).strict(), result: z.object({ n: z.number() }) }),
    ticks: stream({ params: z.object({ every: z.number().int().min(1) }).strict(), event: z.object({ n: z.number() }), coalesce: 'latest' }),
    table: stream({ params: z.object({}).strict(), event: tableFrameSchema(row), coalesce: 'table' }),
  },
});

type TestContract = typeof testContract;

interface Harness {
  server: RpcServer<TestContract>;
  client: RpcClient<TestContract>;
  clientPipe: MessagePipe;
  slowAborted: Promise<void>;
  tableSource: Emitter<TableFrame<z.infer<typeof row>>>;
  tickSources: () => number;
}

const store = new DisposableStore();
afterEach(() => store.clear());

async function start(): Promise<Harness> {
  const server = store.add(new RpcServer(testContract, { product: 'test', version: '0', instanceId: 'i' }, { streamFrameIntervalMs: 20 }));
  let markSlowAborted!: () => void;
  const slowAborted = new Promise<void>((resolve) => (markSlowAborted = resolve));
  const tableSource = store.add(new Emitter<TableFrame<z.infer<typeof row>>>());
  let liveTickSources = 0;
  server.registerService('math', {
    add: ({ a, b }) => ({ sum: a + b }),
    slow: (_params, ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          markSlowAborted();
          resolve({ done: false });
        });
      }),
    fail: ({ code }) => {
      throw new NetopsError(code as typeof ErrorCodes.notFound, 'no such thing');
    },
    crash: () => {
      throw new Error('secret internal detail');
    },
    lie: () => ({ n: 'not a number' }) as unknown as { n: number },
    ticks: ({ every }, sink) => {
      liveTickSources++;
      let n = 0;
      const timer = setInterval(() => sink.emit({ n: n++ }), every);
      return toDisposable(() => {
        liveTickSources--;
        clearInterval(timer);
      });
    },
    table: (_params, sink) => {
      sink.emit({ type: 'snapshot', rows: [] });
      return tableSource.event((frame) => sink.emit(frame));
    },
  });
  const [serverPipe, clientPipe] = createPipePair();
  store.add(server.connect(serverPipe, { transport: 'memory' }));
  const client = store.add(await RpcClient.connect(clientPipe, testContract));
  return { server, client, clientPipe, slowAborted, tableSource, tickSources: () => liveTickSources };
}

function nextFrames<T>(count: number, subscribe: (next: (value: T) => void) => void): Promise<T[]> {
  return new Promise((resolve) => {
    const seen: T[] = [];
    subscribe((value) => {
      seen.push(value);
      if (seen.length === count) resolve(seen);
    });
  });
}

describe('rpc over an in-memory pipe pair', () => {
  it('handshakes and answers typed calls', async () => {
    const { client } = await start();
    expect(client.server.product).toBe('test');
    await expect(client.api.math.add({ a: 2, b: 3 })).resolves.toEqual({ sum: 5 });
  });

  it('rejects bad params with the field named, before the service runs', async () => {
    const { client, server } = await start();
    const error = await client.api.math.add({ a: 'x' as unknown as number, b: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetopsError);
    expect((error as NetopsError).code).toBe(ErrorCodes.badParams);
    expect((error as NetopsError).message).toContain('params.a');
    expect(server.stats.rejectedMessages).toBe(1);
  });

  it('carries NetopsError codes across and hides unexpected errors', async () => {
    const { client, server } = await start();
    const failures: string[] = [];
    store.add(server.onDidFailUnexpectedly(({ method }) => failures.push(method)));
    await expect(client.api.math.fail({ code: ErrorCodes.notFound })).rejects.toMatchObject({ code: ErrorCodes.notFound, message: 'no such thing' });
    const crash = (await client.api.math.crash({}).catch((e: unknown) => e)) as NetopsError;
    expect(crash.code).toBe(ErrorCodes.internal);
    expect(crash.message).not.toContain('secret');
    expect(failures).toEqual(['math.crash']);
  });

  it('parses results on the client too', async () => {
    const { client } = await start();
    await expect(client.api.math.lie({})).rejects.toMatchObject({ code: ErrorCodes.badResult });
  });

  it('cancels a call through an AbortSignal and tells the server', async () => {
    const { client } = await start();
    const controller = new AbortController();
    const call = client.api.math.slow({}, { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: ErrorCodes.cancelled });
    await hAwait(start); // keep the event loop turning
    expect(client.openCalls.requests).toBe(0);
  });

  it('times out a call and aborts it on the server', async () => {
    const harness = await start();
    await expect(harness.client.api.math.slow({}, { timeoutMs: 20 })).rejects.toMatchObject({ code: ErrorCodes.timeout });
    await harness.slowAborted;
  });

  it('starts a stream lazily, coalesces it, and stops the source with the last listener', async () => {
    const harness = await start();
    expect(harness.tickSources()).toBe(0);
    const seen: number[] = [];
    const started = performance.now();
    const sub = harness.client.api.math.ticks.subscribe({ every: 1 }, { next: (e) => seen.push(e.n) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A busy machine may deliver fewer frames in 200 ms: wait for three.
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    const elapsed = performance.now() - started;
    expect(harness.tickSources()).toBe(1);
    // a source ticking every ms, coalesced to one frame per 20 ms, must skip values
    expect(seen.length).toBeLessThanOrEqual(elapsed / 20 + 2);
    expect(seen.at(-1)! - seen[0]!).toBeGreaterThan(seen.length);
    sub.dispose();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(harness.tickSources()).toBe(0);
    expect(harness.client.openCalls.streams).toBe(0);
  });

  it('merges table deltas per id so the client ends with the newest rows', async () => {
    const harness = await start();
    let table = new Map<string, z.infer<typeof row>>();
    const frames = nextFrames<TableFrame<z.infer<typeof row>>>(2, (next) =>
      harness.client.api.math.table.subscribe({}, { next: (frame) => { table = applyTableFrame(table, frame); next(frame); } }),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 0; i < 100; i++) harness.tableSource.fire({ type: 'delta', upsert: [{ id: 'a', value: i }, { id: `t${i}`, value: i }], remove: [] });
    for (let i = 0; i < 100; i++) harness.tableSource.fire({ type: 'delta', upsert: [], remove: [`t${i}`] });
    const [first, second] = await frames;
    expect(first).toEqual({ type: 'snapshot', rows: [] });
    // 200 source frames arrive as one merged delta: transient rows never cross the wire
    expect(second).toEqual({ type: 'delta', upsert: [{ id: 'a', value: 99 }], remove: [] });
    expect([...table.values()]).toEqual([{ id: 'a', value: 99 }]);
  });

  it('ends streams and rejects calls when the pipe closes, leaking no listeners', async () => {
    const harness = await start();
    const ended: string[] = [];
    harness.client.api.math.ticks.subscribe({ every: 5 }, { next: () => undefined, end: (e) => ended.push(e?.code ?? 'none') });
    const call = harness.client.api.math.slow({});
    await new Promise((resolve) => setTimeout(resolve, 20));
    harness.clientPipe.dispose();
    await expect(call).rejects.toMatchObject({ code: ErrorCodes.disconnected });
    expect(ended).toEqual([ErrorCodes.disconnected]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(harness.tickSources()).toBe(0);
    expect(harness.server.stats.clients).toBe(0);
    expect(harness.client.openCalls).toEqual({ requests: 0, streams: 0 });
  });

  it('answers malformed frames with an error and keeps serving', async () => {
    const harness = await start();
    const [serverPipe, rawPipe] = createPipePair();
    store.add(harness.server.connect(serverPipe, { transport: 'memory' }));
    const replies: unknown[] = [];
    store.add(rawPipe.onMessage((frame) => replies.push(frame)));
    const hostile = ['{not json', 42, null, [], { t: 'req' }, { t: 'req', id: 1, method: 'math.add', params: {} }, { t: 'nope', id: 3 }];
    for (const frame of hostile) rawPipe.send(frame);
    rawPipe.send({ t: 'hello', protocol: 99 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(replies).toHaveLength(hostile.length + 1);
    for (const reply of replies) expect(reply).toMatchObject({ t: 'err' });
    expect((replies[5] as { error: { code: string } }).error.code).toBe(ErrorCodes.protocol);
    expect((replies.at(-1) as { error: { code: string } }).error.code).toBe(ErrorCodes.protocol);
    await expect(harness.client.api.math.add({ a: 1, b: 1 })).resolves.toEqual({ sum: 2 });
  });

  it('takes a request without params as one with empty params, and answers one that needs them with the field named', async () => {
    const harness = await start();
    const [serverPipe, rawPipe] = createPipePair();
    store.add(harness.server.connect(serverPipe, { transport: 'memory' }));
    const replies: Array<{ t: string; id?: number }> = [];
    store.add(rawPipe.onMessage((frame) => replies.push(frame as { t: string })));
    rawPipe.send({ t: 'hello', protocol: 1 });
    rawPipe.send({ t: 'req', id: 1, method: 'math.lie' });
    rawPipe.send({ t: 'req', id: 2, method: 'math.add' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(replies.find((reply) => reply.id === 1)).toMatchObject({ t: 'res' });
    expect(replies.find((reply) => reply.id === 2)).toMatchObject({ t: 'err', id: 2, error: { code: ErrorCodes.badParams, message: expect.stringMatching(/^params\.a: /) } });
  });

  it('refuses unknown methods and streams', async () => {
    const harness = await start();
    const [serverPipe, rawPipe] = createPipePair();
    store.add(harness.server.connect(serverPipe, { transport: 'memory' }));
    const replies: Array<{ t: string; error?: { code: string } }> = [];
    store.add(rawPipe.onMessage((frame) => replies.push(frame as { t: string })));
    rawPipe.send({ t: 'hello', protocol: 1 });
    rawPipe.send({ t: 'req', id: 1, method: 'math.nope', params: {} });
    rawPipe.send({ t: 'sub', id: 2, stream: 'math.add', params: {} });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(replies.map((r) => r.error?.code ?? r.t)).toEqual(['welcome', ErrorCodes.unknownMethod, ErrorCodes.unknownMethod]);
  });
});

async function hAwait(_: unknown): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5));
}
