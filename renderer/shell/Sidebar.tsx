import { routeHref } from './hash-route.ts';
import { NAV_SECTIONS, SCREENS } from './screens.ts';

export function Sidebar({ currentId }: { currentId: string }) {
  const sections = NAV_SECTIONS.map((section) => ({ section, screens: SCREENS.filter((s) => s.section === section) })).filter(
    (group) => group.screens.length > 0,
  );
  return (
    <nav className="sidebar" aria-label="Main">
      {sections.map(({ section, screens }) => (
        <div className="nav-section" key={section}>
          <div className="nav-section-title">{section}</div>
          <ul>
            {screens.map((screen) => {
              const Icon = screen.icon;
              const current = screen.id === currentId;
              return (
                <li key={screen.id}>
                  <a
                    href={routeHref(screen.id)}
                    className={`nav-link${current ? ' is-current' : ''}`}
                    aria-current={current ? 'page' : undefined}
                    // A narrow window shows the icon alone: the name stays for screen readers and as a tooltip.
                    aria-label={screen.label}
                    title={screen.label}
                    data-testid={`nav-${screen.id}`}
                  >
                    <Icon />
                    <span className="nav-label">{screen.label}</span>
                    <span className="nav-shortcut" aria-hidden="true">
                      <kbd>g</kbd>
                      <kbd>{screen.shortcutKey}</kbd>
                    </span>
                  </a>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </nav>
  );
}
