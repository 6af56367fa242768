import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { OtlpTracesData, StoreStats, TraceListResponse } from '../src/shared/api.js'
import {
  batch,
  getJson,
  otlpSpan,
  postJson,
  spanId,
  startTestViewer,
  tempDir,
  traceId,
} from './helpers.js'

describe('--file', () => {
  it('survives a restart: what was received is there again', async () => {
    const file = join(tempDir(), 'nested', 'traces.ndjson')
    const first = await startTestViewer({ file })
    await postJson(
      first,
      batch({ gateway: [otlpSpan({ traceId: traceId(1), spanId: spanId(1), name: 'GET /a' })] }),
    )
    await postJson(
      first,
      batch({
        orders: [otlpSpan({ traceId: traceId(1), spanId: spanId(2), parentSpanId: spanId(1) })],
      }),
    )
    const before = await getJson<OtlpTracesData>(first, `/api/traces/${traceId(1)}`)
    await first.close()
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2)

    const second = await startTestViewer({ file })
    try {
      expect(second.loaded).toEqual({ spans: 2, badLines: 0, compacted: false })
      expect(await getJson<OtlpTracesData>(second, `/api/traces/${traceId(1)}`)).toEqual(before)
      const list = await getJson<TraceListResponse>(second, '/api/traces')
      expect(list.traces[0]).toMatchObject({ rootName: 'GET /a', services: ['gateway', 'orders'] })
    } finally {
      await second.close()
    }
  })

  it('skips a torn line and compacts the file to what the store keeps', async () => {
    const file = join(tempDir(), 'traces.ndjson')
    const lines = [1, 2, 3].map((n) =>
      JSON.stringify(
        batch({
          a: [
            otlpSpan({ traceId: traceId(n), spanId: spanId(n) }),
            otlpSpan({ traceId: traceId(n), spanId: spanId(n + 10) }),
          ],
        }),
      ),
    )
    writeFileSync(file, `${lines.join('\n')}\n{"resourceSpans": [`)
    const viewer = await startTestViewer({ file, maxSpans: 4 })
    try {
      expect(viewer.loaded).toEqual({ spans: 6, badLines: 1, compacted: true })
      const stats = await getJson<StoreStats>(viewer, '/api/stats')
      expect(stats).toMatchObject({ spanCount: 4, traceCount: 2, evictedTraces: 1 })
      const kept = readFileSync(file, 'utf8').trim().split('\n')
      expect(
        kept.map(
          (l) =>
            (JSON.parse(l) as OtlpTracesData).resourceSpans[0]!.scopeSpans![0]!.spans![0]!.traceId,
        ),
      ).toEqual([traceId(2), traceId(3)])
      // Appending goes on after compaction.
      await postJson(viewer, batch({ a: [otlpSpan({ traceId: traceId(4), spanId: spanId(4) })] }))
    } finally {
      await viewer.close()
    }
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3)
  })

  it('is emptied when the store is cleared', async () => {
    const file = join(tempDir(), 'traces.ndjson')
    const viewer = await startTestViewer({ file })
    try {
      await postJson(viewer, batch({ a: [otlpSpan({})] }))
      await fetch(`${viewer.otlpEndpoint}/api/traces`, { method: 'DELETE' })
      await postJson(viewer, batch({ a: [otlpSpan({ traceId: traceId(5), spanId: spanId(5) })] }))
    } finally {
      await viewer.close()
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(traceId(5))
    appendFileSync(file, '\n\n')
    const again = await startTestViewer({ file })
    expect(again.loaded).toEqual({ spans: 1, badLines: 0, compacted: false })
    await again.close()
  })
})
