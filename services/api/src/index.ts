/**
 * @fare/api as other code sees it (the stack's tests): the app and its
 * configuration. Everything else under src/ is the service's own.
 */
export { type ApiDeps, type ApiOptions, buildApp } from './app.ts'
export { type ApiConfig, readApiConfig } from './config.ts'
