export { Host, startHost, type HostOptions } from './host.ts';
export { defaultDataDir } from './paths.ts';
export { PRODUCT_NAME, PRODUCT_VERSION } from './version.ts';
