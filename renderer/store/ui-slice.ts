import type { StateCreator } from 'zustand';
import type { AppState } from './app-store.ts';
import { initialTheme, storeTheme, type Theme } from './theme-preference.ts';

export interface UiData {
  theme: Theme;
  /** The operator picked the theme; until then it follows prefers-color-scheme. */
  themeIsExplicit: boolean;
  shortcutsOpen: boolean;
}

export interface UiSlice {
  ui: UiData;
  setTheme(theme: Theme): void;
  toggleTheme(): void;
  /** Called when prefers-color-scheme changes; ignored once the operator chose a theme. */
  followSystemTheme(theme: Theme): void;
  setShortcutsOpen(open: boolean): void;
}

export function initialUiData(): UiData {
  const { theme, explicit } = initialTheme();
  return { theme, themeIsExplicit: explicit, shortcutsOpen: false };
}

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set, get) => ({
  ui: initialUiData(),
  setTheme: (theme) => {
    storeTheme(theme);
    set((state) => ({ ui: { ...state.ui, theme, themeIsExplicit: true } }));
  },
  toggleTheme: () => get().setTheme(get().ui.theme === 'dark' ? 'light' : 'dark'),
  followSystemTheme: (theme) =>
    set((state) => (state.ui.themeIsExplicit || state.ui.theme === theme ? state : { ui: { ...state.ui, theme } })),
  setShortcutsOpen: (shortcutsOpen) => set((state) => ({ ui: { ...state.ui, shortcutsOpen } })),
});
