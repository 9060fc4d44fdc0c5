import { connectionsService } from './connections.ts';
import { defineContract } from './define.ts';
import { firewallService } from './firewall.ts';
import { systemService } from './system.ts';

/** The one declaration of the renderer-engine API. */
export const contract = defineContract({
  system: systemService,
  connections: connectionsService,
  firewall: firewallService,
});

export type Contract = typeof contract;
export type ServiceName = keyof Contract;

export * from './define.ts';
export * from './table.ts';
export * from './common.ts';
export * from './connections.ts';
export * from './system.ts';
export * from './firewall.ts';
