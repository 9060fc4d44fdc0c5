import { Buffer } from 'node:buffer';
import { Socket, type OnReadOpts } from 'node:net';
import { viewOf } from '../http/index.ts';
import { touchBusyPoll } from './busy-poll.ts';

/**
 * Reading accepted sockets without Node's stream machinery.
 *
 * Node reads an accepted socket like this, once a request on a kept-alive
 * connection: allocate an ArrayBuffer (64 KB, shrunk to what was read), wrap
 * it, push it through the Readable, schedule a nextTick, and drain the tick
 * queue, which in Node 22 allocates a Map each time. That is about a sixth
 * of the garbage a proxied request makes, and every one of those
 * ArrayBuffers is tracked and freed one by one by V8's young collections.
 *
 * net.Socket has a public option for this, `onread`: the socket reads into
 * one buffer the caller gives and calls back with the byte count, with no
 * Readable in between. But only sockets the caller makes can have it, and
 * net.Server makes accepted sockets without it. `readOwn` turns it on for
 * an accepted, still paused socket as net's own constructor does: Node keeps
 * the option in three symbol-keyed fields of the socket, found here once on
 * probe sockets made with the public option, and hands the buffer to the
 * handle's `useUserBuffer`. If any of that is not as expected, `readOwn`
 * returns false and the socket is read the usual way (`ownReadsAvailable`
 * says which, and a test asserts it on the Node we ship).
 *
 * Sockets the thread makes itself (upstream connections) take the same
 * buffer and slab through the public option (`ownReadOption`). Their reads
 * were the rest of the ArrayBuffers a young collection freed one by one:
 * with both, V8's `scavenge.sweep_array_buffers` phase went from 0.2-0.3 ms
 * to 0.05 ms a collection under wrk, and the whole pause from 0.5 to 0.3-0.4.
 *
 * All sockets of a thread read into one buffer, so a callback's bytes are
 * valid only during the call: they are copied into a shared slab and passed
 * on as a range of it (`OnBytes`), which stays valid as long as the slab is
 * referenced (a parsed head, a pipelined request, a body kept for a retry):
 * a slab is never written again once full. A range, not a view: a view is a
 * 100-byte object, and most reads are parsed and done with in the call.
 * Pause, resume, end and close work as on any socket; 'data' events do not
 * happen, so pipe() does not work either: `forwardReads` stands in for it.
 */

/** A read's bytes: `buffer[start, end)`, kept (see keep). */
export type OnBytes = (buffer: Buffer, start: number, end: number) => void;

const READ_BYTES = 64 * 1024;
const SLAB_BYTES = 64 * 1024;
/** Reads bigger than this get a buffer of their own instead of a piece of the slab. */
const OWN_BUFFER_OVER = 8 * 1024;

interface ReadSymbols {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

interface UserBufferHandle {
  useUserBuffer(buffer: Uint8Array): void;
}

let symbols: ReadSymbols | null | undefined;
let readBuffer: Buffer | undefined;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;
let enabled = true;

function findSymbols(): ReadSymbols | null {
  const buffer = Buffer.alloc(1);
  const callback = (): boolean => true;
  const generator = (): Buffer => buffer;
  const withBuffer = new Socket({ onread: { buffer, callback } });
  const withGenerator = new Socket({ onread: { buffer: generator, callback } });
  const keyOf = (socket: Socket, value: unknown): symbol | undefined =>
    Object.getOwnPropertySymbols(socket).find((key) => (socket as unknown as Record<symbol, unknown>)[key] === value);
  const found = { buffer: keyOf(withBuffer, buffer), callback: keyOf(withBuffer, callback), generator: keyOf(withGenerator, generator) };
  withBuffer.destroy();
  withGenerator.destroy();
  if (found.buffer === undefined || found.callback === undefined || found.generator === undefined) return null;
  // The plain-buffer socket must have no generator, as net reads it: null.
  if ((withBuffer as unknown as Record<symbol, unknown>)[found.generator] !== null) return null;
  return { buffer: found.buffer, callback: found.callback, generator: found.generator };
}

/** Whether this Node lets `readOwn` work (and it is not turned off). */
export function ownReadsAvailable(): boolean {
  if (symbols === undefined) symbols = findSymbols();
  return enabled && symbols !== null;
}

/** Turns own reads off or on for sockets set up from now on (benchmarks and tests compare both ways). */
export function setOwnReads(on: boolean): void {
  enabled = on;
}

/** Copies `length` bytes of `source` and hands them to `onBytes`: in the slab when small, else in a buffer of their own. */
function keep(source: Buffer, length: number, onBytes: OnBytes): void {
  touchBusyPoll();
  if (length > OWN_BUFFER_OVER) {
    const own = Buffer.allocUnsafeSlow(length);
    source.copy(own, 0, 0, length);
    onBytes(own, 0, length);
    return;
  }
  if (slabUsed + length > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const at = slabUsed;
  source.copy(slab, at, 0, length);
  // The next piece starts on 8 bytes, so views never share a word.
  slabUsed = (at + length + 7) & ~7;
  onBytes(slab, at, at + length);
}

/**
 * Has `socket` (accepted with pauseOnConnect, not yet resumed) read into the
 * thread's buffer and hand each read to `onBytes` as a kept copy. Returns
 * false, changing nothing, where this Node does not allow it. Call
 * `socket.resume()` after, as usual, to start reading.
 */
export function readOwn(socket: Socket, onBytes: OnBytes): boolean {
  if (!ownReadsAvailable()) return false;
  const handle = (socket as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function' || socket.readableFlowing === true) return false;
  // The public option's own fields, set as net's constructor sets them.
  const option = ownReadOption(onBytes);
  const keys = symbols!;
  const fields = socket as unknown as Record<symbol, unknown>;
  fields[keys.buffer] = option.buffer;
  fields[keys.generator] = null;
  fields[keys.callback] = option.callback;
  handle.useUserBuffer(option.buffer as Buffer);
  return true;
}

function threadReadBuffer(): Buffer {
  readBuffer ??= Buffer.allocUnsafeSlow(READ_BYTES);
  return readBuffer;
}

/**
 * The `onread` option of a socket this thread makes (`net.connect`): reads
 * go into the thread's buffer and reach `onBytes` as kept copies, as with
 * `readOwn`. Reading starts on connect; pause() and resume() work as usual.
 */
export function ownReadOption(onBytes: OnBytes): OnReadOpts {
  return {
    buffer: threadReadBuffer(),
    callback: (nread: number, buffer: Uint8Array): boolean => {
      keep(buffer as Buffer, nread, onBytes);
      return true;
    },
  };
}

/**
 * What pipe() does, for a socket read with own reads: returns the handler
 * for `from`'s bytes, which writes them to `to` and pauses `from` while
 * `to` is full; `to` ends when `from` does.
 */
export function forwardReads(from: Socket, to: Socket): OnBytes {
  to.on('drain', () => from.resume());
  from.once('end', () => to.end());
  return (buffer, start, end) => {
    // After `to` is gone, as after an unpipe, the bytes have nowhere to go.
    if (to.writable && !to.write(viewOf(buffer, start, end))) from.pause();
  };
}
