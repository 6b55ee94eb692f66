/**
 * @module Configuration: options, the config file, the environment, and their resolution into
 * one `AgentOSConfig`.
 */
export { ENV_VARS, type EnvLayer, type EnvVar, readEnv } from './env.js';
export { ConfigError, type ConfigIssue, closest, IssueCollector } from './errors.js';
export { CONFIG_FILE_NAMES, type ConfigFile, findConfigFile, loadConfigFile } from './file.js';
export * from './options.js';
export {
  DEFAULT_HOST,
  DEFAULT_ID,
  DEFAULT_LEEWAY_SECONDS,
  DEFAULT_PORT,
  type ResolveInput,
  resolveConfig,
} from './resolve.js';
