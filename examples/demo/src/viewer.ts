// The tracehop viewer beside the demo: started in this process on 127.0.0.1, fed by the real OTLP
// exporter through one more span processor, so the console waterfall stays as it is and the
// browser shows the same traces whole, across every service.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace'
import { startViewer, type Viewer } from '@tracehop/viewer'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const viewerDir = fileURLToPath(new URL('../../../packages/viewer/', import.meta.url))

/** The viewer and the span processor that sends it the demo's spans. */
export interface DemoViewer {
  viewer: Viewer
  processor: SpanProcessor
}

/**
 * Starts the viewer on `VIEWER_PORT` (default 4318, the OTLP/HTTP port; a free one when that is
 * taken). The demo runs from sources, so the page is built first when it is missing or older than
 * its sources.
 */
export async function startDemoViewer(): Promise<DemoViewer> {
  await buildPageIfStale()
  const port = Number(process.env.VIEWER_PORT ?? 4318)
  let viewer: Viewer
  try {
    viewer = await startViewer({ port })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    viewer = await startViewer({ port: 0 })
  }
  const exporter = new OTLPTraceExporter({ url: `${viewer.otlpEndpoint}/v1/traces` })
  return { viewer, processor: new BatchSpanProcessor({ exporter, scheduledDelayMillis: 200 }) }
}

async function buildPageIfStale(): Promise<void> {
  const index = join(viewerDir, 'dist', 'page', 'index.html')
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource(join(viewerDir, 'src'))) return
  const script = new URL('../../../packages/viewer/scripts/build-page.mjs', import.meta.url).href
  const { buildPage } = (await import(script)) as { buildPage: () => Promise<unknown> }
  await buildPage()
}

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}
