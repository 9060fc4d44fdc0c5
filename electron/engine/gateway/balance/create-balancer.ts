import type { ServiceConfig } from '../../../../shared/contract/gateway-config.ts';
import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import type { Balancer, UpstreamInstance } from '../types.ts';
import { parseBalanceKey } from './balance-key.ts';
import { HashRingBalancer } from './hash-ring.ts';
import { LeastConnectionsBalancer } from './least-connections.ts';
import { PowerOfTwoBalancer } from './power-of-two.ts';
import { RandomBalancer } from './random.ts';
import { RoundRobinBalancer } from './round-robin.ts';

/**
 * The balancer a service's config asks for, over its instances (kept by
 * reference: the proxy and health checks update their fields in place).
 * `random` is there for tests to seed; it defaults to Math.random.
 */
export function createBalancer(
  kind: ServiceConfig['balancer'],
  instances: UpstreamInstance[],
  hashOn: ServiceConfig['hashOn'],
  random: () => number = Math.random,
): Balancer {
  switch (kind) {
    case 'roundRobin':
      return new RoundRobinBalancer(instances);
    case 'random':
      return new RandomBalancer(instances, random);
    case 'leastConnections':
      return new LeastConnectionsBalancer(instances);
    case 'powerOfTwo':
      return new PowerOfTwoBalancer(instances, random);
    case 'hash':
      return new HashRingBalancer(instances, parseBalanceKey(hashOn));
    default:
      throw new NetopsError(ErrorCodes.invalidArgument, `unknown balancer ${JSON.stringify(kind satisfies never)}`);
  }
}
