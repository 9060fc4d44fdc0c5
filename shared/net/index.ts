export * from './ip.ts';
export * from './ports.ts';
