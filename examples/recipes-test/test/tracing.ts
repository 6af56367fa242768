// What every recipe test shares: an in-memory tracer provider registered globally for this test
// file (recipes use the global provider, as `startTracing()` sets it up), the AsyncLocalStorage
// context manager, and assertions about how the finished spans connect.
import { context, propagation, SpanKind, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  TracerProvider as BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const REPO = join(__dirname, '..', '..', '..')

/** Installs the provider and context manager for the calling test file; resets spans after each test. */
export function useTracing(): {
  exporter: InMemorySpanExporter
  spans: () => ReadableSpan[]
} {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  })
  const contextManager = new AsyncLocalStorageContextManager()
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable())
    trace.setGlobalTracerProvider(provider)
  })
  afterEach(() => exporter.reset())
  afterAll(async () => {
    trace.disable()
    context.disable()
    propagation.disable()
    await provider.shutdown()
  })
  return { exporter, spans: () => exporter.getFinishedSpans() }
}

/** Polls `check` until it returns a value other than `undefined`/`false`; fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Waits until a finished span named `name` exists and returns it (the only one with that name). */
export async function spanNamed(
  spans: () => ReadableSpan[],
  name: string,
  ms?: number,
): Promise<ReadableSpan> {
  await waitFor(`a span named "${name}"`, () => spans().some((s) => s.name === name), ms)
  const found = spans().filter((s) => s.name === name)
  if (found.length !== 1) {
    throw new Error(`expected one span named "${name}", found ${found.length}`)
  }
  return found[0]
}

/** Asserts `child` is a direct child of `parent`, in the same trace. */
export function expectChildOf(child: ReadableSpan, parent: ReadableSpan): void {
  expect({ name: child.name, traceId: child.spanContext().traceId }).toEqual({
    name: child.name,
    traceId: parent.spanContext().traceId,
  })
  expect({ name: child.name, parent: child.parentSpanContext?.spanId }).toEqual({
    name: child.name,
    parent: parent.spanContext().spanId,
  })
}

/** Asserts every span in `spans` belongs to one trace and returns its id. */
export function expectOneTrace(spans: readonly ReadableSpan[]): string {
  expect(spans.length).toBeGreaterThan(0)
  const ids = new Set(spans.map((s) => s.spanContext().traceId))
  expect([...ids]).toHaveLength(1)
  return [...ids][0]
}

/** Asserts that every span's parent is another span in `spans`, except the one root. */
export function expectNoOrphans(spans: readonly ReadableSpan[]): void {
  const ids = new Set(spans.map((s) => s.spanContext().spanId))
  const roots = spans.filter((s) => s.parentSpanContext === undefined)
  expect(roots.map((s) => s.name)).toHaveLength(1)
  for (const span of spans) {
    if (span.parentSpanContext !== undefined) {
      expect({ span: span.name, parentKnown: ids.has(span.parentSpanContext.spanId) }).toEqual({
        span: span.name,
        parentKnown: true,
      })
    }
  }
}

export function kindOf(span: ReadableSpan): string {
  return SpanKind[span.kind]
}

/** The text of a recipe file. */
export function recipeSource(file: string): string {
  return readFileSync(join(REPO, 'docs', 'recipes', file), 'utf8')
}
