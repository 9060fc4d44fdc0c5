import type { AppState } from './app-store.ts';

const NO_NAMES: readonly string[] = [];

/** Names of a list, the same array while the names are unchanged (selectors must not return new arrays). */
export function namesSelector<T extends { name: string }>(pick: (state: AppState) => readonly T[] | undefined): (state: AppState) => readonly string[] {
  let lastItems: readonly T[] | undefined;
  let lastNames: readonly string[] = NO_NAMES;
  return (state) => {
    const items = pick(state);
    if (items === lastItems) return lastNames;
    lastItems = items;
    const names = items?.map((item) => item.name) ?? NO_NAMES;
    if (names.length !== lastNames.length || names.some((name, i) => name !== lastNames[i])) lastNames = names;
    return lastNames;
  };
}
