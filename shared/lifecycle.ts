/**
 * Disposables and events, after VS Code's lifecycle.ts: everything that holds
 * a socket, timer or listener hands back a Disposable, and a store releases
 * them together. Events are exposed as `onDidX` functions over a private
 * Emitter.
 */
export interface Disposable {
  dispose(): void;
}

export function toDisposable(fn: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      fn();
    },
  };
}

export class DisposableStore implements Disposable {
  private readonly items = new Set<Disposable>();
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  get size(): number {
    return this.items.size;
  }

  add<T extends Disposable>(item: T): T {
    if (this.disposed) {
      item.dispose();
      return item;
    }
    this.items.add(item);
    return item;
  }

  delete(item: Disposable): void {
    if (this.items.delete(item)) item.dispose();
  }

  /** Forget an item without disposing it (its owner disposed it already). */
  forget(item: Disposable): void {
    this.items.delete(item);
  }

  clear(): void {
    const errors: unknown[] = [];
    for (const item of [...this.items]) {
      this.items.delete(item);
      try {
        item.dispose();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clear();
  }
}

export type Event<T> = (listener: (value: T) => void) => Disposable;

export class Emitter<T> implements Disposable {
  private listeners: Array<(value: T) => void> = [];
  private disposed = false;

  constructor(private readonly hooks: { onFirstListener?: () => void; onLastListener?: () => void } = {}) {}

  readonly event: Event<T> = (listener) => {
    if (this.disposed) return toDisposable(() => undefined);
    this.listeners = [...this.listeners, listener];
    if (this.listeners.length === 1) this.hooks.onFirstListener?.();
    return toDisposable(() => {
      const before = this.listeners.length;
      this.listeners = this.listeners.filter((l) => l !== listener);
      if (before > 0 && this.listeners.length === 0) this.hooks.onLastListener?.();
    });
  };

  get listenerCount(): number {
    return this.listeners.length;
  }

  fire(value: T): void {
    for (const listener of this.listeners) listener(value);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const had = this.listeners.length > 0;
    this.listeners = [];
    if (had) this.hooks.onLastListener?.();
  }
}
