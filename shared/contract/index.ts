import { connectionsService } from './connections.ts';
import { defineContract } from './define.ts';
import { firewallService } from './firewall.ts';
import { gatewayServiceDef } from './gateway.ts';
import { systemService } from './system.ts';
import { uploadsService } from './uploads.ts';

/** The one declaration of the renderer-engine API. */
export const contract = defineContract({
  system: systemService,
  connections: connectionsService,
  firewall: firewallService,
  gateway: gatewayServiceDef,
  uploads: uploadsService,
});

export type Contract = typeof contract;
export type ServiceName = keyof Contract;

export * from './define.ts';
export * from './table.ts';
export * from './common.ts';
export * from './connections.ts';
export * from './system.ts';
export * from './firewall.ts';
export * from './gateway.ts';
export * from './gateway-config.ts';
export * from './blocklist-import.ts';
export * from './uploads.ts';
