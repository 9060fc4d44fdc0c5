import type { KeyBinding } from '../components/index.ts';
import { SCREENS } from './screens.ts';

export interface ShortcutGroup {
  title: string;
  items: readonly KeyBinding[];
}

/** What the `?` dialog lists; the shell's matcher uses the same navigation and general entries. */
export function shortcutGroups(): ShortcutGroup[] {
  return [
    {
      title: 'Navigation',
      items: SCREENS.map((screen) => ({ keys: ['g', screen.shortcutKey], description: `Go to ${screen.label}` })),
    },
    {
      title: 'General',
      items: [
        { keys: ['/'], description: 'Search the current table' },
        { keys: ['?'], description: 'Show keyboard shortcuts' },
        { keys: ['Esc'], description: 'Close a dialog or the detail panel' },
      ],
    },
    {
      title: 'Connections table',
      items: [
        { keys: ['↑', '↓'], description: 'Move the selection' },
        { keys: ['PgUp', 'PgDn'], description: 'Move the selection by a page' },
        { keys: ['Home', 'End'], description: 'First or last connection' },
        { keys: ['Enter'], description: 'Open the detail panel' },
        { keys: ['Delete'], description: 'Close the selected connection' },
        { keys: ['b'], description: "Block the selected connection's peer" },
      ],
    },
    {
      title: 'Firewall rules',
      items: [
        { keys: ['↑', '↓'], description: 'Select a rule' },
        { keys: ['Alt', '↑'], description: 'Move the selected rule up' },
        { keys: ['Alt', '↓'], description: 'Move the selected rule down' },
        { keys: ['Enter'], description: 'Edit the selected rule' },
        { keys: ['Delete'], description: 'Delete the selected rule' },
      ],
    },
    {
      title: 'Gateway routers',
      items: [
        { keys: ['↑', '↓'], description: 'Select a router' },
        { keys: ['Enter'], description: 'Edit the selected router' },
        { keys: ['Delete'], description: 'Delete the selected router' },
        { keys: ['t'], description: 'Open the selected router in the route tester' },
        { keys: ['o'], description: 'Switch the selected router off or on' },
        { keys: ['←', '→'], description: 'Move between the gateway tabs (on a tab)' },
      ],
    },
  ];
}
