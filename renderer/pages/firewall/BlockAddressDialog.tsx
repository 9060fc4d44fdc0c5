import { useId, useMemo, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { cidrContains, isLoopbackIp, parseIp } from '../../../shared/net/index.ts';
import { Dialog, formatEndpoint, FormField, useAction, useForm, useLiveStream } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { plural, useFirewallApi } from './common.tsx';
import { BLOCK_FIELDS, blockNetworkOf, fieldErrorsFromServer, validateBlockForm, type BlockField, type BlockFormValues } from './validation.ts';

/**
 * "Block this IP" from anywhere a peer shows up (a Connections row, its
 * detail panel or the b key; the Overview's top clients):
 * asks for a reason and an optional expiry, blocks, and reports how many of
 * the peer's connections the server closed. For an IPv6 peer it offers its
 * /64 too: one host can change address within it at will.
 */
export function BlockAddressDialog() {
  const request = useAppStore((state) => state.firewall.blockRequest);
  const close = useAppStore((state) => state.requestBlock);
  return request ? <BlockAddressForm key={`${request.address}\n${request.connectionId ?? ''}`} address={request.address} connectionId={request.connectionId} onClose={() => close(null)} /> : null;
}

function BlockAddressForm({ address, connectionId, onClose }: { address: string; connectionId: string | undefined; onClose(): void }) {
  const api = useFirewallApi();
  const { busy, run } = useAction();
  const formId = useId();
  const row = useAppStore((state) => (connectionId === undefined ? undefined : state.connections.rows.get(connectionId)));
  // Whether the console's anti-lockout rule spares this address: the server keeps its console connections open.
  useLiveStream('firewall');
  const antiLockoutListener = useAppStore((state) => state.firewall.state?.antiLockoutListener ?? null);
  const parsed = parseIp(address);
  const spared = antiLockoutListener !== null && parsed !== undefined && isLoopbackIp(parsed) ? antiLockoutListener : null;
  const network = useMemo(() => blockNetworkOf(address), [address]);
  const [scope, setScope] = useState<'address' | 'network'>('address');
  const target = scope === 'network' && network ? network.text : address;
  const [others, kept] = useAppStore(
    useShallow((state) => {
      let closing = 0;
      let keeping = 0;
      for (const r of state.connections.rows.values()) {
        if (r.state === 'closed') continue;
        if (r.remoteAddress !== address) {
          // In the /64: an IPv6 peer's other addresses (only those parse here, and only when the network is chosen).
          if (scope !== 'network' || !network || !r.remoteAddress.includes(':')) continue;
          const ip = parseIp(r.remoteAddress);
          if (!ip || !cidrContains(network, ip)) continue;
        }
        if (r.direction === 'in' && r.owner === spared) keeping++;
        else closing++;
      }
      return [closing, keeping];
    }),
  );
  const form = useForm<BlockField, BlockFormValues, ReturnType<typeof validateBlockForm>['value']>({ address, ttl: '', reason: '' }, validateBlockForm);
  const { values, errors, set } = form;
  const choose = (next: 'address' | 'network') => {
    setScope(next);
    set('address', next === 'network' && network ? network.text : address);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = form.validation.value;
    if (!value) return form.touchAll();
    const result = await run(`Could not block ${target}`, () => api().block(value), (error) => form.setServerErrors(fieldErrorsFromServer(error, BLOCK_FIELDS)));
    if (!result) return;
    useAppStore.getState().pushToast({
      tone: 'success',
      title: `Blocked ${result.entry.address}`,
      message: `${plural(result.closedConnections, 'connection')} from it closed. ${result.entry.expiresAt === null ? 'Blocked until unblocked on the Firewall screen.' : `The block expires in ${values.ttl.trim()}.`}`,
    });
    onClose();
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title={scope === 'network' ? 'Block this network?' : 'Block this IP?'}
      testId="block-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-danger" disabled={!form.validation.value || busy} data-testid="confirm-block">
            {busy ? 'Blocking…' : `Block ${target}`}
          </button>
        </>
      }
    >
      <form id={formId} className="form-stack" onSubmit={(event) => void submit(event)} noValidate>
        {network ? (
          <div className="segmented block-scope" role="radiogroup" aria-label="What to block" data-testid="block-dialog-scope">
            {(['address', 'network'] as const).map((kind) => (
              <button
                key={kind}
                type="button"
                role="radio"
                aria-checked={scope === kind}
                className={`segment segment-accent${scope === kind ? ' is-active' : ''}`}
                onClick={() => choose(kind)}
                title={kind === 'network' ? `Every address of ${network.text}: a host is usually handed a whole /64 and can change address within it` : undefined}
                data-testid={`block-scope-${kind}`}
              >
                {kind === 'address' ? 'This address' : `Its /64, ${network.text}`}
              </button>
            ))}
          </div>
        ) : null}
        <p>
          <code>{target}</code> goes on the blocklist: new connections from it are refused{spared !== null ? ' everywhere but this console' : ''}, and the server closes{' '}
          {others > 0 ? `the ${plural(others, 'connection')} it has open${spared !== null ? ' elsewhere' : ''} now` : `any it has open${spared !== null ? ' elsewhere' : ''}`}.
          {spared !== null ? (
            <span data-testid="block-dialog-anti-lockout">
              {' '}
              It is loopback, which always reaches this console (anti-lockout), so the block leaves the console{kept > 0 ? ` and the ${plural(kept, 'connection')} it has open to it` : ''} alone.
            </span>
          ) : null}
          {row && row.direction === 'out' ? ' This is an outbound connection: the block stops that host from connecting in, not this host from connecting out.' : null}
          {row ? (
            <span className="muted">
              {' '}
              From {row.id}: {row.kind} {formatEndpoint(row.remoteAddress, row.remotePort)} → {formatEndpoint(row.localAddress, row.localPort)}
              {row.owner ? `, ${row.owner}` : ''}.
            </span>
          ) : null}
        </p>
        <FormField label="Reason" field="reason" error={errors.reason}>
          <input type="text" value={values.reason} onChange={(event) => set('reason', event.target.value)} placeholder="optional, e.g. port scan" autoFocus autoComplete="off" data-testid="block-dialog-reason" />
        </FormField>
        <FormField label="Expires after" field="ttl" error={errors.ttl} help="Empty blocks until unblocked; or 10m, 2h, 7d">
          <input type="text" value={values.ttl} onChange={(event) => set('ttl', event.target.value)} onBlur={() => form.touch('ttl')} placeholder="never" autoComplete="off" data-testid="block-dialog-ttl" />
        </FormField>
        {errors.address ? (
          <div className="field-error" data-testid="field-error" data-field="address">
            {errors.address}
          </div>
        ) : null}
      </form>
    </Dialog>
  );
}
