// `npm test`: everything, in order: prerequisites, typecheck, lint, build,
// unit and integration tests, browser end-to-end tests. It never skips a
// step silently: a missing prerequisite is installed or named with the
// exact command that installs it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
export const CHROMIUM = process.env.NETOPS_CHROMIUM ?? '/usr/bin/chromium';

const results = [];

/** Runs one step; returns whether it passed. */
function step(title, command, args) {
  const started = Date.now();
  process.stdout.write(`\n== ${title}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push({ title, ok: result.status === 0, seconds });
  if (result.status !== 0) process.stdout.write(`\n== ${title} FAILED after ${seconds}s\n`);
  return result.status === 0;
}

function stopOnFailure(ok) {
  if (ok) return;
  summarize();
  process.exit(1);
}

function run(title, command, args) {
  stopOnFailure(step(title, command, args));
}

function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const install = 'apt-get update && apt-get install -y chromium';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    process.stdout.write(`== Chromium is missing: installing it (${install})\n`);
    const result = spawnSync('sh', ['-c', install], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status === 0 && existsSync(CHROMIUM)) return;
  }
  process.stderr.write(
    `\nThe browser end-to-end tests need Chromium at ${CHROMIUM}, and it is not there.\n` +
      `Install it with:\n\n  sudo ${install}\n\n(or point NETOPS_CHROMIUM at a Chromium binary) and run npm test again.\n`,
  );
  process.exit(1);
}

/** The first line of a failure message, short enough for a summary line, and a property test's seed to replay it. */
function firstLine(message) {
  const text = stripVTControlCharacters(String(message ?? ''));
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const seed = /\{ seed: -?\d+, path: "[^"]*"/.exec(text)?.[0];
  return `${line.length > 200 ? `${line.slice(0, 200)}...` : line}${seed && !line.includes(seed) ? ` ${seed}, ... }` : ''}`;
}

function countVitest(file) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  // Named in the summary, so a log cut to its last lines still says which test failed and why.
  for (const suite of report.testResults ?? []) {
    const path = String(suite.name ?? '').replace(`${root}`, '');
    for (const test of suite.assertionResults ?? []) {
      if (test.status === 'failed') failures.push(`${path} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    }
    if (suite.status === 'failed' && (suite.assertionResults ?? []).every((t) => t.status !== 'failed')) {
      failures.push(`${path}: ${firstLine(suite.message)}`);
    }
  }
  return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
function vitest(title, project) {
  mkdirSync('test-artifacts', { recursive: true });
  const out = `test-artifacts/vitest-${project}.json`;
  rmSync(out, { force: true });
  // --no-cache: vitest would otherwise order the files by the durations and
  // failures of earlier runs, which a clean clone (CI) does not have; without
  // it, npm test here runs them in CI's order, and a test that depends on what
  // ran before it in the same worker fails here as it would there.
  const ok = step(title, 'npx', ['vitest', 'run', '--no-cache', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  // Counted before stopping, so the closing line says how many failed.
  if (existsSync(out)) {
    const counts = countVitest(out);
    totals.passed += counts.passed;
    totals.failed += counts.failed;
    totals.skipped += counts.skipped;
  }
  stopOnFailure(ok);
}

function summarize() {
  process.stdout.write('\n== summary\n');
  for (const r of results) process.stdout.write(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.title} (${r.seconds}s)\n`);
  if (totals.skipped > 0) process.stdout.write(`  ${totals.skipped} tests were skipped: that is a failure here\n`);
  for (const failure of failures) process.stdout.write(`  failed: ${failure}\n`);
  process.stdout.write(`${totals.passed} passed, ${totals.failed} failed\n`);
}

ensureChromium();
run('typecheck (node side)', 'npx', ['tsc', '-p', 'tsconfig.json']);
run('typecheck (shared: no DOM, no node)', 'npx', ['tsc', '-p', 'shared/tsconfig.json']);
run('typecheck (renderer)', 'npx', ['tsc', '-p', 'renderer/tsconfig.json']);
run('typecheck (browser end-to-end tests)', 'npx', ['tsc', '-p', 'test/e2e/tsconfig.json']);
run('lint (with the folder import rules)', 'npx', ['eslint', '.', '--max-warnings=0']);
run('build', 'node', ['scripts/build.mjs']);
vitest('unit and integration tests', 'unit');
vitest('browser end-to-end tests', 'e2e');
summarize();
if (totals.skipped > 0 || totals.failed > 0) process.exit(1);
