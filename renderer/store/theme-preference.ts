export type Theme = 'light' | 'dark';

const STORAGE_KEY = 'netops.theme';

/** localStorage can be missing (tests) or throw (storage disabled); a theme is never worth an error. */
function storage(): Storage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

export function loadStoredTheme(): Theme | null {
  try {
    const value = storage()?.getItem(STORAGE_KEY);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

export function storeTheme(theme: Theme): void {
  try {
    storage()?.setItem(STORAGE_KEY, theme);
  } catch {
    // Not persisted: the choice still holds for this window.
  }
}

export function systemPrefersDark(): boolean {
  return typeof globalThis.matchMedia === 'function' && globalThis.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function initialTheme(): { theme: Theme; explicit: boolean } {
  const stored = loadStoredTheme();
  if (stored) return { theme: stored, explicit: true };
  return { theme: systemPrefersDark() ? 'dark' : 'light', explicit: false };
}
