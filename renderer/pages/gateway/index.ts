export { GatewayPage } from './GatewayPage.tsx';
export { GatewayIcon } from './GatewayIcon.tsx';
