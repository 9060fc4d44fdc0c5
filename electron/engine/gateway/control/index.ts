export { GatewayController, type GatewayControllerOptions } from './gateway-controller.ts';
