import { useAppStore } from '../../store/index.ts';

export interface Applied {
  version: number;
  /** Items the new config disabled (this one, or others that named it). */
  disabled: string[];
}

/**
 * The toast after an upsert: success when the item runs, a warning naming
 * what the new version disabled, so a saved-but-broken item is never silent.
 */
export function reportSaved(kind: string, name: string, created: boolean, result: Applied): void {
  const { pushToast } = useAppStore.getState();
  if (result.disabled.some((item) => item === name || item.startsWith(`${name}@`))) {
    pushToast({ tone: 'warning', title: `${kind} saved, but disabled`, message: `"${name}" is in version ${result.version} but does not run: see its errors in the table.` });
    return;
  }
  const others = result.disabled.length > 0 ? ` ${result.disabled.length} other item${result.disabled.length === 1 ? ' is' : 's are'} disabled.` : '';
  pushToast({ tone: 'success', title: `${kind} ${created ? 'added' : 'saved'}`, message: `"${name}" applies now (version ${result.version}).${others}` });
}
