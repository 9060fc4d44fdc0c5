import type { ComponentType } from 'react';
import { ConnectionsIcon, FirewallIcon, GatewayIcon, OverviewIcon } from '../components/index.ts';
import { ConnectionsPage } from '../pages/connections/index.ts';
import { FirewallPage } from '../pages/firewall/index.ts';
import { GatewayPage } from '../pages/gateway/index.ts';
import { OverviewPage } from '../pages/overview/index.ts';

/**
 * Navigation groups in display order. Discovery will join 'Services',
 * Certificates 'Security'; a section shows only once it has a screen.
 */
export const NAV_SECTIONS = ['Monitor', 'Traffic', 'Services', 'Security'] as const;
export type NavSection = (typeof NAV_SECTIONS)[number];

export interface ScreenDef {
  /** Also the hash path: `#/<id>`. */
  id: string;
  label: string;
  section: NavSection;
  icon: ComponentType<{ size?: number }>;
  /** The second key of the `g <key>` shortcut. */
  shortcutKey: string;
  component: ComponentType;
}

export const SCREENS: readonly ScreenDef[] = [
  { id: 'overview', label: 'Overview', section: 'Monitor', icon: OverviewIcon, shortcutKey: 'o', component: OverviewPage },
  { id: 'connections', label: 'Connections', section: 'Monitor', icon: ConnectionsIcon, shortcutKey: 'c', component: ConnectionsPage },
  { id: 'gateway', label: 'Gateway', section: 'Traffic', icon: GatewayIcon, shortcutKey: 'g', component: GatewayPage },
  { id: 'firewall', label: 'Firewall', section: 'Traffic', icon: FirewallIcon, shortcutKey: 'f', component: FirewallPage },
];

export const DEFAULT_SCREEN_ID = 'overview';

export function findScreen(id: string | null): ScreenDef | undefined {
  return SCREENS.find((screen) => screen.id === id);
}
