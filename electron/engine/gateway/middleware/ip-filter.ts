import type { MiddlewareConfig } from '../../../../shared/contract/gateway-config.ts';
import type { LocalResponse, RequestContext, RequestMiddleware } from '../types.ts';
import { AddressRanges } from './address-ranges.ts';
import { errorBody, jsonResponse } from './local-response.ts';

export type IpFilterConfig = Extract<MiddlewareConfig, { type: 'firewall' }>;

/**
 * Who may use a route. The deny list wins; then a non-empty allow list
 * admits only its members.
 *
 * The lists are fixed for the middleware's life, so the verdict for the last
 * client address is kept: requests on one kept-alive connection (and bursts
 * from one client) skip the parse and the search.
 */
export class IpFilterMiddleware implements RequestMiddleware {
  readonly type = 'firewall';
  readonly name: string;
  private readonly allow: AddressRanges;
  private readonly deny: AddressRanges;
  private readonly forbiddenBody = errorBody(403, 'forbidden');
  private lastIp = '';
  private lastDenied = false;

  private allowed = 0;
  private denied = 0;

  constructor(config: IpFilterConfig) {
    this.name = config.name;
    this.allow = new AddressRanges(config.allow);
    this.deny = new AddressRanges(config.deny);
    this.lastDenied = this.listsDeny('');
  }

  handle(context: RequestContext): LocalResponse | undefined {
    const ip = context.clientIp;
    if (ip !== this.lastIp) {
      this.lastDenied = this.listsDeny(ip);
      this.lastIp = ip;
    }
    if (this.lastDenied) {
      this.denied++;
      return jsonResponse(403, this.forbiddenBody);
    }
    this.allowed++;
    return undefined;
  }

  counters(): Record<string, number> {
    return { allowed: this.allowed, denied: this.denied };
  }

  /** A client without a parseable address matches no list: it passes only when there is no allow list. */
  private listsDeny(ip: string): boolean {
    if (this.deny.size > 0 && this.deny.contains(ip) === true) return true;
    return this.allow.size > 0 && this.allow.contains(ip) !== true;
  }
}
