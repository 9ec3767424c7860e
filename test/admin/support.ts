/** An api app on a database of its own, an issuer, and admin requests to it (inject: no port). */

import { type ApiOptions, buildApp } from '@fare/api'
import { createTestDatabase, type TestDatabase } from '@fare/db/testing'
import { createLogger, createMetricsRegistry } from '@fare/platform'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { createTestIssuer, type TestIssuer } from '../support/keys.ts'

export interface AdminApi {
  database: TestDatabase
  issuer: TestIssuer
  app: FastifyInstance
  /** Another api process on the same database (what a restart or a second instance sees). */
  another(): Promise<FastifyInstance>
  /** An admin's request; `token` overrides the admin token, `null` sends none. */
  call(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, headers?: Record<string, string>, token?: string | null): Promise<LightMyRequestResponse>
  close(): Promise<void>
}

export async function startAdminApi(options: ApiOptions = {}): Promise<AdminApi> {
  const database = await createTestDatabase()
  const issuer = createTestIssuer()
  const apps: FastifyInstance[] = []
  const build = async () => {
    const app = await buildApp(
      {
        logger: createLogger({ level: 'silent', name: 'api-test' }),
        db: database.db,
        registry: createMetricsRegistry('api'),
        jwtPublicKeyPem: issuer.publicKeyPem,
        jwtPrivateKeyPem: issuer.privateKeyPem,
      },
      { rateLimitPerMinute: 1_000_000, ...options },
    )
    apps.push(app)
    return app
  }
  const app = await build()
  const admin = issuer.adminToken()
  return {
    database,
    issuer,
    app,
    another: build,
    call(method, url, body, headers = {}, token = admin) {
      const request: InjectOptions = {
        method,
        url,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      }
      return app.inject(request)
    },
    async close() {
      for (const a of apps) await a.close()
      await database.drop()
    },
  }
}

export const code = (res: { json(): unknown }) => (res.json() as { error?: { code?: string } }).error?.code
