import { useEffect, useMemo, useState } from 'react';
import type { ConfigVersion } from '../../../shared/contract/index.ts';
import { ActionsHeader, ConfirmDialog, formatClock, formatTimestamp, useAction } from '../../components/index.ts';
import { errorToast, useAppStore } from '../../store/index.ts';
import { useGatewayApi } from './common.tsx';
import { classifyDiff, diffRange, diffStats, toggleVersionPick } from './history.ts';

/** The time alone for today's versions, which are most of them; the date too for older ones. */
function formatWhen(at: number): string {
  return new Date(at).toDateString() === new Date().toDateString() ? formatClock(at) : formatTimestamp(at);
}

const SOURCE_LABELS: Record<ConfigVersion['source'], string> = { file: 'config file', ui: 'console', cli: 'CLI', rollback: 'rollback' };

/** Every applied config, newest first; two of them compared as a diff; any of them brought back. */
export function HistoryPanel() {
  const api = useGatewayApi();
  const current = useAppStore((state) => state.gateway.status?.version);
  const [versions, setVersions] = useState<readonly ConfigVersion[] | null>(null);
  const [picked, setPicked] = useState<readonly number[]>([]);
  const [rollbackTo, setRollbackTo] = useState<ConfigVersion | null>(null);

  // Reloaded whenever a new version applies, whoever applied it.
  useEffect(() => {
    let live = true;
    api()
      .versions({})
      .then(
        (list) => {
          if (!live) return;
          const newestFirst = [...list].sort((a, b) => b.id - a.id);
          setVersions(newestFirst);
          setPicked((previous) => (previous.length > 0 ? previous : newestFirst.slice(0, 2).map((version) => version.id)));
        },
        (error: unknown) => live && useAppStore.getState().pushToast(errorToast('Could not load the config history', error)),
      );
    return () => {
      live = false;
    };
  }, [api, current]);

  const range = diffRange(picked);
  return (
    <div className="gw-history">
      <section className="panel" aria-labelledby="gw-versions-title">
        <header className="panel-header">
          <h2 id="gw-versions-title">Versions</h2>
          <span className="panel-meta">Tick two to compare</span>
        </header>
        {versions === null ? (
          <p className="panel-empty">Loading…</p>
        ) : versions.length === 0 ? (
          <p className="panel-empty">No versions yet.</p>
        ) : (
          <div className="table-wrap gw-versions-scroll">
            <table className="data-table compact-table" data-testid="versions-table">
              <thead>
                <tr>
                  <th scope="col">
                    <span className="visually-hidden">Compare</span>
                  </th>
                  <th scope="col">Version</th>
                  <th scope="col">Applied</th>
                  <th scope="col">Source</th>
                  <th scope="col">Summary</th>
                  <ActionsHeader />
                </tr>
              </thead>
              <tbody>
                {versions.map((version) => (
                  <tr key={version.id} data-testid="version-row" data-id={version.id} className={picked.includes(version.id) ? 'is-picked' : undefined}>
                    <td>
                      <input
                        type="checkbox"
                        checked={picked.includes(version.id)}
                        onChange={() => setPicked((previous) => toggleVersionPick(previous, version.id))}
                        aria-label={`Compare version ${version.id}`}
                        data-testid="version-pick"
                      />
                    </td>
                    <td className="numeric strong">
                      {version.id}
                      {version.id === current ? <span className="pill pill-ok gw-current">applied</span> : null}
                    </td>
                    <td className="numeric" title={formatTimestamp(version.at)}>
                      {formatWhen(version.at)}
                    </td>
                    <td>
                      <span className="tag">{SOURCE_LABELS[version.source]}</span>
                    </td>
                    <td className="gw-summary-cell" title={`sha256 ${version.sha256}`}>
                      {version.summary}
                    </td>
                    <td className="align-end">
                      {version.id !== current ? (
                        <button type="button" className="button button-small" onClick={() => setRollbackTo(version)} data-testid="version-rollback">
                          Roll back
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <DiffView range={range} />
      {rollbackTo ? <RollbackDialog version={rollbackTo} onClose={() => setRollbackTo(null)} /> : null}
    </div>
  );
}

function DiffView({ range }: { range: { from: number; to: number } | null }) {
  const api = useGatewayApi();
  const [diff, setDiff] = useState<{ key: string; text: string } | null>(null);
  const key = range ? `${range.from}-${range.to}` : null;
  const from = range?.from;
  const to = range?.to;
  useEffect(() => {
    if (from === undefined || to === undefined) return;
    let live = true;
    api()
      .diff({ from, to })
      .then(
        (answer) => live && setDiff({ key: `${from}-${to}`, text: answer.diff }),
        (error: unknown) => live && useAppStore.getState().pushToast(errorToast(`Could not compare versions ${from} and ${to}`, error)),
      );
    return () => {
      live = false;
    };
  }, [api, from, to]);
  const lines = useMemo(() => (diff && diff.key === key ? classifyDiff(diff.text) : null), [diff, key]);
  const stats = lines ? diffStats(lines) : null;
  return (
    <section className="panel gw-diff" aria-labelledby="gw-diff-title" data-testid="version-diff">
      <header className="panel-header">
        <h2 id="gw-diff-title">{range ? `Version ${range.from} → ${range.to}` : 'Diff'}</h2>
        {stats ? (
          <span className="panel-meta numeric">
            <span className="gw-diff-added">+{stats.added}</span> <span className="gw-diff-removed">−{stats.removed}</span>
          </span>
        ) : null}
      </header>
      {!range ? (
        <p className="panel-empty">Tick two versions to see what changed between them.</p>
      ) : !lines ? (
        <p className="panel-empty">Loading…</p>
      ) : lines.length === 0 || (stats && stats.added === 0 && stats.removed === 0) ? (
        <p className="panel-empty">No differences.</p>
      ) : (
        <pre className="gw-diff-text">
          {lines.map((line, i) => (
            <span key={i} className={`gw-diff-line gw-diff-${line.kind}`}>
              {line.text || ' '}
              {'\n'}
            </span>
          ))}
        </pre>
      )}
    </section>
  );
}

function RollbackDialog({ version, onClose }: { version: ConfigVersion; onClose(): void }) {
  const api = useGatewayApi();
  const { busy, run } = useAction();
  const rollback = async () => {
    const result = await run(`Could not roll back to version ${version.id}`, () => api().rollback({ id: version.id }));
    if (!result) return;
    useAppStore.getState().pushToast({
      tone: result.disabled.length > 0 ? 'warning' : 'success',
      title: `Rolled back to version ${version.id}`,
      message: `Applied as version ${result.version}.${result.disabled.length > 0 ? ` Disabled: ${result.disabled.join(', ')}.` : ''}`,
    });
    onClose();
  };
  return (
    <ConfirmDialog
      open
      title={`Roll back to version ${version.id}?`}
      confirmLabel="Roll back"
      busyLabel="Rolling back…"
      busy={busy}
      testId="rollback-dialog"
      confirmTestId="rollback-confirm"
      onConfirm={() => void rollback()}
      onCancel={onClose}
    >
      <p>
        The gateway config of {formatTimestamp(version.at)} ({version.summary}) replaces the current one, in the config file too. It is applied as a
        new version, so this can be undone the same way.
      </p>
    </ConfirmDialog>
  );
}
