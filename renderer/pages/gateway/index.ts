export { GatewayPage } from './GatewayPage.tsx';
