/**
 * @fare/api as other code sees it (the stack's tests): the app and its
 * configuration. Everything else under src/ is the service's own.
 */
export { buildApp, type ApiDeps, type ApiOptions } from './app.ts'
export { readApiConfig, type ApiConfig } from './config.ts'
