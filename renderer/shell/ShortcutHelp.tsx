import { Dialog } from '../components/index.ts';
import { useAppStore } from '../store/index.ts';
import { shortcutGroups } from './shortcuts.ts';

export function ShortcutHelp() {
  const open = useAppStore((state) => state.ui.shortcutsOpen);
  const setOpen = useAppStore((state) => state.setShortcutsOpen);
  return (
    <Dialog open={open} onClose={() => setOpen(false)} title="Keyboard shortcuts" size="medium" testId="shortcut-help">
      <div className="shortcut-groups">
        {shortcutGroups().map((group) => (
          <section key={group.title}>
            <h3>{group.title}</h3>
            <dl className="shortcut-list">
              {group.items.map((item) => (
                <div key={item.description}>
                  <dt>
                    {item.keys.map((key) => (
                      <kbd key={key}>{key}</kbd>
                    ))}
                  </dt>
                  <dd>{item.description}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </Dialog>
  );
}
