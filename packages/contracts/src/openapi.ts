/**
 * What every service's OpenAPI document shares (served at /docs/json, browsable
 * at /docs): the info block and the bearer scheme. Routes bring their schemas.
 */
export function openApiDocument(title: string, description: string) {
  return {
    openapi: '3.0.3',
    info: { title, description, version: '1.0.0' },
    components: { securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer', bearerFormat: 'JWT' } } },
    security: [{ bearer: [] as string[] }],
  }
}
