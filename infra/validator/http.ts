/**
 * A small HTTP(S) client on node's own modules, with keep-alive and the TLS
 * options a validator needs (a private CA, a client certificate for mutual
 * TLS). fetch cannot take a CA without an extra dependency; this can.
 */
import http from 'node:http'
import https from 'node:https'

export interface TlsClientOptions {
  /** PEM of the CA that signed the server's certificate (a private PKI, or a test's self-signed cert). */
  ca?: string
  /** Client certificate and key, for mutual TLS. */
  cert?: string
  key?: string
}

export interface HttpResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

export class HttpClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 })
  private readonly httpsAgent: https.Agent

  constructor(
    tls: TlsClientOptions = {},
    private readonly timeoutMs = 15_000,
  ) {
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ...tls })
  }

  request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResponse> {
    const target = new URL(url)
    const secure = target.protocol === 'https:'
    const lib = secure ? https : http
    return new Promise((resolve, reject) => {
      const req = lib.request(
        target,
        {
          method: options.method ?? 'GET',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: {
            ...(options.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) }),
            ...options.headers,
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error(`no answer from ${target.host} within ${this.timeoutMs} ms`)))
      req.on('error', reject)
      if (options.body !== undefined) req.write(options.body)
      req.end()
    })
  }

  close(): void {
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
  }
}
