import { useEffect } from 'react';
import { useAppStore } from '../store/index.ts';
import { navigateTo } from './hash-route.ts';
import { isEditableTarget, KeySequenceMatcher, SEARCH_BOX_ATTRIBUTE, type KeyBinding } from '../components/index.ts';
import { SCREENS } from './screens.ts';

interface ShellBinding extends KeyBinding {
  run(): void;
}

function shellBindings(): ShellBinding[] {
  return [
    ...SCREENS.map((screen) => ({
      keys: ['g', screen.shortcutKey],
      description: `Go to ${screen.label}`,
      run: () => navigateTo(screen.id),
    })),
    {
      keys: ['/'],
      description: 'Search the current table',
      run: () => {
        const box = document.querySelector<HTMLInputElement>(`[${SEARCH_BOX_ATTRIBUTE}]`);
        box?.focus();
        box?.select();
      },
    },
    { keys: ['?'], description: 'Show keyboard shortcuts', run: () => useAppStore.getState().setShortcutsOpen(true) },
  ];
}

export function useGlobalShortcuts(): void {
  useEffect(() => {
    const matcher = new KeySequenceMatcher(shellBindings());
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
      // Fields take their own keys; an open modal owns the keyboard.
      if (isEditableTarget(event.target) || document.querySelector('dialog[open]')) {
        matcher.reset();
        return;
      }
      const result = matcher.press(event.key, event.timeStamp);
      if (result.kind === 'none') return;
      event.preventDefault();
      if (result.kind === 'match') result.binding.run();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);
}
