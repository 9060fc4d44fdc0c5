import type { ConnectionRow, Contract } from '../../shared/contract/index.ts';
import { isNetopsError } from '../../shared/errors.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { ConfigError, formatProblem } from '../engine/config/index.ts';
import { defaultDataDir, PRODUCT_VERSION } from '../host/index.ts';
import { parseFlags, parseHost, parsePort, UsageError } from './args.ts';
import { firewallUsage, parseFirewallArgs, planFirewallCommand } from './firewall-commands.ts';
import { gatewayUsage, parseGatewayArgs, planGatewayCommand } from './gateway-commands.ts';
import { connectToInstance } from './remote.ts';
import { startConsole } from './serve.ts';

const usage = `netops ${PRODUCT_VERSION}: network operations console

Usage:
  netops serve [--config FILE] [--data-dir DIR] [--host 127.0.0.1] [--ui-port N]
  netops connections list [--json]
  netops connections close ID [--json]
${firewallUsage}
${gatewayUsage}

Options for commands against a running instance:
  --data-dir DIR   where to find it (default ${defaultDataDir()})
  --url URL        its console URL instead, e.g. http://127.0.0.1:7070
  --token TOKEN    its token (default: read from the data dir, or $NETOPS_TOKEN)
  --json           machine-readable output
`;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

const remoteFlags = {
  'data-dir': { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Runs one CLI command; returns the exit code (0 ok, 1 failed, 2 usage). `serve` resolves only when stopped. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(rest, io);
      case 'connections':
        return await connectionsCommand(rest, io);
      case 'firewall':
        return await firewallCommand(rest, io);
      case 'gateway':
        return await gatewayCommand(rest, io);
      case '--version':
      case 'version':
        io.out(`${PRODUCT_VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof ConfigError) {
    io.err(`error: the configuration is invalid:\n${error.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`);
    return 2;
  }
  if (error instanceof UsageError) {
    io.err(`error: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (isNetopsError(error)) {
    io.err(`error: ${error.code}: ${error.message}\n`);
    return 1;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    io.err(`error: the console port is in use: ${(error as Error).message} (pick another with --ui-port, or --ui-port 0 for any free port)\n`);
    return 1;
  }
  io.err(`error: ${(error as Error)?.message ?? String(error)}\n`);
  return 1;
}

async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    config: { type: 'string' },
    'data-dir': { type: 'string' },
    host: { type: 'string' },
    'ui-port': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments, got "${positionals.join(' ')}"`);
  const running = await startConsole({
    dataDir: values['data-dir'] ?? defaultDataDir(),
    ...(values.config ? { configFile: values.config } : {}),
    ...(values.host !== undefined ? { host: parseHost(values.host, '--host') } : {}),
    ...(values['ui-port'] !== undefined ? { uiPort: parsePort(values['ui-port'], '--ui-port') } : {}),
    log: (line) => io.err(`${line}\n`),
  });
  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        io.err(`${signal} again: exiting without draining\n`);
        process.exit(1);
      }
      signalled = true;
      io.err(`${signal}: stopping (draining connections)\n`);
      running.stop().then(
        () => resolve(0),
        (error: unknown) => {
          io.err(`error while stopping: ${(error as Error).message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Printed only once signals stop it gracefully: supervisors take this line as "ready".
    io.out(`console: ${running.url}\n`);
  });
}

async function connectionsCommand(args: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = args;
  const { values, positionals } = parseFlags(rest, remoteFlags);
  if (verb !== 'list' && verb !== 'close') throw new UsageError(`connections takes "list" or "close ID", not "${verb ?? ''}"`);
  if (verb === 'list' && positionals.length > 0) throw new UsageError('connections list takes no arguments');
  if (verb === 'close' && positionals.length !== 1) throw new UsageError('connections close takes one connection id');
  const client = await connectToInstance({
    dataDir: values['data-dir'] ?? defaultDataDir(),
    ...(values.url ? { url: values.url } : {}),
    ...(values.token ? { token: values.token } : {}),
  });
  try {
    if (verb === 'list') {
      const { rows } = await client.api.connections.list({}, { timeoutMs: 10_000 });
      io.out(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatConnectionTable(rows));
    } else {
      const result = await client.api.connections.close({ id: positionals[0]! }, { timeoutMs: 10_000 });
      io.out(values.json ? `${JSON.stringify(result)}\n` : `closed ${result.id}\n`);
    }
    return 0;
  } finally {
    client.dispose();
  }
}

async function firewallCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFirewallArgs(args, remoteFlags);
  return runPlanned(parsed.values, await planFirewallCommand(parsed), io);
}

async function gatewayCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseGatewayArgs(args, remoteFlags);
  return runPlanned(parsed.values, await planGatewayCommand(parsed), io);
}

/** Connects only once the command is planned, so bad input never reaches the instance. */
async function runPlanned(
  values: Record<string, string | boolean | undefined>,
  run: (client: RpcClient<Contract>, out: (text: string) => void) => Promise<void>,
  io: CliIo,
): Promise<number> {
  const client = await connectToInstance({
    dataDir: (values['data-dir'] as string | undefined) ?? defaultDataDir(),
    ...(values.url ? { url: String(values.url) } : {}),
    ...(values.token ? { token: String(values.token) } : {}),
  });
  try {
    await run(client, io.out);
    return 0;
  } finally {
    client.dispose();
  }
}

export function formatConnectionTable(rows: ConnectionRow[], now = Date.now()): string {
  const header = ['ID', 'KIND', 'DIR', 'STATE', 'LOCAL', 'REMOTE', 'OWNER', 'IN', 'OUT', 'AGE'];
  const lines = rows.map((row) => [
    row.id,
    row.kind,
    row.direction,
    row.state,
    `${row.localAddress}:${row.localPort}`,
    `${row.remoteAddress}:${row.remotePort}`,
    row.owner,
    String(row.bytesIn),
    String(row.bytesOut),
    `${Math.max(0, Math.round((now - row.createdAt) / 1000))}s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[format(header), ...lines.map(format)].join('\n')}\n${rows.length} connection${rows.length === 1 ? '' : 's'}\n`;
}

