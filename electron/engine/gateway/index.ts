/**
 * The API gateway: entry point -> router -> middleware chain -> service ->
 * instance. The control plane (control/) runs on the host's thread; the data
 * plane (worker/, proxy/) runs in worker threads, one per core.
 */
export { GatewayController, type GatewayControllerOptions } from './control/index.ts';
export { inThreadRunner, runDataPlane, spawnThreadRunner, type DataPlaneRunner } from './worker/index.ts';
export { gatewayJsonSchemaText } from './config/index.ts';
