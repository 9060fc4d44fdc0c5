// `npm start` (after the build): runs the desktop app with the Electron binary
// from node_modules. The electron package's postinstall download is not
// allowed at install time (package.json allowScripts), so the binary is
// fetched here, on the first start, and only then.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

export const MAIN_BUNDLE = fileURLToPath(new URL('../dist/electron/main.cjs', import.meta.url));

export const DOWNLOAD_FAILED_MESSAGE =
  'The Electron binary could not be downloaded, so the desktop app cannot start.\n' +
  '`npm run serve` runs the same console headless, in your browser.';

const FORWARDED_SIGNALS = process.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Whether the binary is in place, judged the way the electron package's own
 * index.js judges it (path.txt names the executable under dist/), so that
 * requiring the package afterwards returns the path instead of downloading.
 */
export function electronBinaryState({ packageDir, env, exists = existsSync, readText = (file) => readFileSync(file, 'utf8') }) {
  if (env.ELECTRON_OVERRIDE_DIST_PATH) return 'installed';
  const pathFile = join(packageDir, 'path.txt');
  if (!exists(pathFile)) return 'missing';
  return exists(join(packageDir, 'dist', readText(pathFile).trim())) ? 'installed' : 'missing';
}

/** The exit code to hand on: the child's own, or the shell's 128 + n when a signal ended it. */
export function exitCodeFor(code, signal, signalNumbers = constants.signals) {
  if (code !== null) return code;
  const number = signal ? signalNumbers[signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}

/**
 * Starts Electron on the main bundle, passing `args` through, and resolves
 * with the exit code to leave with. Signals sent to this process go to Electron.
 */
export async function startElectron({
  mainBundle = MAIN_BUNDLE,
  args = process.argv.slice(2),
  packageDir = dirname(require.resolve('electron/package.json')),
  log = console,
} = {}) {
  if (!existsSync(mainBundle)) {
    log.error(`${mainBundle} is missing: run \`npm run build\` first (\`npm start\` does both).`);
    return 1;
  }
  if (electronBinaryState({ packageDir, env: process.env }) === 'missing') {
    log.info('Fetching the Electron binary (first start only)...');
    const install = spawnSync(process.execPath, [join(packageDir, 'install.js')], { stdio: 'inherit' });
    if (install.status !== 0) {
      log.error(`\n${DOWNLOAD_FAILED_MESSAGE}`);
      return 1;
    }
  }
  let electronPath;
  try {
    // The package's main export is the binary's path (it would try a download itself if the binary were missing).
    electronPath = require(packageDir);
  } catch {
    log.error(`\n${DOWNLOAD_FAILED_MESSAGE}`);
    return 1;
  }

  return new Promise((resolve) => {
    const child = spawn(electronPath, [mainBundle, ...args], { stdio: 'inherit', windowsHide: false });
    const forward = (signal) => child.kill(signal);
    const settle = (exitCode) => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
      resolve(exitCode);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    child.on('error', (error) => {
      log.error(`Could not run ${electronPath}: ${error.message}`);
      settle(1);
    });
    child.on('exit', (code, signal) => settle(exitCodeFor(code, signal)));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await startElectron();
}
