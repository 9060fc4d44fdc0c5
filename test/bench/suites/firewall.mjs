// The firewall suite: decisions per second of the compiled rule set with 10,
// 1,000 and 100,000 rules, next to a linear scan of the same rules and to
// Node's net.BlockList, on one core, plus compile time and memory.
//
// How it measures:
// - The measuring runs in a child process (this file with --worker) pinned to
//   one CPU with taskset when it exists, with --expose-gc for the memory
//   readings. The engine is bundled from electron/engine/firewall/index.ts with
//   esbuild first, as the RPC client is in lib/netops.mjs.
// - Rules are generated from a fixed seed: 90% IPv4 sources with random prefix
//   lengths 8-32, 10% IPv6 (/32-/64, some /128), random ports, ranges and
//   lists, 70% deny, 20% naming a listener, 5% disabled, priorities 0-999.
// - 65,536 queries are fixed up front: random addresses, about half inside
//   some rule's CIDR, 15% IPv6 at every size (also where the rules have no
//   IPv6 source, as the 10-rule set has none), a quarter of the IPv4 ones
//   written IPv4-mapped as a dual-stack socket reports them; each arrives on
//   one of six listeners with its own protocol and port.
// - decide() runs as the product runs it: hit counting on (the hit log's
//   flushes happen inside the timed calls), the decision ring on, no
//   decision listener; only `.action` of its answer is read. Each batch of
//   1,024 inputs is made just before it is timed, with fresh source
//   strings, as accept() makes them: a decision then pays for the
//   firewall's memory, not for fetching a 65,536-entry query table from
//   DRAM.
// - "compiled lookup" is the winner tries of each listener alone, on
//   pre-parsed addresses. The linear scan gets the same rules priority-sorted in flat
//   typed arrays and pre-parsed query addresses. net.BlockList gets the deny
//   rules' CIDRs and answers only "is it in one of them".
// - Every method gets a 1.5 s warm-up, then 7 timed rounds; the median counts.
// - The compiled answers are checked against the linear scan's, untimed.
// - Adding and removing one rule is timed through the Firewall, after the
//   decisions, so the listeners' tries are rebuilt as in the product.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeTempDir, waitForQuietMachine } from '../lib/processes.mjs';
import { formatTable, median, round } from '../lib/stats.mjs';

/** NETOPS_BENCH_FIREWALL_SIZES=100000 measures one size, for quick runs while working on the engine. */
const SIZES = process.env.NETOPS_BENCH_FIREWALL_SIZES ? process.env.NETOPS_BENCH_FIREWALL_SIZES.split(',').map(Number) : [10, 1000, 100_000];
const QUERIES = 1 << 16;
const HOT_QUERIES = 1 << 12;
const ROUNDS = 7;
/** A timed round of a slow method covers a prefix of the queries sized to take about this long. */
const ROUND_TARGET_MS = 300;
const WARMUP_MS = 1500;
/** Queries decided between two clock readings, and made fresh together before that. */
const BATCH = 1024;
const GOAL_PER_SECOND = 5_000_000;
const SEED = 0x5eed;

/** Where connections arrive: the product's listeners, each with its one port. */
const LISTENERS = [
  { name: 'web', protocol: 'tcp', port: 443 },
  { name: 'http', protocol: 'tcp', port: 80 },
  { name: 'ssh', protocol: 'tcp', port: 22 },
  { name: 'dns', protocol: 'udp', port: 53 },
  { name: 'api', protocol: 'tcp', port: 8080 },
  { name: 'echo', protocol: 'tcp', port: 7 },
];
const COMMON_PORTS = [22, 25, 53, 80, 110, 143, 443, 465, 587, 993, 995, 3306, 5432, 6379, 8080, 8443];

export const firewall = {
  name: 'firewall',
  description: 'firewall decisions per second with 10 / 1,000 / 100,000 rules vs a linear scan and net.BlockList, compile time and memory',
  async run(ctx) {
    const gate = await waitForQuietMachine({ maxWaitMs: ctx.quietWaitMs });
    if (!gate.quiet) ctx.log(`   WARNING: the machine is still ${gate.busyPercent}% busy with other work; measuring anyway`);
    const dir = makeTempDir('netops-bench-firewall-');
    const bundle = join(dir, 'firewall.mjs');
    const { build } = await import('esbuild');
    await build({
      entryPoints: [join(ctx.root, 'electron/engine/firewall/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      outfile: bundle,
      logLevel: 'warning',
      banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
    });
    const cpu = pickCpu();
    const nodeArgs = ['--expose-gc', fileURLToPath(import.meta.url), '--worker', bundle];
    const [command, args] = cpu === null ? [ctx.node, nodeArgs] : ['taskset', ['-c', String(cpu), ctx.node, ...nodeArgs]];
    ctx.log(`-- measuring in a child process${cpu === null ? ' (taskset not found: not pinned)' : ` pinned to CPU ${cpu}`}`);
    const child = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 20 * 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const line of (child.stderr ?? '').split('\n').filter(Boolean)) ctx.log(`   ${line}`);
    if (child.status !== 0) throw new Error(`the firewall bench worker exited with ${child.status ?? child.signal}: ${child.error?.message ?? ''}`);
    const measured = JSON.parse(child.stdout);
    const results = { parts: { decisions: { ok: true, pinnedCpu: cpu, machineBusyPercentBefore: gate.busyPercent, ...measured } } };
    ctx.log('');
    ctx.log(formatTable(['rules', 'method', 'decisions/s (median)', 'ns/decision', 'queries/round', 'rounds'], tableRows(measured)));
    ctx.log('');
    ctx.log(
      formatTable(
        [
          'rules',
          'compile ms',
          'import ms (validate+compile)',
          `winner tables ms (${LISTENERS.length} listeners)`,
          'add / remove one rule ms',
          'heap MB',
          'compiled typed arrays MB',
          `winner tables MB (${LISTENERS.length} listeners)`,
          'agree with linear',
        ],
        compileRows(measured),
      ),
    );
    return { results, summary: summarize(measured) };
  },
};

function pickCpu() {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
  } catch {
    return null;
  }
  // The last core: the bench runner and the shell tend to sit on the first.
  return cpus().length - 1;
}

function tableRows(measured) {
  const rows = [];
  for (const size of measured.sizes) {
    for (const [method, m] of Object.entries(size.methods)) {
      rows.push([size.rules.toLocaleString('en-US'), method, Math.round(m.perSecond).toLocaleString('en-US'), round(1e9 / m.perSecond, 1), m.queries, m.rounds]);
    }
  }
  return rows;
}

function compileRows(measured) {
  return measured.sizes.map((s) => [
    s.rules.toLocaleString('en-US'),
    s.compileMs,
    s.importMs,
    s.tablesMs,
    `${s.addRuleMs} / ${s.removeRuleMs}`,
    s.heapMb,
    round(s.compiledBytes / 2 ** 20, 1),
    round(s.memoBytes / 2 ** 20, 1),
    s.agree ? 'yes' : `NO (${s.disagreements} of ${s.checked})`,
  ]);
}

function summarize(measured) {
  const summary = [];
  for (const size of measured.sizes) {
    const n = size.rules.toLocaleString('en-US');
    summary.push([`decide() with ${n} rules, decisions/s`, Math.round(size.methods['decide()'].perSecond).toLocaleString('en-US')]);
    summary.push([`decide() with ${n} rules, 4,096 distinct queries, decisions/s`, Math.round(size.methods['decide(), 4,096 distinct queries'].perSecond).toLocaleString('en-US')]);
    summary.push([`compiled lookup with ${n} rules, lookups/s`, Math.round(size.methods['compiled lookup'].perSecond).toLocaleString('en-US')]);
    summary.push([`linear scan with ${n} rules, decisions/s`, Math.round(size.methods['linear scan'].perSecond).toLocaleString('en-US')]);
    summary.push([`net.BlockList (${size.denyCidrs} deny CIDRs), checks/s`, Math.round(size.methods['net.BlockList'].perSecond).toLocaleString('en-US')]);
  }
  summary.push(['memory latency, ns per dependent load at 1 / 4 / 16 / 64 MB', Object.values(measured.memoryLatencyNs).join(' / ')]);
  const big = measured.sizes.at(-1);
  summary.push([`compile ${big.rules.toLocaleString('en-US')} rules, ms`, big.compileMs]);
  summary.push([`add / remove one rule at ${big.rules.toLocaleString('en-US')} rules (compile from the previous generation, swap, ${LISTENERS.length} contexts' tries), ms`, `${big.addRuleMs} / ${big.removeRuleMs}`]);
  summary.push([`compiled ${big.rules.toLocaleString('en-US')} rules, heap + typed arrays MB`, round(big.heapMb + big.compiledBytes / 2 ** 20, 1)]);
  summary.push([`winner tables for ${LISTENERS.length} listeners at ${big.rules.toLocaleString('en-US')} rules: build ms`, big.tablesMs]);
  summary.push([`winner tables for ${LISTENERS.length} listeners at ${big.rules.toLocaleString('en-US')} rules, MB`, round(big.memoBytes / 2 ** 20, 1)]);
  summary.push(['heap bytes allocated per decide(), worst size', Math.max(...measured.sizes.map((s) => s.allocatedBytesPerDecision ?? Infinity))]);
  const slowest = Math.min(...measured.sizes.map((s) => s.methods['decide()'].perSecond));
  const fastest = Math.max(...measured.sizes.map((s) => s.methods['decide()'].perSecond));
  summary.push(['decide() slowest / fastest size', round(slowest / fastest, 2)]);
  summary.push([`decide() >= ${GOAL_PER_SECOND.toLocaleString('en-US')}/s at every size`, slowest >= GOAL_PER_SECOND ? 'yes' : 'NO']);
  summary.push(['compiled answers equal the linear scan', measured.sizes.every((s) => s.agree) ? 'yes' : 'NO']);
  return summary;
}

// ---- the worker ---------------------------------------------------------------

export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A source address as a socket hands it over: a flat one-byte string made
 * from C++ (net.Socket#remoteAddress). Template literals build cons strings
 * instead, whose characters V8 reads through a slower path.
 */
function asSocketString(text) {
  return Buffer.from(text, 'latin1').toString('latin1');
}

function v4Text(value) {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function v6Text(words) {
  const groups = [];
  for (const w of words) groups.push((w >>> 16).toString(16), (w & 0xffff).toString(16));
  return groups.join(':');
}

function maskV4(value, prefix) {
  return prefix === 0 ? 0 : (value & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
}

function maskWords(words, prefix) {
  return words.map((w, i) => {
    const bits = Math.max(0, Math.min(32, prefix - i * 32));
    return bits === 0 ? 0 : bits === 32 ? w >>> 0 : (w & ((0xffffffff << (32 - bits)) >>> 0)) >>> 0;
  });
}

/** A rule set as a real one might look: mostly IPv4 sources, some IPv6, mostly deny with allow exceptions. */
export function generateRules(count, random) {
  const int = (n) => Math.floor(random() * n);
  const word = () => (random() * 4294967296) >>> 0;
  const rules = [];
  for (let i = 0; i < count; i++) {
    let source;
    if (random() < 0.9) {
      const prefix = 8 + int(25);
      source = { family: 4, prefix, network: maskV4(word(), prefix) };
      source.text = `${v4Text(source.network)}/${prefix}`;
    } else {
      const prefix = random() < 0.1 ? 128 : 32 + int(33);
      const words = maskWords([(0x20010000 | int(0x10000)) >>> 0, word(), word(), word()], prefix);
      source = { family: 6, prefix, words, text: `${v6Text(words)}/${prefix}` };
    }
    const p = random();
    let ports;
    if (p < 0.3) ports = 'any';
    else if (p < 0.7) ports = String(random() < 0.5 ? COMMON_PORTS[int(COMMON_PORTS.length)] : 1 + int(65535));
    else if (p < 0.9) {
      const from = 1 + int(60000);
      ports = `${from}-${from + int(2000)}`;
    } else {
      ports = [...new Set(Array.from({ length: 2 + int(3) }, () => COMMON_PORTS[int(COMMON_PORTS.length)]))].join(',');
    }
    const q = random();
    rules.push({
      name: `rule ${i}`,
      action: random() < 0.7 ? 'deny' : 'allow',
      protocol: q < 0.7 ? 'tcp' : q < 0.9 ? 'udp' : 'any',
      source: source.text,
      destination: random() < 0.8 ? 'any' : LISTENERS[int(LISTENERS.length)].name,
      ports,
      priority: int(1000),
      enabled: random() < 0.95,
      comment: '',
      parsedSource: source,
    });
  }
  return rules;
}

/** Sources: random addresses, many inside rule CIDRs, some IPv4 written IPv4-mapped as a dual-stack socket reports them. */
export function generateQueries(rules, random) {
  const int = (n) => Math.floor(random() * n);
  const word = () => (random() * 4294967296) >>> 0;
  const v4Rules = rules.filter((r) => r.parsedSource.family === 4);
  const v6Rules = rules.filter((r) => r.parsedSource.family === 6);
  const queries = [];
  for (let i = 0; i < QUERIES; i++) {
    const listener = LISTENERS[int(LISTENERS.length)];
    const r = random();
    let source;
    let family;
    let words;
    // The family mix is the same at every size, whatever the rules hold: a rule set without an IPv6 rule still
    // sees IPv6 clients, and a stream that changed with the rules would compare two things at once.
    if (r < 0.85) {
      let value = word();
      if (r < 0.45 && v4Rules.length > 0) {
        const rule = v4Rules[int(v4Rules.length)].parsedSource;
        value = (rule.network | (word() & (rule.prefix === 32 ? 0 : (0xffffffff >>> rule.prefix)))) >>> 0;
      }
      family = 4;
      words = [value, 0, 0, 0];
      source = random() < 0.25 ? `::ffff:${v4Text(value)}` : v4Text(value);
    } else {
      family = 6;
      if (r < 0.95 && v6Rules.length > 0) {
        const rule = v6Rules[int(v6Rules.length)].parsedSource;
        words = rule.words.map((w, k) => {
          const bits = Math.max(0, Math.min(32, rule.prefix - k * 32));
          const hostMask = bits === 32 ? 0 : 0xffffffff >>> bits;
          return (w | (word() & hostMask)) >>> 0;
        });
      } else {
        words = [(0x20010000 | int(0x10000)) >>> 0, word(), word(), word()];
      }
      source = v6Text(words);
    }
    queries.push({ input: { protocol: listener.protocol, source: asSocketString(source), listener: listener.name, localAddress: '192.0.2.1', port: listener.port }, family, words });
  }
  return queries;
}

/**
 * The baseline: the same enabled rules sorted by priority in flat typed arrays,
 * checked one after another on pre-parsed numbers, first match wins. No
 * string work per query, no allocation: a fair linear scan.
 */
function linearScanner(rules) {
  const enabled = rules.map((rule, seq) => ({ rule, seq })).filter((r) => r.rule.enabled).sort((a, b) => a.rule.priority - b.rule.priority || a.seq - b.seq);
  const n = enabled.length;
  const family = new Uint8Array(n);
  const masks = new Uint32Array(n * 4);
  const nets = new Uint32Array(n * 4);
  const protocol = new Uint8Array(n);
  const destination = new Int32Array(n);
  const portStart = new Int32Array(n + 1);
  const portLo = [];
  const portHi = [];
  const deny = new Uint8Array(n);
  enabled.forEach(({ rule }, i) => {
    const s = rule.parsedSource;
    family[i] = s.family;
    const words = s.family === 4 ? [s.network, 0, 0, 0] : s.words;
    const maskWordsOf = maskWords([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], s.prefix);
    for (let k = 0; k < 4; k++) {
      masks[i * 4 + k] = s.family === 4 ? (k === 0 ? maskWordsOf[0] : 0) : maskWordsOf[k];
      nets[i * 4 + k] = words[k];
    }
    protocol[i] = rule.protocol === 'tcp' ? 1 : rule.protocol === 'udp' ? 2 : 3;
    destination[i] = rule.destination === 'any' ? -1 : LISTENERS.findIndex((l) => l.name === rule.destination);
    portStart[i] = portLo.length;
    if (rule.ports !== 'any') {
      for (const part of rule.ports.split(',')) {
        const [from, to] = part.split('-').map(Number);
        portLo.push(from);
        portHi.push(to ?? from);
      }
    }
    deny[i] = rule.action === 'deny' ? 1 : 0;
  });
  portStart[n] = portLo.length;
  const lo = Int32Array.from(portLo);
  const hi = Int32Array.from(portHi);
  const portAny = new Uint8Array(n);
  enabled.forEach(({ rule }, i) => (portAny[i] = rule.ports === 'any' ? 1 : 0));
  return {
    enabledCount: n,
    /** The index of the first matching rule, or -1. */
    match(fam, w0, w1, w2, w3, protocolBit, listenerIndex, port) {
      for (let i = 0; i < n; i++) {
        if (family[i] !== fam || (protocol[i] & protocolBit) === 0) continue;
        const d = destination[i];
        if (d >= 0 && d !== listenerIndex) continue;
        const m = i * 4;
        if (((w0 & masks[m]) >>> 0) !== nets[m]) continue;
        if (fam === 6 && (((w1 & masks[m + 1]) >>> 0) !== nets[m + 1] || ((w2 & masks[m + 2]) >>> 0) !== nets[m + 2] || ((w3 & masks[m + 3]) >>> 0) !== nets[m + 3])) continue;
        if (portAny[i] === 0) {
          let inside = false;
          for (let k = portStart[i]; k < portStart[i + 1]; k++) {
            if (port >= lo[k] && port <= hi[k]) {
              inside = true;
              break;
            }
          }
          if (!inside) continue;
        }
        return i;
      }
      return -1;
    },
    ruleIndex: enabled.map((e) => e.seq),
    deny,
  };
}

/**
 * Times `run(from, to)` over batches of BATCH queries: a warm-up of
 * WARMUP_MS, then ROUNDS timed rounds, the median reported. `prepare(from, to)`
 * runs before each batch, untimed: it makes the batch's inputs the way a
 * socket would, fresh and in cache. A slow method's rounds cover a prefix of
 * the queries, sized to take about ROUND_TARGET_MS.
 */
function timeRounds(label, total, { prepare = () => {}, run }, log) {
  const pass = (count) => {
    let ms = 0;
    for (let from = 0; from < count; from += BATCH) {
      const to = Math.min(count, from + BATCH);
      prepare(from, to);
      const started = performance.now();
      run(from, to);
      ms += performance.now() - started;
    }
    return ms;
  };
  // Warm-up: cycle through the queries for WARMUP_MS of running time, long enough for every JIT tier.
  let warmed = 0;
  let warmMs = 0;
  while (warmMs < WARMUP_MS) {
    const from = warmed % total;
    const to = Math.min(total, from + BATCH);
    prepare(from, to);
    const started = performance.now();
    run(from, to);
    warmMs += performance.now() - started;
    warmed += to - from;
  }
  const perQueryMs = warmMs / warmed;
  const count = Math.min(total, Math.max(BATCH, Math.ceil(ROUND_TARGET_MS / perQueryMs / BATCH) * BATCH));
  const repeats = Math.max(1, Math.floor(ROUND_TARGET_MS / (perQueryMs * count)));
  const rates = [];
  for (let round = 0; round < ROUNDS; round++) {
    let ms = 0;
    for (let r = 0; r < repeats; r++) ms += pass(count);
    rates.push((count * repeats) / (ms / 1000));
  }
  const perSecond = median(rates);
  log(`   ${label}: ${Math.round(perSecond).toLocaleString('en-US')}/s (rounds of ${count * repeats})`);
  return { perSecond, queries: count * repeats, rounds: ROUNDS, roundsPerSecond: rates.map((r) => Math.round(r)) };
}

/** ns per dependent load over random cache lines of a buffer of each size: what a cache miss costs on this machine. */
function memoryLatency() {
  const out = {};
  for (const mb of [1, 4, 16, 64]) {
    const stride = 16;
    const lines = (mb * 2 ** 20) / 4 / stride;
    const order = new Int32Array(lines).map((_, i) => i);
    const random = mulberry32(mb);
    for (let i = lines - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const next = new Int32Array(lines * stride);
    for (let i = 0; i < lines; i++) next[order[i] * stride] = order[(i + 1) % lines] * stride;
    let at = 0;
    const steps = 2_000_000;
    const started = performance.now();
    for (let i = 0; i < steps; i++) at = next[at];
    out[`${mb}MB`] = round(((performance.now() - started) * 1e6) / steps, 1) + (at < 0 ? 1 : 0);
  }
  return out;
}

async function worker(bundlePath) {
  const { BlockList } = await import('node:net');
  const engine = await import(pathToFileURL(bundlePath).href);
  const { Firewall, CompiledRuleSet, newRuleRecord, PROTOCOL_TCP, PROTOCOL_UDP, newAddressWords } = engine;
  const log = (line) => process.stderr.write(`${line}\n`);
  const out = { queriesPerSet: QUERIES, rounds: ROUNDS, node: process.version, memoryLatencyNs: memoryLatency(), sizes: [] };
  log(`memory latency (ns per dependent load): ${JSON.stringify(out.memoryLatencyNs)}`);
  let sink = 0;
  for (const size of SIZES) {
    log(`rules: ${size.toLocaleString('en-US')}`);
    const random = mulberry32(SEED + size);
    const rules = generateRules(size, random);
    const queries = generateQueries(rules, random);
    const inputs = queries.map((q) => q.input);
    const ipv6Queries = round((100 * queries.filter((q) => q.family === 6).length) / queries.length, 1);
    const ipv6Rules = round((100 * rules.filter((r) => r.parsedSource.family === 6).length) / rules.length, 1);
    log(`   IPv6 sources: ${ipv6Queries}% of the queries, ${ipv6Rules}% of the rules`);
    const dataDir = mkdtempSync(join(tmpdir(), 'netops-bench-fw-'));
    const methods = {};
    try {
      // Compile alone, with memory: the structure decide() reads.
      const records = rules.map((rule, i) => {
        const { parsedSource: _ignored, ...input } = rule;
        return newRuleRecord(`r${i + 1}`, i + 1, { ...input });
      });
      globalThis.gc();
      const before = process.memoryUsage();
      const compileStart = performance.now();
      const compiled = CompiledRuleSet.compile(records, new Map());
      const compileMs = performance.now() - compileStart;
      globalThis.gc();
      const after = process.memoryUsage();

      // The product path: importConfig validates with the contract's schemas and compiles.
      const fw = await Firewall.open({ dataDir });
      const importStart = performance.now();
      fw.importConfig('json', JSON.stringify({ version: 1, defaultPolicy: 'allow', rules: records.map((r) => r.rule) }));
      const importMs = performance.now() - importStart;

      // Each batch's inputs are made just before it runs, with fresh source strings, as accept() makes them.
      const batch = new Array(BATCH);
      const prepareInputs = (from, to) => {
        for (let i = from; i < to; i++) {
          const q = inputs[i];
          batch[i - from] = { protocol: q.protocol, source: asSocketString(q.source), listener: q.listener, localAddress: q.localAddress, port: q.port };
        }
      };
      methods['decide()'] = timeRounds(
        'decide()',
        inputs.length,
        {
          prepare: prepareInputs,
          run: (from, to) => {
            for (let i = 0; i < to - from; i++) sink = (sink + (fw.decide(batch[i]).action === 'deny' ? 1 : 0)) | 0;
          },
        },
        log,
      );

      // Garbage per decision: the heap's growth over decisions of one prepared batch, in a stretch without a GC.
      const allocatedBytesPerDecision = (() => {
        for (let attempt = 0; attempt < 20; attempt++) {
          prepareInputs(attempt * BATCH, (attempt + 1) * BATCH);
          const before = process.memoryUsage().heapUsed;
          for (let r = 0; r < 16; r++) for (let i = 0; i < BATCH; i++) sink = (sink + (fw.decide(batch[i]).action === 'deny' ? 1 : 0)) | 0;
          const grown = process.memoryUsage().heapUsed - before;
          if (grown >= 0) return round(grown / (16 * BATCH), 2);
        }
        return null;
      })();
      log(`   heap bytes allocated per decide(): ${allocatedBytesPerDecision}`);

      // The same, with only 4,096 distinct queries: the firewall's working set fits in cache, which
      // separates the cost of the lookup itself from the cost of missing cache on a big rule set.
      methods['decide(), 4,096 distinct queries'] = timeRounds(
        'decide(), 4,096 distinct queries',
        HOT_QUERIES,
        {
          prepare: prepareInputs,
          run: (from, to) => {
            for (let i = 0; i < to - from; i++) sink = (sink + (fw.decide(batch[i]).action === 'deny' ? 1 : 0)) | 0;
          },
        },
        log,
      );

      // The compiled lookup alone: pre-parsed addresses, the winner table of each listener, no counting or recording.
      const tablesStart = performance.now();
      const tables = LISTENERS.map((l) =>
        compiled.winnerTable(compiled.admitted({ protocol: l.protocol === 'udp' ? PROTOCOL_UDP : PROTOCOL_TCP, listener: l.name, localAddress: null, port: l.port })),
      );
      const tablesMs = performance.now() - tablesStart;
      const families = new Uint8Array(queries.length);
      const words = new Uint32Array(queries.length * 4);
      const tableOf = new Uint8Array(queries.length);
      queries.forEach((q, i) => {
        families[i] = q.family;
        words.set(q.words, i * 4);
        tableOf[i] = LISTENERS.findIndex((l) => l.name === q.input.listener);
      });
      const scratch = newAddressWords();
      methods['compiled lookup'] = timeRounds(
        'compiled lookup',
        queries.length,
        {
          run: (from, to) => {
            for (let i = from; i < to; i++) {
              scratch[0] = words[i * 4];
              scratch[1] = words[i * 4 + 1];
              scratch[2] = words[i * 4 + 2];
              scratch[3] = words[i * 4 + 3];
              sink = (sink + (tables[tableOf[i]].winner(families[i], scratch) === null ? 0 : 1)) | 0;
            }
          },
        },
        log,
      );

      const linear = linearScanner(rules);
      const protocolBits = new Uint8Array(queries.length);
      queries.forEach((q, i) => (protocolBits[i] = q.input.protocol === 'udp' ? 2 : 1));
      methods['linear scan'] = timeRounds(
        'linear scan',
        queries.length,
        {
          run: (from, to) => {
            for (let i = from; i < to; i++) {
              const m = i * 4;
              sink = (sink + linear.match(families[i], words[m], words[m + 1], words[m + 2], words[m + 3], protocolBits[i], tableOf[i], queries[i].input.port)) | 0;
            }
          },
        },
        log,
      );

      // net.BlockList holds CIDRs only: the deny rules' sources, asked per query as Node would.
      const blockList = new BlockList();
      let denyCidrs = 0;
      for (const rule of rules) {
        if (!rule.enabled || rule.action !== 'deny') continue;
        const s = rule.parsedSource;
        blockList.addSubnet(s.family === 4 ? v4Text(s.network) : v6Text(s.words), s.prefix, s.family === 4 ? 'ipv4' : 'ipv6');
        denyCidrs++;
      }
      const plainSources = queries.map((q) => (q.family === 4 ? v4Text(q.words[0]) : v6Text(q.words)));
      const familyNames = queries.map((q) => (q.family === 4 ? 'ipv4' : 'ipv6'));
      const batchSources = new Array(BATCH);
      methods['net.BlockList'] = timeRounds(
        'net.BlockList',
        queries.length,
        {
          prepare: (from, to) => {
            for (let i = from; i < to; i++) batchSources[i - from] = asSocketString(plainSources[i]);
          },
          run: (from, to) => {
            for (let i = from; i < to; i++) sink = (sink + (blockList.check(batchSources[i - from], familyNames[i]) ? 1 : 0)) | 0;
          },
        },
        log,
      );

      // One rule added, then removed, through the Firewall as the UI does it: validation, a compile from the
      // previous generation, the swap, and the winner tries of the six contexts decide() has served.
      const changeMs = { add: [], remove: [] };
      for (let k = 0; k < 5; k++) {
        const addStart = performance.now();
        const added = fw.addRule({ name: `bench change ${k}`, action: 'deny', source: `198.18.${k}.0/24`, ports: '443', priority: 500 });
        changeMs.add.push(performance.now() - addStart);
        const removeStart = performance.now();
        fw.removeRule(added.id);
        changeMs.remove.push(performance.now() - removeStart);
      }
      log(`   change one rule: add ${round(median(changeMs.add), 1)} ms, remove ${round(median(changeMs.remove), 1)} ms`);

      // Correctness, untimed: the compiled winner equals the linear scan's on every query the scan ran.
      const checked = Math.min(queries.length, methods['linear scan'].queries);
      let disagreements = 0;
      for (let i = 0; i < checked; i++) {
        scratch.set(queries[i].words);
        const verdict = tables[tableOf[i]].winner(families[i], scratch);
        const compiledRule = verdict === null ? -1 : Number(verdict.ruleId.slice(1)) - 1;
        const m = i * 4;
        const index = linear.match(families[i], words[m], words[m + 1], words[m + 2], words[m + 3], protocolBits[i], tableOf[i], queries[i].input.port);
        const linearRule = index < 0 ? -1 : linear.ruleIndex[index];
        if (compiledRule !== linearRule) disagreements++;
      }
      fw.dispose();
      out.sizes.push({
        rules: size,
        ipv6QueryPercent: ipv6Queries,
        ipv6RulePercent: ipv6Rules,
        enabledRules: linear.enabledCount,
        denyCidrs,
        compileMs: round(compileMs, 1),
        importMs: round(importMs, 1),
        heapMb: round((after.heapUsed - before.heapUsed) / 2 ** 20, 1),
        compiledBytes: compiled.byteSize(),
        memoBytes: compiled.winnerBytes(),
        tablesMs: round(tablesMs, 1),
        addRuleMs: round(median(changeMs.add), 1),
        removeRuleMs: round(median(changeMs.remove), 1),
        allocatedBytesPerDecision,
        checked,
        disagreements,
        agree: disagreements === 0,
        methods,
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  out.sink = sink;
  process.stdout.write(JSON.stringify(out));
}

if (process.argv[2] === '--worker') {
  const bundlePath = process.argv[3];
  if (!bundlePath || !existsSync(bundlePath)) throw new Error(`--worker needs the bundled engine, not ${bundlePath}`);
  worker(bundlePath).catch((error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  });
}
