import type { MiddlewareConfig } from '../../../../shared/contract/gateway-config.ts';
import type { LocalResponse, RequestContext, RequestMiddleware } from '../types.ts';

export type HeadersConfig = Extract<MiddlewareConfig, { type: 'headers' }>;

/**
 * Request edits go straight to context.headers (removals first, so a header
 * both removed and set ends up set); response edits are queued on the
 * context for the proxy to apply to the upstream's answer. Everything is
 * lower-cased and paired up once, here.
 */
export class HeadersMiddleware implements RequestMiddleware {
  readonly type = 'headers';
  readonly name: string;
  private readonly requestRemove: string[];
  private readonly requestSetNames: string[];
  private readonly requestSetValues: string[];
  private readonly responseSet: Array<[string, string]>;
  private readonly responseRemove: string[];
  private handled = 0;

  constructor(config: HeadersConfig) {
    this.name = config.name;
    this.requestRemove = config.request.remove.map((name) => name.toLowerCase());
    this.requestSetNames = Object.keys(config.request.set).map((name) => name.toLowerCase());
    this.requestSetValues = Object.values(config.request.set);
    this.responseSet = Object.entries(config.response.set).map(([name, value]) => [name.toLowerCase(), value]);
    this.responseRemove = config.response.remove.map((name) => name.toLowerCase());
  }

  handle(context: RequestContext): LocalResponse | undefined {
    const headers = context.headers;
    const remove = this.requestRemove;
    for (let i = 0; i < remove.length; i++) headers.remove(remove[i]!);
    const names = this.requestSetNames;
    const values = this.requestSetValues;
    for (let i = 0; i < names.length; i++) headers.set(names[i]!, values[i]!);
    const responseSet = this.responseSet;
    for (let i = 0; i < responseSet.length; i++) context.responseHeaders.push(responseSet[i]!);
    const responseRemove = this.responseRemove;
    for (let i = 0; i < responseRemove.length; i++) context.responseHeadersRemove.push(responseRemove[i]!);
    this.handled++;
    return undefined;
  }

  counters(): Record<string, number> {
    return { handled: this.handled };
  }
}
