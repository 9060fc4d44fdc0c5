// Run inside a network namespace by test/e2e/ipv6-limits.test.ts (see
// test/helpers/netns.ts): starts `netops serve` there, sends requests and
// opens connections from IPv6 addresses of two /64s, and prints what each
// got as one line of JSON. Plain JavaScript: it runs with the Node that runs
// the build, without the test runner.
//
//   node ipv6-limits.mjs CLI DATA_DIR CONFIG
import { spawn } from 'node:child_process';
import { request, createServer } from 'node:http';
import { connect } from 'node:net';

const [cli, dataDir, config] = process.argv.slice(2);
const SERVER = '2001:db8:1::1';
const GATEWAY_PORT = 8080;
const ECHO_PORT = 7007;

function get(localAddress) {
  return new Promise((resolve) => {
    const req = request({ host: SERVER, port: GATEWAY_PORT, path: '/', localAddress, agent: false, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve(`error: ${error.message}`));
    req.end();
  });
}

/** 'echoed' when the echo listener sent the line back, else how the connection ended. */
function echo(localAddress) {
  return new Promise((resolve) => {
    const socket = connect({ host: SERVER, port: ECHO_PORT, localAddress });
    let got = '';
    const done = (result) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(got === 'ping\n' ? 'echoed' : 'timeout'), 2000);
    socket.on('connect', () => socket.write('ping\n'));
    socket.on('data', (chunk) => {
      got += chunk.toString();
      if (got === 'ping\n') done('echoed');
    });
    socket.on('error', (error) => done(error.code ?? error.message));
    socket.on('close', () => done(got === 'ping\n' ? 'echoed' : 'closed'));
  });
}

async function main() {
  const backend = createServer((req, res) => res.end('ok'));
  await new Promise((resolve) => backend.listen(9000, '127.0.0.1', resolve));
  const serve = spawn(process.execPath, [cli, 'serve', '--ui-port', '0', '--data-dir', dataDir, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  serve.stderr.on('data', (chunk) => (log += chunk));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${log}`)), 20_000);
    serve.stdout.on('data', (chunk) => {
      log += chunk;
      if (/console: http/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    serve.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${log}`)));
  });
  // The entry point is up once it answers; from a /64 of its own, so the buckets under test stay untouched.
  const deadline = Date.now() + 20_000;
  while ((await get('2001:db8:1:9::1')) !== 200) {
    if (Date.now() > deadline) throw new Error(`the gateway entry point never answered: ${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const gateway = [];
  for (const source of ['2001:db8:1:2::a', '2001:db8:1:2::b', '2001:db8:1:2::c', '2001:db8:1:3::a']) gateway.push([source, await get(source)]);
  const firewall = [];
  for (const source of ['2001:db8:1:2::a', '2001:db8:1:2::b', '2001:db8:1:2::c', '2001:db8:1:2::d', '2001:db8:1:3::a']) firewall.push([source, await echo(source)]);
  serve.kill('SIGTERM');
  const code = await new Promise((resolve) => serve.once('exit', resolve));
  backend.close();
  process.stdout.write(`${JSON.stringify({ gateway, firewall, serveExit: code })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
