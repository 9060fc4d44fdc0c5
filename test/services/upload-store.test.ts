import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_UPLOAD_CHARS, UPLOAD_PART_CHARS, textParam } from '../../shared/contract/index.ts';
import { ErrorCodes, type NetopsError } from '../../shared/errors.ts';
import { MAX_OPEN_UPLOADS, UploadStore } from '../../electron/services/upload-store.ts';

const errorOf = (fn: () => unknown): NetopsError => {
  try {
    fn();
  } catch (error) {
    return error as NetopsError;
  }
  throw new Error('expected an error');
};

afterEach(() => vi.useRealTimers());

describe('UploadStore', () => {
  it('gathers parts under one id, gives the text once, then knows the id no more', () => {
    const store = new UploadStore();
    const first = store.append(undefined, 'abc');
    expect(first.id).toMatch(/^u[A-Za-z0-9_-]{22}$/);
    expect(store.append(first.id, 'def')).toEqual({ id: first.id, chars: 6 });
    expect(store.take(first.id)).toBe('abcdef');
    expect(errorOf(() => store.take(first.id)).code).toBe(ErrorCodes.notFound);
    expect(errorOf(() => store.append(first.id, 'x')).code).toBe(ErrorCodes.notFound);
    store.dispose();
  });

  it('refuses more than MAX_UPLOAD_CHARS, dropping the upload, and more than MAX_OPEN_UPLOADS at once', () => {
    const store = new UploadStore();
    const big = store.append(undefined, 'x'.repeat(MAX_UPLOAD_CHARS));
    const over = errorOf(() => store.append(big.id, 'y'));
    expect(over.code).toBe(ErrorCodes.limit);
    expect(store.size).toBe(0);
    for (let i = 0; i < MAX_OPEN_UPLOADS; i++) store.append(undefined, 'z');
    expect(errorOf(() => store.append(undefined, 'z')).code).toBe(ErrorCodes.limit);
    store.dispose();
    expect(store.size).toBe(0);
  });

  it('drops an upload left idle, and each part restarts its clock', () => {
    vi.useFakeTimers();
    const store = new UploadStore(1000);
    const { id } = store.append(undefined, 'a');
    vi.advanceTimersByTime(900);
    store.append(id, 'b');
    vi.advanceTimersByTime(900);
    expect(store.take(id)).toBe('ab');
    const late = store.append(undefined, 'c');
    vi.advanceTimersByTime(1001);
    expect(errorOf(() => store.take(late.id)).code).toBe(ErrorCodes.notFound);
    store.dispose();
  });
});

describe('textParam', () => {
  it('sends a text that fits one message as it is, and a larger one as an upload of parts', async () => {
    const store = new UploadStore();
    const append = async ({ id, text }: { id?: string; text: string }) => store.append(id, text);
    expect(await textParam('small', append)).toEqual({ text: 'small' });
    const text = Array.from({ length: 3 * UPLOAD_PART_CHARS + 17 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const progress: number[] = [];
    const param = await textParam(text, append, (sent) => progress.push(sent));
    expect('upload' in param).toBe(true);
    expect(store.take((param as { upload: string }).upload)).toBe(text);
    expect(progress).toEqual([UPLOAD_PART_CHARS, 2 * UPLOAD_PART_CHARS, 3 * UPLOAD_PART_CHARS, text.length]);
    store.dispose();
  });
});
