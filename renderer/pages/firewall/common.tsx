import { useCallback } from 'react';
import type { FirewallAction } from '../../../shared/contract/index.ts';
import { useSession } from '../../components/index.ts';

export function ActionBadge({ action }: { action: FirewallAction }) {
  return (
    <span className={`badge badge-${action}`} data-action={action}>
      {action}
    </span>
  );
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}

/** The firewall proxy of the current connection; throws NETOPS_DISCONNECTED while there is none. */
export function useFirewallApi() {
  const session = useSession();
  return useCallback(() => session.api.firewall, [session]);
}
