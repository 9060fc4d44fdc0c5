export { FirewallPage } from './FirewallPage.tsx';
export { BlockAddressDialog } from './BlockAddressDialog.tsx';
