/**
 * ns per head for the gateway's HTTP/1.1 parsers on typical heads.
 * node_modules/.bin/node --experimental-transform-types --no-warnings test/bench/micro/http-parser.ts
 */
import { RequestParser, ResponseParser, serializeRequestHead, type RequestHead, type RequestParserHandler, type ResponseHead, type ResponseParserHandler } from '../../../electron/engine/gateway/http/index.ts';

const requestHead = Buffer.from(
  [
    'GET /api/v1/orders/12345?expand=items&limit=20 HTTP/1.1',
    'Host: api.example.com',
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    'Accept: application/json, text/plain, */*',
    'Accept-Language: en-US,en;q=0.5',
    'Accept-Encoding: gzip, deflate, br',
    'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc',
    'X-Request-Id: 7f3c2a9e-1b4d-4c7a-9e2f-5a6b7c8d9e0f',
    'Connection: keep-alive',
    '',
    '',
  ].join('\r\n'),
  'latin1',
);

const responseHead = Buffer.from(
  [
    'HTTP/1.1 200 OK',
    'Content-Type: application/json; charset=utf-8',
    'Content-Length: 0',
    'Date: Mon, 02 Jun 2025 10:00:00 GMT',
    'Cache-Control: no-store',
    'ETag: "33a64df551425fcc55e4d42a148795d9f25f89d4"',
    'Vary: Accept-Encoding',
    'Connection: keep-alive',
    '',
    '',
  ].join('\r\n'),
  'latin1',
);

let sink = 0;
let lastHead: RequestHead | undefined;
const requestHandler: RequestParserHandler = {
  onRequestHead(head) {
    lastHead = head;
    sink += head.headers.names.length;
  },
  onRequestBody() {},
  onRequestEnd() {
    sink++;
  },
  onRequestError(error) {
    throw error;
  },
};
const responseHandler: ResponseParserHandler = {
  onResponseHead(head: ResponseHead) {
    sink += head.status;
  },
  onResponseBody() {},
  onResponseEnd() {
    sink++;
  },
  onResponseError(error) {
    throw error;
  },
};

function measure(name: string, iterations: number, run: () => void): void {
  for (let i = 0; i < iterations / 10; i++) run();
  const runs: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) run();
    runs.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  runs.sort((a, b) => a - b);
  console.log(`${name.padEnd(34)} ${runs[2]!.toFixed(0).padStart(6)} ns (best ${runs[0]!.toFixed(0)})`);
}

/** The floor on this machine: one table load per byte over the same head, nothing else (a shared box's load moves every line together). */
const visible = new Uint8Array(256).fill(1, 0x20, 0x7f);
function touchEveryByte(buffer: Buffer): number {
  let count = 0;
  for (let i = 0; i < buffer.length; i++) count += visible[buffer[i]!]!;
  return count;
}

const requestParser = new RequestParser(requestHandler, { maxHeaderBytes: 16_384 });
const responseParser = new ResponseParser(responseHandler, { maxHeaderBytes: 16_384 });
const N = 1_000_000;
console.log(`request head ${requestHead.length} bytes, response head ${responseHead.length} bytes`);
measure('floor: one pass over the request', N, () => {
  sink += touchEveryByte(requestHead);
});
measure('request head', N, () => requestParser.execute(requestHead));
measure('response head', N, () => responseParser.execute(responseHead));
const head = lastHead!;
measure('serialize request head', N, () => {
  sink += serializeRequestHead(head.method, head.path, head.headers).length;
});
const split = requestHead.length >> 1;
const first = requestHead.subarray(0, split);
const second = requestHead.subarray(split);
measure('request head in two chunks', N / 4, () => {
  requestParser.execute(first);
  requestParser.execute(second);
});
if (sink === 42) console.log('');
