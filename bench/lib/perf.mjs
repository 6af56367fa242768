import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

// Reads `perf script` output of a bench server recorded with call graphs (`perf record -g`, the
// server under `--perf-basic-prof` so JIT frames have names) and says where the CPU went, kernel
// included: the V8 profiler (`--profile`) charges kernel time to whatever JS frame was on top
// (mostly `writev`), perf sees the kernel's own frames.

/** tracehop's own frames: its packages, built or from source. */
const DEFAULT_OURS = /\/packages\/(core|express|fastify|node)\//

/** Areas a frame can belong to, first match wins; a sample counts once per area it touches. */
const AREAS = [
  ['tracehop', DEFAULT_OURS],
  ['@fastify/otel', /@fastify\+otel/],
  ['instrumentation', /@opentelemetry\+instrumentation/],
  ['sdk-trace', /@opentelemetry\+sdk-trace/],
  ['sdk-metrics', /@opentelemetry\+sdk-metrics/],
  ['otel core (propagators)', /@opentelemetry\+core@/],
  ['otel api', /@opentelemetry\+api@/],
  ['async_hooks (AsyncLocalStorage)', /node:(internal\/)?async_hooks/],
  ['garbage collection', /Heap::(Collect|Scavenge)|Scavenger|MarkCompact|GCTracer/],
  ['kernel: waking the client', /sock_def_readable/],
  ['kernel', /^\[k\] |entry_SYSCALL|do_syscall_64/],
]

/** Frames of the framework or the app: time below them is the app's, not the tracer's. */
const THEIRS =
  /node_modules\/\.pnpm\/(router|express|fastify|find-my-way|avvio|light-my-request)@|\/bench\/apps\/|\/bench\/lib\/common/

/** Turns `perf script` text into stacks of frame names, innermost first. */
export function parsePerfScript(text) {
  const stacks = []
  let stack = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (stack.length > 0) stacks.push(stack)
      stack = []
      continue
    }
    if (line[0] !== ' ' && line[0] !== '\t') continue // the sample's header line
    // "\t    7f3a... symbol+0x12 (dso)"
    const body = line.trim()
    const space = body.indexOf(' ')
    let name = space === -1 ? body : body.slice(space + 1)
    const dso = / \(([^)]*)\)$/.exec(name)
    name = name.replace(/ \([^)]*\)$/, '').replace(/\+0x[0-9a-f]+$/, '')
    if (dso && dso[1].includes('kernel')) name = `[k] ${name}`
    stack.push(name)
  }
  if (stack.length > 0) stacks.push(stack)
  return stacks
}

/** A short name for a frame: `fn package/file:line`, or the native symbol. */
export function shortName(frame) {
  const js = /^JS:[*^~+]?(\S*) (.*)$/.exec(frame)
  if (!js) return frame.length > 90 ? `${frame.slice(0, 87)}...` : frame
  const fn = js[1] === '' ? '(anonymous)' : js[1]
  const where = js[2]
    .replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/^.*\/packages\//, 'tracehop/')
    .replace(/\/build\/src\//, '/')
    .replace(/:\d+$/, '')
  return `${fn} ${where}`
}

/**
 * Where a recording's samples went. `ours` selects the tracer's frames: a sample is the tracer's
 * when its innermost frame that is the tracer's or the app's/framework's is the tracer's.
 */
export function analyze(stacks, { ours = DEFAULT_OURS } = {}) {
  const areas = new Map(AREAS.map(([name]) => [name, 0]))
  const byFunction = new Map()
  const byCallee = new Map()
  let under = 0
  const bump = (map, key) => map.set(key, (map.get(key) ?? 0) + 1)
  for (const stack of stacks) {
    const seen = new Set()
    for (const frame of stack) {
      for (const [name, pattern] of AREAS) {
        if (!seen.has(name) && pattern.test(frame)) {
          seen.add(name)
          bump(areas, name)
          break
        }
      }
    }
    for (let i = 0; i < stack.length; i++) {
      const frame = stack[i]
      if (ours.test(frame)) {
        under++
        bump(byFunction, shortName(frame))
        bump(byCallee, i === 0 ? '(own code)' : shortName(stack[i - 1]))
        break
      }
      if (THEIRS.test(frame)) break
    }
  }
  return { total: stacks.length, under, areas, byFunction, byCallee }
}

/** The analysis as text; `perRequest` is the measured CPU µs per request the samples stand for. */
export function formatPerf(result, { perRequest, top = 15 } = {}) {
  const { total } = result
  const cell = (count) => {
    const share = `${((100 * count) / total).toFixed(1).padStart(5)}%`
    return perRequest === undefined
      ? share
      : `${share} ${((perRequest * count) / total).toFixed(2).padStart(6)} µs/req`
  }
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top)
  const lines = [
    `${total} samples${perRequest === undefined ? '' : `, ${perRequest.toFixed(1)} µs/req measured`}`,
  ]
  lines.push('', 'inclusive, by area (a sample counts once in each area it passes through):')
  for (const [name, count] of result.areas) if (count > 0) lines.push(`  ${cell(count)}  ${name}`)
  lines.push('', `under the tracer's frames (not in app or framework code): ${cell(result.under)}`)
  lines.push('  by tracer function:')
  for (const [name, count] of sorted(result.byFunction)) lines.push(`    ${cell(count)}  ${name}`)
  lines.push('  by what the tracer called:')
  for (const [name, count] of sorted(result.byCallee)) lines.push(`    ${cell(count)}  ${name}`)
  return lines.join('\n')
}

/**
 * Starts `perf record -g` on a process; `stop()` ends it and resolves to the parsed stacks (also
 * written as `perf script` text to `FILE.perf.txt`). Fails with a clear message when perf is
 * missing or not allowed (kernel.perf_event_paranoid).
 */
export function recordPerf(pid, file) {
  mkdirSync(dirname(file), { recursive: true })
  const data = `${file}.perf.data`
  const child = spawn('perf', ['record', '-F', '999', '-g', '-p', String(pid), '-o', data], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise((resolve, reject) => {
    child.on('error', (error) =>
      reject(new Error(`perf could not start (${error.message}); install linux-perf`)),
    )
    child.on('exit', resolve)
  })
  return {
    file: `${file}.perf.txt`,
    async stop() {
      child.kill('SIGINT')
      const code = await exited
      if (code !== 0 && code !== null) throw new Error(`perf record failed: ${stderr.trim()}`)
      const script = spawnSync('perf', ['script', '-i', data], {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      })
      if (script.status !== 0) throw new Error(`perf script failed: ${script.stderr.trim()}`)
      writeFileSync(`${file}.perf.txt`, script.stdout)
      return parsePerfScript(script.stdout)
    },
  }
}
