import { routerConfig, type RouterConfig, type RouterInput } from '../../../../shared/contract/gateway-config.ts';

/** Routers as the config check hands them over: parsed, defaults filled; a service unless told otherwise. */
export function routers(...inputs: Array<Partial<RouterInput> & { name: string }>): RouterConfig[] {
  return inputs.map((input) => routerConfig.parse(input.redirect ? input : { service: 'svc', ...input }));
}
