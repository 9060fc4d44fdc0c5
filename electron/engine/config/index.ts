export { ConfigError, defaultConfig, formatProblem, loadConfigFile, parseConfig, parseYamlText, type ConfigProblem } from './load.ts';
export { DEFAULT_CONFIG_YAML, netopsConfig, type ListenerConfig, type NetopsConfig } from './schema.ts';
export { firstAliasOffset, formatFieldPath, locate, yamlErrorMessage, yamlProblems, type FieldPath } from './yaml-position.ts';
