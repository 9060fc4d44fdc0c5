export { writeFileAtomic, type AtomicWriteOptions } from './atomic-file.ts';
export { dataDirPaths, ensureDataDir, loadOrCreateToken } from './data-dir.ts';
export { readFileIfExists } from './read-optional.ts';
