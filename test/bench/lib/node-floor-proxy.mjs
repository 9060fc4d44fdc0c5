// The Node floor: the least a Node proxy can do a request, as a reference
// target for the gateway suite. It is not a product and not an HTTP proxy
// in general: it is correct only for the suite's load (wrk's bodiless GETs,
// one at a time a connection, and a backend that frames every answer with
// Content-Length), and it does nothing the gateway does besides moving the
// bytes: no routing, no header rewriting, no stats, no tracking, no
// firewall. What it costs is what Node's event loop, sockets and streams
// cost on this machine; the gateway's distance to it is the gateway's own.
//
//   node node-floor-proxy.mjs PORT BACKEND_PORT PIPELINE
//
// PIPELINE 1: each client connection gets an upstream connection of its
// own, and bytes are copied both ways as they come, with no parsing at all
// (a request a read and a write on each side, as nginx does).
// PIPELINE > 1: the requests of one turn of the event loop fill one upstream
// connection up to PIPELINE in flight before the next is taken, and leave in
// one write at the turn's end; answers are cut by Content-Length and written
// to their clients in order (the gateway's pool.pipeline, without the rest).
import { createConnection, createServer } from 'node:net';

const [port, backendPort, pipeline] = process.argv.slice(2).map(Number);
if (!(port > 0) || !(backendPort > 0) || !(pipeline >= 1)) {
  process.stderr.write('usage: node node-floor-proxy.mjs PORT BACKEND_PORT PIPELINE\n');
  process.exit(2);
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = Buffer.from('\r\ncontent-length:');

function fail(message) {
  process.stderr.write(`node floor: ${message}\n`);
  process.exit(1);
}

function upstream(onError) {
  const socket = createConnection({ host: '127.0.0.1', port: backendPort, noDelay: true });
  socket.on('error', onError);
  return socket;
}

// ---- pipeline 1: a connection each way, bytes copied ---------------------------------

function oneToOne(client) {
  const backend = upstream(() => client.destroy());
  client.on('data', (chunk) => backend.write(chunk));
  backend.on('data', (chunk) => client.write(chunk));
  client.on('close', () => backend.destroy());
  backend.on('close', () => client.destroy());
}

// ---- pipeline > 1: shared upstream connections, answers cut by Content-Length --------

/** Upstream connections with nothing in flight, and the one requests are filling until it holds `pipeline`. */
const idle = [];
let filling;
/** Links with request heads waiting for the turn's end. */
const pendingLinks = [];
let flushScheduled = false;

function flushHeads() {
  flushScheduled = false;
  for (const link of pendingLinks) {
    if (!link.socket.destroyed) link.socket.write(link.out.length === 1 ? link.out[0] : Buffer.concat(link.out));
    link.out.length = 0;
  }
  pendingLinks.length = 0;
}

function newLink() {
  const link = { socket: undefined, waiting: [], out: [], rest: undefined };
  link.socket = upstream(() => link.socket.destroy());
  link.socket.on('data', (chunk) => onAnswers(link, chunk));
  // The backend closed it (the readiness probe's Connection: close does that): it goes, with the clients it owed.
  link.socket.on('close', () => {
    if (filling === link) filling = undefined;
    const at = idle.indexOf(link);
    if (at !== -1) idle.splice(at, 1);
    for (const client of link.waiting) client.destroy();
    link.waiting.length = 0;
  });
  return link;
}

function takeLink() {
  if (filling !== undefined && filling.waiting.length < pipeline && filling.socket.writable) return filling;
  filling = undefined;
  while (filling === undefined) {
    const link = idle.pop() ?? newLink();
    if (link.socket.writable || link.socket.connecting) filling = link;
  }
  return filling;
}

/** The length of the body of the answer whose head is buffer[start, headEnd), from its Content-Length. */
function bodyLength(buffer, start, headEnd) {
  // Header names are case-insensitive: compare lower-cased bytes.
  const name = CONTENT_LENGTH;
  outer: for (let at = start; at + name.length < headEnd; at++) {
    for (let k = 0; k < name.length; k++) {
      const byte = buffer[at + k];
      if ((byte >= 65 && byte <= 90 ? byte | 0x20 : byte) !== name[k]) continue outer;
    }
    let value = 0;
    let digits = 0;
    for (let i = at + name.length; i < headEnd; i++) {
      const byte = buffer[i];
      if (byte === 32 || byte === 9) continue;
      if (byte < 48 || byte > 57) break;
      value = value * 10 + (byte - 48);
      digits++;
    }
    if (digits === 0) fail('an answer with an empty Content-Length');
    return value;
  }
  return fail('an answer without Content-Length (the floor cuts answers by it alone)');
}

function onAnswers(link, chunk) {
  const buffer = link.rest === undefined ? chunk : Buffer.concat([link.rest, chunk]);
  let at = 0;
  for (;;) {
    const headEnd = buffer.indexOf(HEAD_END, at);
    if (headEnd === -1) break;
    const end = headEnd + 4 + bodyLength(buffer, at, headEnd);
    if (end > buffer.length) break;
    const client = link.waiting.shift();
    if (client === undefined) fail('an answer nobody asked for');
    if (!client.destroyed) client.write(buffer.subarray(at, end));
    at = end;
  }
  link.rest = at < buffer.length ? buffer.subarray(at) : undefined;
  if (link.waiting.length === 0 && link !== filling) idle.push(link);
}

function pipelined(client) {
  let rest;
  client.on('data', (chunk) => {
    const buffer = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
    let at = 0;
    for (;;) {
      const headEnd = buffer.indexOf(HEAD_END, at);
      if (headEnd === -1) break;
      const link = takeLink();
      link.waiting.push(client);
      if (link.out.push(buffer.subarray(at, headEnd + 4)) === 1) pendingLinks.push(link);
      at = headEnd + 4;
    }
    rest = at < buffer.length ? buffer.subarray(at) : undefined;
    if (!flushScheduled && pendingLinks.length > 0) {
      flushScheduled = true;
      setImmediate(flushHeads);
    }
  });
}

const server = createServer({ noDelay: true }, (client) => {
  client.on('error', () => client.destroy());
  if (pipeline === 1) oneToOne(client);
  else pipelined(client);
});
server.on('error', (error) => fail(error.message));
server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => process.stdout.write(`listening on 127.0.0.1:${port}\n`));
