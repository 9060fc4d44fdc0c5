export * from './protocol.ts';
export * from './pipe.ts';
export * from './coalesce.ts';
export * from './server.ts';
export * from './client.ts';
