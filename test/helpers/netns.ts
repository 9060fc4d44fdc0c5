import { spawn, spawnSync } from 'node:child_process';

/**
 * A private network for a test: a command run in a network namespace of its
 * own (`unshare -rn`: a user namespace maps the caller to root in it, so no
 * root is needed where unprivileged user namespaces are allowed, as on
 * Debian), with only a loopback interface, up, carrying `addresses` besides
 * 127.0.0.1 and ::1. Whatever the command sends stays in it: this is how a
 * test gets many IPv6 sources (loopback has only ::1) without touching the
 * machine's interfaces.
 */
export interface NetnsRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Why the namespace cannot be made here, with what to run about it; null when it can. */
export function netnsProblem(): string | null {
  for (const [binary, fix] of [
    ['unshare', 'apt-get install -y util-linux'],
    ['ip', 'apt-get install -y iproute2'],
  ] as const) {
    if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0) return `${binary} is missing: ${fix}`;
  }
  const probe = spawnSync('unshare', ['-rn', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return (
      `cannot make a network namespace (unshare -rn: ${probe.stderr.trim() || `exit ${probe.status}`}): ` +
      'run the tests as root, or allow unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 (Debian) or kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu)'
    );
  }
  return null;
}

/** Runs `command` in a fresh network namespace with `addresses` (IPv6, each a /128) on its loopback. */
export async function runInNetns(addresses: readonly string[], command: readonly string[], timeoutMs: number): Promise<NetnsRun> {
  for (const address of addresses) if (!/^[0-9a-f:]+$/i.test(address)) throw new Error(`not an IPv6 address: ${address}`);
  // nodad: usable at once, not "tentative" for a second of duplicate address detection.
  const setup = ['ip link set lo up', ...addresses.map((address) => `ip -6 addr add ${address}/128 dev lo nodad`), 'exec "$@"'].join(' && ');
  const child = spawn('unshare', ['-rn', 'sh', '-c', setup, 'netns', ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<NetnsRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command.join(' ')} in a network namespace did not finish in ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
