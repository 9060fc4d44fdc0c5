import { readFile } from 'node:fs/promises';
import { WebSocket } from 'ws';
import { contract, type Contract } from '../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../shared/errors.ts';
import { RpcClient } from '../../shared/rpc/index.ts';
import { dataDirPaths } from '../engine/store/index.ts';
import { MAX_FRAME_BYTES } from './console-server.ts';
import { readInstanceRecord } from './instance-file.ts';
import { WebSocketPipe } from './ws-pipe.ts';

export interface RemoteOptions {
  dataDir: string;
  url?: string;
  token?: string;
}

/** Connects the CLI to a running instance over the same contract the UI uses. */
export async function connectToInstance(options: RemoteOptions): Promise<RpcClient<Contract>> {
  const base = options.url ?? (await readInstanceRecord(options.dataDir)).url;
  const token = options.token ?? process.env.NETOPS_TOKEN ?? (await readToken(options.dataDir));
  let rpcUrl: URL;
  try {
    rpcUrl = new URL('/rpc', base);
  } catch {
    throw new NetopsError(ErrorCodes.invalidArgument, `--url must be the console URL, e.g. http://127.0.0.1:7070, not "${base}"`);
  }
  rpcUrl.protocol = rpcUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(rpcUrl, { headers: { Authorization: `Bearer ${token}` }, maxPayload: 64 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) => {
      reject(
        new NetopsError(
          response.statusCode === 401 ? ErrorCodes.unauthorized : ErrorCodes.unavailable,
          `${rpcUrl.origin} refused the connection: HTTP ${response.statusCode}${response.statusCode === 401 ? ' (wrong token?)' : ''}`,
        ),
      );
    });
    socket.once('error', (error) => reject(new NetopsError(ErrorCodes.unavailable, `cannot reach ${rpcUrl.origin}: ${error.message}`)));
  });
  return RpcClient.connect(new WebSocketPipe(socket, MAX_FRAME_BYTES), contract, { clientName: 'cli' });
}

async function readToken(dataDir: string): Promise<string> {
  try {
    return (await readFile(dataDirPaths(dataDir).token, 'utf8')).trim();
  } catch {
    throw new NetopsError(ErrorCodes.unauthorized, `cannot read the console token in ${dataDir}; pass --token or set NETOPS_TOKEN`);
  }
}
