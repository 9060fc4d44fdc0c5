import { resolve } from 'node:path';

export interface ShellOptions {
  dataDir: string | undefined;
  configFile: string | null;
}

/**
 * Reads `--data-dir` and `--config` (as `--flag value` or `--flag=value`) and
 * ignores everything else, since Electron and Chromium put their own switches
 * on the same command line.
 */
export function parseShellArgs(argv: readonly string[], cwd: string = process.cwd()): ShellOptions {
  const valueOf = (flag: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      if (arg === flag) return argv[i + 1];
      if (arg?.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
    }
    return undefined;
  };
  const dataDir = valueOf('--data-dir');
  const configFile = valueOf('--config');
  return {
    dataDir: dataDir ? resolve(cwd, dataDir) : undefined,
    configFile: configFile ? resolve(cwd, configFile) : null,
  };
}
