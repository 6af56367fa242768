import { start } from '../../../docs/recipes/outgoing-calls'
import {
  expectChildOf,
  expectNoOrphans,
  expectOneTrace,
  kindOf,
  useTracing,
  waitFor,
} from './tracing'

const { spans } = useTracing()
let app: Awaited<ReturnType<typeof start>>

beforeAll(async () => {
  app = await start()
})
afterAll(() => app.close())

describe('outgoing calls recipe', () => {
  it('carries one trace through fetch, undici, axios and node:http, each hop CLIENT -> SERVER', async () => {
    const res = await fetch(app.url)
    const results = (await res.json()) as { via: string; traceparent: string }[]
    expect(results.map((r) => r.via)).toEqual(['/fetch', '/undici', '/axios', '/http'])

    // 1 checkout SERVER + 4 CLIENT + 4 inventory SERVER
    const all = await waitFor('nine spans', () => spans().length >= 9 && spans())
    expect(all).toHaveLength(9)
    const traceId = expectOneTrace(all)
    expectNoOrphans(all)

    const servers = all.filter((s) => kindOf(s) === 'SERVER')
    const clients = all.filter((s) => kindOf(s) === 'CLIENT')
    expect(clients).toHaveLength(4)
    const root = servers.find((s) => s.parentSpanContext === undefined)!
    expect(root.attributes['url.path']).toBe('/')

    for (const result of results) {
      const client = clients.find(
        (c) => c.attributes['url.full'] === `${app.inventoryUrl}${result.via}`,
      )!
      expectChildOf(client, root)
      expect(client.attributes['http.response.status_code']).toBe(200)
      // the header on the wire names the CLIENT span as parent ...
      expect(result.traceparent).toBe(`00-${traceId}-${client.spanContext().spanId}-01`)
      // ... and the called service's SERVER span continues from it
      const server = servers.find((s) => s.attributes['url.path'] === result.via)!
      expectChildOf(server, client)
    }
  })
})
