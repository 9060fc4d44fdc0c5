import type { Socket } from 'node:net';
import type { HeaderList } from '../../../electron/engine/gateway/types.ts';

/** A HeaderList over plain arrays, as the proxy's parser hands them over: names lower-cased. */
export function headerList(pairs: Array<[string, string]> = []): HeaderList {
  const names = pairs.map(([name]) => name.toLowerCase());
  const values = pairs.map(([, value]) => value);
  return {
    names,
    values,
    get(name) {
      const at = names.indexOf(name);
      return at < 0 ? undefined : values[at];
    },
    set(name, value) {
      this.remove(name);
      this.append(name, value);
    },
    append(name, value) {
      names.push(name);
      values.push(value);
    },
    remove(name) {
      for (let i = names.length - 1; i >= 0; i--) {
        if (names[i] === name) {
          names.splice(i, 1);
          values.splice(i, 1);
        }
      }
    },
  };
}

/**
 * Writes `count` pieces to `socket`: small ones of 1-97 bytes and every 40th
 * one of 30 KB, so a reader with own reads sees pieces of the shared slab and
 * buffers of their own; it yields now and then so that they arrive as many
 * reads. Returns every byte written, in order.
 */
export async function writeMixedPieces(socket: Socket, count: number): Promise<Buffer> {
  const sent: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const piece = Buffer.alloc(i % 40 === 0 ? 30_000 : 1 + (i % 97), i);
    sent.push(piece);
    socket.write(piece);
    if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return Buffer.concat(sent);
}

/**
 * Names the turn of the event loop it is called in: the same object for
 * every call until the microtask queue next drains. Node drains it after
 * every timer callback, so two timers' callbacks never share a turn's name.
 */
export function turnNamer(): () => object {
  let current: object | undefined;
  return () => {
    if (current === undefined) {
      const name = {};
      current = name;
      queueMicrotask(() => {
        if (current === name) current = undefined;
      });
    }
    return current;
  };
}
