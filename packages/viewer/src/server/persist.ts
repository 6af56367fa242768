// `--file`: every accepted batch appended as one line of OTLP/JSON, read back on start.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import type { OtlpTracesData } from '../shared/api.js'
import { jsonReader, normalizeRequest, type Limits } from './normalize.js'
import type { TraceStore } from './store.js'

/** What loading the file found. */
export interface LoadResult {
  spans: number
  /** Lines that were not OTLP/JSON (a torn last line after a crash, an edited file). */
  badLines: number
  /** Whether the file held more than the store keeps, so it was rewritten with what it keeps. */
  compacted: boolean
}

/** The append-only trace file. */
export class TraceFile {
  private stream: WriteStream | undefined

  private constructor(readonly path: string) {}

  /**
   * Loads `path` into `store` (a missing file is an empty one), compacts it when the store had to
   * evict while loading, and opens it for appending.
   */
  static async open(
    path: string,
    store: TraceStore,
    limits: Limits,
  ): Promise<{ file: TraceFile; loaded: LoadResult }> {
    const file = new TraceFile(path)
    await mkdir(dirname(path), { recursive: true })
    const loaded = await file.load(store, limits)
    const stream = appendTo(path)
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve())
      stream.once('error', reject)
    })
    file.stream = stream
    return { file, loaded }
  }

  /** Appends one batch. */
  append(data: OtlpTracesData): void {
    this.stream?.write(`${JSON.stringify(data)}\n`)
  }

  /** Empties the file (after the store was cleared). */
  async truncate(): Promise<void> {
    await this.replace('')
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    const stream = this.stream
    this.stream = undefined
    if (stream !== undefined) await new Promise<void>((resolve) => stream.end(() => resolve()))
  }

  private async load(store: TraceStore, limits: Limits): Promise<LoadResult> {
    const result: LoadResult = { spans: 0, badLines: 0, compacted: false }
    const evictedBefore = store.stats().evictedTraces
    let input
    try {
      input = createReadStream(this.path, { encoding: 'utf8' })
      await new Promise<void>((resolve, reject) => {
        input!.once('open', () => resolve())
        input!.once('error', reject)
      })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result
      throw err
    }
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (line.trim() === '') continue
      try {
        const normalized = normalizeRequest(JSON.parse(line), jsonReader, limits)
        result.spans += store.add(normalized.resourceSpans).accepted
      } catch {
        result.badLines++
      }
    }
    if (store.stats().evictedTraces > evictedBefore || result.badLines > 0) {
      const lines: string[] = []
      for (const trace of store.allTraces())
        lines.push(JSON.stringify(store.getTrace(trace.traceId)))
      await this.replace(lines.length === 0 ? '' : `${lines.join('\n')}\n`)
      result.compacted = true
    }
    return result
  }

  private async replace(content: string): Promise<void> {
    const stream = this.stream
    if (stream !== undefined) {
      this.stream = undefined
      await new Promise<void>((resolve) => stream.end(() => resolve()))
    }
    const temporary = `${this.path}.${process.pid}.tmp`
    await writeFile(temporary, content)
    await rename(temporary, this.path)
    if (stream !== undefined) this.stream = appendTo(this.path)
  }
}

function appendTo(path: string): WriteStream {
  const stream = createWriteStream(path, { flags: 'a' })
  stream.on('error', () => {
    // A full disk or a removed file must not stop the receiver; the spans stay in memory.
  })
  return stream
}
