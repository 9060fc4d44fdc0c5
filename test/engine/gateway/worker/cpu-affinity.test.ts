import { readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { currentThreadId, formatCpuList, parseCpuList, tasksetPinner, workerCpus } from '../../../../electron/engine/gateway/worker/index.ts';

describe('CPU lists', () => {
  it('reads and writes the kernel format', () => {
    expect(parseCpuList('0')).toEqual([0]);
    expect(parseCpuList('0-3,6\n')).toEqual([0, 1, 2, 3, 6]);
    expect(formatCpuList([6, 0, 1, 2, 3, 3])).toBe('0-3,6');
    expect(formatCpuList([1, 3, 5])).toBe('1,3,5');
    for (const bad of ['', 'a', '3-1', '0,,1', '-1']) expect(() => parseCpuList(bad)).toThrow(/not a CPU list/);
  });

  it('hands CPUs to workers in turn; "auto" leaves the control CPUs out while others remain', () => {
    expect(workerCpus([1, 2], 3, [0, 1, 2, 3], undefined)).toEqual([1, 2, 1]);
    expect(workerCpus('auto', 4, [0, 1, 2, 3], undefined)).toEqual([0, 1, 2, 3]);
    expect(workerCpus('auto', 3, [0, 1, 2, 3], [0])).toEqual([1, 2, 3]);
    expect(workerCpus('auto', 2, [0], [0])).toEqual([0, 0]);
    expect(() => workerCpus('auto', 1, [], undefined)).toThrow(/no CPU/);
  });
});

describe('threads and taskset (Linux)', () => {
  const workers: Worker[] = [];
  const path = process.env.PATH;
  beforeAll(() => {
    if (process.platform !== 'linux') throw new Error('cpuAffinity is Linux-only and these tests read /proc: run them on Linux');
  });
  afterEach(async () => {
    process.env.PATH = path;
    await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
  });

  async function idleWorkerThread(): Promise<number> {
    const source = `
      import { readlinkSync } from 'node:fs';
      import { parentPort } from 'node:worker_threads';
      parentPort.postMessage(Number(/task\\/(\\d+)$/.exec(readlinkSync('/proc/thread-self'))[1]));
      setInterval(() => {}, 1000);`;
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`));
    workers.push(worker);
    return new Promise((resolve) => worker.once('message', resolve));
  }

  it('names the calling thread as the kernel does', async () => {
    expect(currentThreadId()).toBe(process.pid);
    const thread = await idleWorkerThread();
    expect(thread).not.toBe(process.pid);
    expect(readdirSync(`/proc/${process.pid}/task`).map(Number)).toContain(thread);
  });

  it('pins one thread and reads it back; the process keeps its CPUs', async () => {
    const before = tasksetPinner.cpusOf(process.pid);
    const thread = await idleWorkerThread();
    await tasksetPinner.pinThread(thread, [0]);
    expect(tasksetPinner.cpusOf(thread)).toBe('0');
    expect(tasksetPinner.cpusOf(process.pid)).toBe(before);
  });

  it('says what went wrong: a CPU that does not exist, a missing taskset', async () => {
    const thread = await idleWorkerThread();
    await expect(tasksetPinner.pinThread(thread, [4000])).rejects.toThrow(new RegExp(`^taskset -p -c 4000 ${thread}: .+`));
    process.env.PATH = '/nonexistent';
    await expect(tasksetPinner.pinThread(thread, [0])).rejects.toThrow('taskset (util-linux) is needed to pin threads to CPUs, and was not found on PATH');
  });
});
