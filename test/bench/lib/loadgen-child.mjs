// The load generator, run as its own process (forked by loadgen.mjs) so its
// CPU and sockets are not the bench's or the server's. It talks only to
// 127.0.0.1, and every mode ends by itself: by count and by a deadline, and
// at once if the parent goes away.
import { connect } from 'node:net';

const HOST = '127.0.0.1';
const HARD_DEADLINE_MS = 120_000;

let sockets = [];
let liveTimer;
let stats = { writes: 0, bytesWritten: 0, bytesRead: 0, ticks: 0, lateTicks: 0 };
let paused = false;

function send(message) {
  if (process.connected) process.send(message);
}

function closeAll() {
  if (liveTimer) clearInterval(liveTimer);
  liveTimer = undefined;
  for (const socket of sockets) socket.destroy();
  sockets = [];
}

function finish(code = 0) {
  closeAll();
  // Give the last IPC message a moment to leave before exiting.
  setTimeout(() => process.exit(code), 50);
}

process.on('disconnect', () => finish(0));
setTimeout(() => {
  send({ type: 'error', message: `load generator hit its hard deadline of ${HARD_DEADLINE_MS} ms` });
  finish(1);
}, HARD_DEADLINE_MS).unref();

function openOne(port) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port, noDelay: true });
    const timer = setTimeout(() => socket.destroy(new Error('connect timed out after 10 s')), 10_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        stats.bytesRead += chunk.length;
      });
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * hold: open `count` connections (at most `openConcurrency` connecting at a
 * time), then every `intervalMs` write `payloadBytes` to `writersPerTick`
 * distinct random sockets. The echo sends them back, so every sampled row
 * has moving byte counters.
 */
async function hold({ port, count, openConcurrency = 200, writersPerTick = 2000, intervalMs = 100, payloadBytes = 8, maxMs = 60_000 }) {
  const started = performance.now();
  const deadline = started + maxMs;
  const errors = {};
  let next = 0;
  const opener = async () => {
    while (next < count && performance.now() < deadline) {
      next++;
      try {
        sockets.push(await openOne(port));
      } catch (error) {
        errors[error.code ?? error.message] = (errors[error.code ?? error.message] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(openConcurrency, count) }, opener));
  send({ type: 'opened', opened: sockets.length, errors, ms: performance.now() - started });
  if (sockets.length === 0) return finish(1);
  const payload = Buffer.alloc(payloadBytes, 0x61);
  let lastTick = performance.now();
  liveTimer = setInterval(() => {
    const now = performance.now();
    if (now > deadline) {
      send({ type: 'stopped', reason: 'deadline', stats });
      return finish(0);
    }
    if (now - lastTick > intervalMs * 1.5) stats.lateTicks++;
    lastTick = now;
    if (paused) return;
    stats.ticks++;
    // A partial Fisher-Yates: distinct random sockets each tick.
    const n = Math.min(writersPerTick, sockets.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(Math.random() * (sockets.length - i));
      const chosen = sockets[j];
      sockets[j] = sockets[i];
      sockets[i] = chosen;
      if (!chosen.destroyed) {
        chosen.write(payload);
        stats.writes++;
        stats.bytesWritten += payloadBytes;
      }
    }
  }, intervalMs);
}

/**
 * churn: connections that open, send `payloadBytes`, read them back and
 * close, `concurrency` at a time, until `maxConnections` or `maxMs`.
 */
async function churn({ port, concurrency = 64, maxConnections = 200_000, maxMs = 20_000, payloadBytes = 8 }) {
  const payload = Buffer.alloc(payloadBytes, 0x62);
  const started = performance.now();
  const deadline = started + maxMs;
  const perSecond = [];
  const latencies = [];
  const errors = {};
  let launched = 0;
  let completed = 0;
  const one = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      let received = 0;
      let ok = false;
      const socket = connect({ host: HOST, port, noDelay: true });
      const timer = setTimeout(() => socket.destroy(new Error('ETIMEDOUT_BENCH')), 5000);
      socket.once('connect', () => socket.write(payload));
      socket.on('data', (chunk) => {
        received += chunk.length;
        if (received >= payloadBytes && !ok) {
          ok = true;
          socket.end();
        }
      });
      socket.on('error', (error) => {
        const key = error.code ?? error.message;
        errors[key] = (errors[key] ?? 0) + 1;
      });
      socket.once('close', () => {
        clearTimeout(timer);
        if (ok) {
          completed++;
          const second = Math.floor((performance.now() - started) / 1000);
          perSecond[second] = (perSecond[second] ?? 0) + 1;
          if (latencies.length < 50_000) latencies.push(performance.now() - t0);
        }
        resolve();
      });
    });
  const worker = async () => {
    while (launched < maxConnections && performance.now() < deadline) {
      launched++;
      await one();
    }
  };
  const progress = setInterval(() => send({ type: 'progress', completed, launched, ms: performance.now() - started }), 250);
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearInterval(progress);
  send({
    type: 'done',
    launched,
    completed,
    errors,
    ms: performance.now() - started,
    perSecond: Array.from(perSecond, (v) => v ?? 0),
    latencies,
  });
  finish(0);
}

process.on('message', (message) => {
  switch (message.cmd) {
    case 'hold':
      hold(message).catch((error) => {
        send({ type: 'error', message: error.stack ?? String(error) });
        finish(1);
      });
      break;
    case 'churn':
      churn(message).catch((error) => {
        send({ type: 'error', message: error.stack ?? String(error) });
        finish(1);
      });
      break;
    case 'stats':
      send({ type: 'stats', stats, open: sockets.filter((s) => !s.destroyed).length });
      break;
    case 'pause':
    case 'resume':
      paused = message.cmd === 'pause';
      send({ type: message.cmd === 'pause' ? 'paused' : 'resumed' });
      break;
    case 'stop':
      send({ type: 'stopped', reason: 'asked', stats });
      finish(0);
      break;
    default:
      send({ type: 'error', message: `unknown command ${JSON.stringify(message)}` });
  }
});

send({ type: 'ready' });
