import { KeyboardIcon, MoonIcon, ProductMark, SunIcon, useSession } from '../components/index.ts';
import { useAppStore } from '../store/index.ts';
import { StatusBadge } from './StatusBadge.tsx';

export function TopBar() {
  const session = useSession();
  const theme = useAppStore((state) => state.ui.theme);
  const toggleTheme = useAppStore((state) => state.toggleTheme);
  const openShortcuts = useAppStore((state) => state.setShortcutsOpen);
  const nextTheme = theme === 'dark' ? 'light' : 'dark';
  return (
    <header className="topbar">
      <div className="brand">
        <ProductMark className="icon brand-mark" />
        <span className="brand-name">NetOps Console</span>
      </div>
      <div className="topbar-actions">
        <StatusBadge onRetryNow={() => session.retryNow()} />
        <button
          type="button"
          className="icon-button"
          aria-label="Keyboard shortcuts"
          title="Keyboard shortcuts (?)"
          onClick={() => openShortcuts(true)}
        >
          <KeyboardIcon />
        </button>
        <button
          type="button"
          className="icon-button"
          data-testid="theme-toggle"
          data-theme={theme}
          aria-label={`Switch to ${nextTheme} theme`}
          title={`Switch to ${nextTheme} theme`}
          onClick={toggleTheme}
        >
          {theme === 'dark' ? <SunIcon /> : <MoonIcon />}
        </button>
      </div>
    </header>
  );
}
