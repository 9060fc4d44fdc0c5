// Headless Chromium for UI measurements: launch, an in-page frame and text
// sampler, and the analysis of a Chromium performance trace.
/* global window, document, requestAnimationFrame, cancelAnimationFrame -- functions passed to page.evaluate run in the page */
import { readFileSync, readdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { distribution, round, sum } from './stats.mjs';

export const CHROMIUM = process.env.NETOPS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const TRACE_CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
];
export const VSYNC_MS = 1000 / 60;

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, timeout: 30_000 });
}

/** Chromium processes that descend from this bench, grouped by their --type (the browser process has none). */
export function chromiumPidsByType() {
  const groups = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (!/^(chromium|chrome|headless_shell)/.test(comm)) continue;
      if (!isDescendantOf(Number(entry), process.pid)) continue;
      // Chromium rewrites its process title, so the arguments may be one space-separated string.
      const type = /--type=([\w-]+)/.exec(readFileSync(`/proc/${entry}/cmdline`, 'utf8'))?.[1] ?? 'browser';
      (groups[`chromium-${type}`] ??= []).push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return groups;
}

function isDescendantOf(pid, ancestor) {
  let current = pid;
  for (let hops = 0; hops < 32 && current > 1; hops++) {
    const stat = readFileSync(`/proc/${current}/stat`, 'utf8');
    current = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (current === ancestor) return true;
  }
  return false;
}

/**
 * Installs window.__netopsBench: a requestAnimationFrame loop that records
 * when each frame callback actually ran (performance.now(), not the rAF
 * timestamp, which is the frame's vsync time and hides how late a blocked
 * main thread ran it), a 250 ms sampler of one element's text, and the
 * browser's long-animation-frame entries (frames over 50 ms, with the scripts
 * that ran in them). All stop by themselves after maxMs.
 */
export async function installSampler(page) {
  await page.evaluate(() => {
    const state = { frames: [], texts: [], longFrames: [], running: false, raf: 0, timer: 0, stopAt: 0 };
    if (PerformanceObserver.supportedEntryTypes?.includes('long-animation-frame')) {
      new PerformanceObserver((list) => {
        if (!state.running) return;
        for (const entry of list.getEntries()) {
          if (state.longFrames.length >= 500) return;
          state.longFrames.push({
            startTime: entry.startTime,
            duration: entry.duration,
            blockingDuration: entry.blockingDuration,
            // Time from the start of rendering (rAF, style, layout) to the end of the frame.
            renderMs: entry.renderStart ? entry.startTime + entry.duration - entry.renderStart : 0,
            scripts: entry.scripts.map((script) => ({ invoker: script.invoker, duration: script.duration, fn: script.sourceFunctionName })),
          });
        }
      }).observe({ type: 'long-animation-frame', buffered: false });
    }
    const onFrame = () => {
      if (!state.running) return;
      const now = performance.now();
      state.frames.push(now);
      if (now < state.stopAt && state.frames.length < 200_000) state.raf = requestAnimationFrame(onFrame);
      else state.running = false;
    };
    window.__netopsBench = {
      start(maxMs, selectors) {
        state.frames = [];
        state.texts = [];
        state.longFrames = [];
        state.running = true;
        state.stopAt = performance.now() + maxMs;
        state.raf = requestAnimationFrame(onFrame);
        clearInterval(state.timer);
        state.timer = setInterval(() => {
          const now = performance.now();
          if (now > state.stopAt) return clearInterval(state.timer);
          state.texts.push([now, ...selectors.map((selector) => document.querySelector(selector)?.textContent ?? null)]);
        }, 250);
      },
      stop() {
        state.running = false;
        cancelAnimationFrame(state.raf);
        clearInterval(state.timer);
        return { frames: state.frames, texts: state.texts, longFrames: state.longFrames };
      },
    };
  });
}

/** Starts the sampler; every 250 ms it records the text of the first element matching each selector. */
export async function startSampler(page, { maxMs, selectors = [] }) {
  await page.evaluate(([ms, sel]) => window.__netopsBench.start(ms, sel), [maxMs, selectors]);
}

export async function stopSampler(page) {
  return page.evaluate(() => window.__netopsBench.stop());
}

/**
 * Long animation frames (over 50 ms) and what filled them: script (by
 * invoker, e.g. a WebSocket message handler), rendering, or neither, which
 * on a full machine means the thread was waiting for a CPU.
 */
export function summarizeLongFrames(longFrames) {
  const byInvoker = new Map();
  let scriptMs = 0;
  let renderMs = 0;
  for (const frame of longFrames) {
    renderMs += frame.renderMs;
    for (const script of frame.scripts) {
      scriptMs += script.duration;
      const key = String(script.invoker).replace(/https?:\/\/[^ ]*\//g, '');
      byInvoker.set(key, (byInvoker.get(key) ?? 0) + script.duration);
    }
  }
  const totalMs = sum(longFrames.map((f) => f.duration));
  return {
    count: longFrames.length,
    maxMs: round(Math.max(0, ...longFrames.map((f) => f.duration)), 0),
    totalMs: round(totalMs, 0),
    scriptMs: round(scriptMs, 0),
    renderMs: round(renderMs, 0),
    topScripts: [...byInvoker.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([invoker, ms]) => ({ invoker, ms: round(ms, 0) })),
  };
}

/** Frame gaps of the in-page rAF sampler. */
export function summarizeRafFrames(frames) {
  const gaps = [];
  for (let i = 1; i < frames.length; i++) gaps.push(frames[i] - frames[i - 1]);
  return {
    ...distribution(gaps),
    over16_7ms: gaps.filter((g) => g > VSYNC_MS).length,
    missedVsync: gaps.filter((g) => g > VSYNC_MS * 1.5).length,
    over50ms: gaps.filter((g) => g > 50).length,
    spanMs: round(frames.length > 1 ? frames.at(-1) - frames[0] : 0, 0),
  };
}

/** How one sampled text (column `column` of the samples) moved: how many samples, how many changes, and the longest time it stood still. */
export function summarizeTextSamples(texts, column = 1) {
  const at = (i) => texts[i][0];
  const text = (i) => texts[i][column];
  let changes = 0;
  let longestStillMs = 0;
  let lastChangeAt = texts.length > 0 ? at(0) : 0;
  for (let i = 1; i < texts.length; i++) {
    if (text(i) !== text(i - 1)) {
      changes++;
      longestStillMs = Math.max(longestStillMs, at(i) - lastChangeAt);
      lastChangeAt = at(i);
    }
  }
  if (texts.length > 0) longestStillMs = Math.max(longestStillMs, at(texts.length - 1) - lastChangeAt);
  const gaps = [];
  for (let i = 1; i < texts.length; i++) gaps.push(at(i) - at(i - 1));
  return {
    samples: texts.length,
    changes,
    distinct: new Set(texts.map((t) => t[column])).size,
    longestStillMs: round(longestStillMs, 0),
    maxSampleGapMs: round(Math.max(0, ...gaps), 0),
    first: texts.length > 0 ? text(0) : null,
    last: texts.length > 0 ? text(texts.length - 1) : null,
  };
}

/**
 * Frame numbers from a Chromium trace, for the renderer that shows `origin`:
 * - frame interval: time between consecutive BeginMainThreadFrame events on
 *   the page's main thread. The rAF sampler asks for a frame every vsync, so
 *   this is 16.7 ms when the main thread keeps up and longer by exactly how
 *   long it was busy when it does not.
 * - busy per frame: RunTask time on that thread within each frame interval.
 * - presented frames: DrawFrame events on the page's compositor thread
 *   (only frames with damage are drawn), and PipelineReporter frame states.
 * Busy times come in wall and thread (CPU) time: their gap is time the
 * thread was ready to run but waiting for a core.
 */
export function analyzeTrace(trace, { origin }) {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const threadNames = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args?.name);

  const pid = findRendererPid(events, threadNames, origin);
  const tidNamed = (name) => {
    for (const [key, value] of threadNames) {
      const [p, t] = key.split(':').map(Number);
      if (p === pid && value === name) return t;
    }
    return undefined;
  };
  const mainTid = tidNamed('CrRendererMain');
  const compositorTid = tidNamed('Compositor');
  if (mainTid === undefined) throw new Error(`the trace has no CrRendererMain thread for renderer pid ${pid}`);

  const onMain = events.filter((e) => e.pid === pid && e.tid === mainTid);
  const frameStarts = onMain.filter((e) => e.name === 'BeginMainThreadFrame').map((e) => e.ts / 1000).sort((a, b) => a - b);
  const intervals = [];
  for (let i = 1; i < frameStarts.length; i++) intervals.push(frameStarts[i] - frameStarts[i - 1]);

  // [start, end, share of the wall time the thread was on a CPU (tdur / dur)]
  const tasks = onMain
    .filter((e) => e.name === 'RunTask' && e.ph === 'X' && typeof e.dur === 'number')
    .map((e) => [e.ts / 1000, (e.ts + e.dur) / 1000, e.dur > 0 && typeof e.tdur === 'number' ? Math.min(1, e.tdur / e.dur) : 1]);
  tasks.sort((a, b) => a[0] - b[0]);
  const busyPerFrame = [];
  const cpuPerFrame = [];
  let first = 0;
  for (let i = 1; i < frameStarts.length; i++) {
    const from = frameStarts[i - 1];
    const to = frameStarts[i];
    while (first < tasks.length && tasks[first][1] <= from) first++;
    let busy = 0;
    let cpu = 0;
    for (let j = first; j < tasks.length && tasks[j][0] < to; j++) {
      const overlap = Math.max(0, Math.min(to, tasks[j][1]) - Math.max(from, tasks[j][0]));
      busy += overlap;
      cpu += overlap * tasks[j][2];
    }
    busyPerFrame.push(busy);
    cpuPerFrame.push(cpu);
  }
  const windowStart = frameStarts[0];
  const windowEnd = frameStarts.at(-1);
  const windowMs = windowEnd - windowStart;
  const inWindow = (e) => e.ts / 1000 >= windowStart && e.ts / 1000 <= windowEnd;
  const windowTasks = tasks.filter(([start]) => start >= windowStart && start <= windowEnd);
  const taskDurations = windowTasks.map(([start, end]) => end - start);
  const longest = windowTasks.reduce((best, task) => (!best || task[1] - task[0] > best[1] - best[0] ? task : best), undefined);

  // Self thread time (tdur minus nested events) by event name: wall time on a
  // full machine is partly waiting for a core, and Paint and FunctionCall nest.
  const selfCpu = new Map();
  const stack = [];
  const nested = onMain
    .filter((e) => e.ph === 'X' && typeof e.dur === 'number' && inWindow(e) && !e.name.startsWith('ThreadControllerImpl'))
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  for (const e of nested) {
    while (stack.length > 0 && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
    const cpu = (e.tdur ?? e.dur) / 1000;
    const parent = stack.at(-1);
    if (parent) selfCpu.set(parent.name, (selfCpu.get(parent.name) ?? 0) - cpu);
    selfCpu.set(e.name, (selfCpu.get(e.name) ?? 0) + cpu);
    stack.push(e);
  }
  const mainThreadSelfCpuMs = Object.fromEntries(
    [...selfCpu.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([name, ms]) => [name, round(ms, 0)]),
  );
  // CPU of each thread of the page's renderer (main, compositor, raster workers) over the window.
  const threadCpu = new Map();
  for (const e of events) {
    if (e.pid !== pid || e.name !== 'RunTask' || e.ph !== 'X' || !inWindow(e)) continue;
    const thread = (threadNames.get(`${e.pid}:${e.tid}`) ?? `tid ${e.tid}`).replace(/\d+$/, '');
    threadCpu.set(thread, (threadCpu.get(thread) ?? 0) + (e.tdur ?? e.dur) / 1000);
  }
  const rendererThreadCpuPercent = Object.fromEntries(
    [...threadCpu.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => [name, round((ms / Math.max(1, windowMs)) * 100, 1)]),
  );

  const onCompositor = events.filter((e) => e.pid === pid && e.tid === compositorTid);
  const draws = onCompositor.filter((e) => e.name === 'DrawFrame').map((e) => e.ts / 1000).sort((a, b) => a - b);
  const drawIntervals = [];
  for (let i = 1; i < draws.length; i++) drawIntervals.push(draws[i] - draws[i - 1]);
  const frameStates = {};
  for (const e of onCompositor) {
    if (e.name !== 'PipelineReporter' || e.ph !== 'b') continue;
    const state = e.args?.frame_reporter?.state ?? e.args?.chrome_frame_reporter?.state ?? 'unknown';
    frameStates[state] = (frameStates[state] ?? 0) + 1;
  }

  return {
    rendererPid: pid,
    windowMs: round(windowMs, 0),
    frames: frameStarts.length,
    frameIntervalMs: {
      ...distribution(intervals),
      over16_7ms: intervals.filter((v) => v > VSYNC_MS).length,
      missedVsync: intervals.filter((v) => v > VSYNC_MS * 1.5).length,
      over50ms: intervals.filter((v) => v > 50).length,
    },
    mainThreadBusyPerFrameMs: distribution(busyPerFrame),
    // The same, counting only time the thread was on a CPU: the gap to the line above is time it was runnable but waiting for a core.
    mainThreadCpuPerFrameMs: distribution(cpuPerFrame),
    mainThreadBusyPercent: round((sum(busyPerFrame) / Math.max(1, windowMs)) * 100, 1),
    mainThreadCpuPercent: round((sum(cpuPerFrame) / Math.max(1, windowMs)) * 100, 1),
    longTasks: {
      over50ms: taskDurations.filter((d) => d > 50).length,
      maxMs: round(longest ? longest[1] - longest[0] : 0, 1),
      maxTaskCpuMs: round(longest ? (longest[1] - longest[0]) * longest[2] : 0, 1),
    },
    presented: {
      drawFrames: draws.length,
      drawIntervalMs: distribution(drawIntervals),
      frameStates,
    },
    mainThreadSelfCpuMs,
    rendererThreadCpuPercent,
  };
}

function findRendererPid(events, threadNames, origin) {
  const started = events.find((e) => e.name === 'TracingStartedInBrowser');
  const frames = started?.args?.data?.frames ?? [];
  const committed = events.filter((e) => e.name === 'FrameCommittedInBrowser').map((e) => e.args?.data);
  for (const frame of [...frames, ...committed]) {
    if (frame?.url?.startsWith(origin) && frame.processId) return frame.processId;
  }
  // Fall back to the renderer whose main thread ran the most script.
  const counts = new Map();
  for (const e of events) {
    if (e.name === 'FunctionCall' && threadNames.get(`${e.pid}:${e.tid}`) === 'CrRendererMain') counts.set(e.pid, (counts.get(e.pid) ?? 0) + 1);
  }
  const best = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  if (!best) throw new Error(`cannot find the renderer of ${origin} in the trace`);
  return best[0];
}
