import { toDisposable, type Disposable } from '../../shared/lifecycle.ts';
import type { AppStore, Theme } from '../store/index.ts';

function applyTheme(theme: Theme): void {
  document.documentElement.dataset['theme'] = theme;
}

/** Mirrors the store's theme onto <html data-theme> and follows the OS until the operator picks one. */
export function bindDocumentTheme(store: AppStore): Disposable {
  applyTheme(store.getState().ui.theme);
  const unsubscribe = store.subscribe((state, previous) => {
    if (state.ui.theme !== previous.ui.theme) applyTheme(state.ui.theme);
  });
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  const onChange = (event: MediaQueryListEvent) => store.getState().followSystemTheme(event.matches ? 'dark' : 'light');
  query.addEventListener('change', onChange);
  return toDisposable(() => {
    unsubscribe();
    query.removeEventListener('change', onChange);
  });
}
