import { homedir, platform } from 'node:os';
import { join } from 'node:path';

/** Where a user's config, state and keys live unless --data-dir says otherwise. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, os: NodeJS.Platform = platform()): string {
  if (env.NETOPS_DATA_DIR) return env.NETOPS_DATA_DIR;
  if (os === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'NetOps Console');
  if (os === 'darwin') return join(homedir(), 'Library', 'Application Support', 'NetOps Console');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'netops-console');
}
