export { runCli, formatConnectionTable, type CliIo } from './cli.ts';
export { startConsole, type RunningConsole, type ServeOptions } from './serve.ts';
export { ConsoleServer, MAX_FRAME_BYTES } from './console-server.ts';
export { connectToInstance } from './remote.ts';
export { WebSocketPipe } from './ws-pipe.ts';
