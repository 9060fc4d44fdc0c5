import { useEffect, type MouseEvent } from 'react';
import { Toasts } from './Toasts.tsx';
import { parseHashRoute, routeHref, useLocationHash } from './hash-route.ts';
import { DEFAULT_SCREEN_ID, findScreen } from './screens.ts';
import { ShortcutHelp } from './ShortcutHelp.tsx';
import { Sidebar } from './Sidebar.tsx';
import { StatusBar } from './StatusBar.tsx';
import { TopBar } from './TopBar.tsx';
import { useGlobalShortcuts } from './use-global-shortcuts.ts';

export function Shell() {
  const hash = useLocationHash();
  const requested = findScreen(parseHashRoute(hash));
  const screen = requested ?? findScreen(DEFAULT_SCREEN_ID);
  useGlobalShortcuts();

  useEffect(() => {
    // An unknown or empty hash becomes the default screen without adding a history entry.
    if (!requested) window.location.replace(routeHref(DEFAULT_SCREEN_ID));
  }, [requested]);

  useEffect(() => {
    document.title = screen ? `${screen.label} · NetOps Console` : 'NetOps Console';
  }, [screen]);

  if (!screen) return null;
  const Page = screen.component;
  return (
    <div className="app-shell">
      <a className="skip-link" href="#main-content" onClick={skipToContent}>
        Skip to content
      </a>
      <TopBar />
      <Sidebar currentId={screen.id} />
      <main className="app-main" id="main-content" tabIndex={-1}>
        <Page key={screen.id} />
      </main>
      <StatusBar />
      <Toasts />
      <ShortcutHelp />
    </div>
  );
}

// The hash is the router, so the skip link moves focus itself instead of navigating.
function skipToContent(event: MouseEvent<HTMLAnchorElement>): void {
  event.preventDefault();
  document.getElementById('main-content')?.focus();
}
