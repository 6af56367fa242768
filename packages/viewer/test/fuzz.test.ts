import fc from 'fast-check'
import { request } from 'node:http'
import { gzipSync } from 'node:zlib'
import type { StartedViewer } from '../src/server/viewer.js'
import { batch, getJson, otlpSpan, startTestViewer } from './helpers.js'

function post(
  viewer: StartedViewer,
  body: Buffer,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${viewer.otlpEndpoint}/v1/traces`, { method: 'POST', headers }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode!))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const CONTENT_TYPES = [
  'application/x-protobuf',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  '',
]

// Bodies that are random bytes, random JSON, or a real batch with random damage.
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
  fc.json({ maxDepth: 6 }).map((j) => Buffer.from(j)),
  fc
    .tuple(fc.nat({ max: 400 }), fc.uint8Array({ minLength: 1, maxLength: 8 }))
    .map(([at, junk]) => {
      const good = Buffer.from(JSON.stringify(batch({ a: [otlpSpan({ attrs: { k: 'v' } })] })))
      return Buffer.concat([
        good.subarray(0, at % good.length),
        Buffer.from(junk),
        good.subarray(at % good.length),
      ])
    }),
  fc.anything({ maxDepth: 4 }).map((value) =>
    Buffer.from(
      JSON.stringify({
        resourceSpans: [
          {
            resource: value,
            scopeSpans: [{ spans: [value, { ...otlpSpan({}), attributes: value }] }],
          },
        ],
      }) ?? 'null',
    ),
  ),
)

describe('random bodies', () => {
  let viewer: StartedViewer
  beforeAll(async () => {
    viewer = await startTestViewer({ maxBodyBytes: 64 * 1024 })
  })
  afterAll(async () => {
    await viewer.close()
  })

  it('get an OTLP status (200, 400, 413 or 415), never a crash, and the server keeps answering', async () => {
    await fc.assert(
      fc.asyncProperty(
        bodies,
        fc.constantFrom(...CONTENT_TYPES),
        fc.boolean(),
        async (body, type, gzip) => {
          const headers: Record<string, string> = { 'content-type': type }
          if (gzip) headers['content-encoding'] = 'gzip'
          const status = await post(viewer, gzip ? gzipSync(body) : body, headers)
          expect([200, 400, 413, 415]).toContain(status)
        },
      ),
      { numRuns: 300 },
    )
    const stats = await getJson<{ spanCount: number }>(viewer, '/api/stats')
    expect(stats.spanCount).toBeGreaterThanOrEqual(0)
    const list = await fetch(`${viewer.otlpEndpoint}/api/traces?limit=1000`)
    expect(list.status).toBe(200)
    // Every trace that got in can be served and summarised.
    for (const trace of ((await list.json()) as { traces: { traceId: string }[] }).traces) {
      expect((await fetch(`${viewer.otlpEndpoint}/api/traces/${trace.traceId}`)).status).toBe(200)
    }
    expect((await fetch(`${viewer.otlpEndpoint}/api/red`)).status).toBe(200)
    expect((await fetch(`${viewer.otlpEndpoint}/api/service-map`)).status).toBe(200)
  })
})
