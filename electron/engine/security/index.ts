/** Security engine: the gateway's API keys, stored hashed in the data dir. */
export { API_KEYS_FILE, ApiKeyStore, type ActiveKeyHash, type ApiKeyInfo, type ApiKeyStoreOptions, type ApiKeyVerifier, type CreatedApiKey } from './api-key-store.ts';
