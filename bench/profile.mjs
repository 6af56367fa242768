// Where the time goes in a `--cpu-prof` profile of a bench server (see `pnpm bench --profile ID`):
// self time per function and per package, and inclusive time of the functions matching --focus,
// all in µs per request (requests served over the whole process life, warm-up included).
//
//   node bench/profile.mjs CPU.….cpuprofile [--top 25] [--focus REGEX] [--callees REGEX]
//
// --focus: inclusive time of the frames matching REGEX (function name or script URL).
// --callees: for the innermost frame matching REGEX in each sample, the function it was calling
// (or "(self)"): what the matching code spends its time on, e.g. --callees packages/core.
// Samples in the bench app's own code are left out even when a tracer frame is above them.
// --lines NAME: the source lines where functions named NAME spend their own time.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    focus: { type: 'string' },
    callees: { type: 'string' },
    lines: { type: 'string' },
  },
})
if (positionals.length === 0) {
  console.error('usage: node bench/profile.mjs <file.cpuprofile> [--top N] [--focus REGEX]')
  process.exit(2)
}

/** The package (or runtime area) a script URL belongs to. */
function area(url) {
  if (url === '') return '(native / runtime)'
  if (url.startsWith('node:')) return 'node core'
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pnpm) return pnpm[1]
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm) return nm[1]
  const ours = /\/packages\/([^/]+)\//.exec(url)
  if (ours) return `@tracehop/${ours[1]}`
  if (url.includes('/bench/')) return 'bench app'
  return url
}

function where(frame) {
  const url = frame.url.replace(/^file:\/\//, '')
  const short = url.includes('node_modules/')
    ? url.slice(url.lastIndexOf('node_modules/') + 13)
    : url.replace(/^.*\/(packages|bench)\//, '$1/')
  return short ? `${short}:${frame.lineNumber + 1}` : ''
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  // The harness leaves <variant>-<pid>.json beside the profile with the requests served.
  const pid = /\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(basename(file))?.[1]
  const metaFile = readdirSync(dirname(file)).find((f) => f.endsWith(`-${pid}.json`))
  const meta =
    metaFile && existsSync(join(dirname(file), metaFile))
      ? JSON.parse(readFileSync(join(dirname(file), metaFile), 'utf8'))
      : undefined
  const requests = meta?.requestsTotal

  const nodes = new Map(profile.nodes.map((n) => [n.id, { ...n, self: 0 }]))
  for (let i = 0; i < profile.samples.length; i++) {
    nodes.get(profile.samples[i]).self += profile.timeDeltas[i] ?? 0
  }
  const parent = new Map()
  for (const n of nodes.values()) for (const c of n.children ?? []) parent.set(c, n.id)

  let total = 0
  let idle = 0
  const byFunction = new Map()
  const byArea = new Map()
  for (const n of nodes.values()) {
    const f = n.callFrame
    if (f.functionName === '(idle)') {
      idle += n.self
      continue
    }
    total += n.self
    const key = `${f.functionName || '(anonymous)'} ${where(f)}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + n.self)
    const a = f.url === '' && f.functionName.startsWith('(') ? f.functionName : area(f.url)
    byArea.set(a, (byArea.get(a) ?? 0) + n.self)
  }

  // The profiler samples wall time on the main thread: time the process waited for a CPU (a busy
  // machine) lands on whatever frame was running. Scaling by measured CPU / sampled busy time
  // turns the samples back into CPU µs per request, assuming the waiting fell evenly.
  const busyPerRequest = requests ? total / requests : undefined
  const scale =
    meta?.cpuPerRequest && busyPerRequest ? Math.min(1, meta.cpuPerRequest / busyPerRequest) : 1
  const per = (us) => (requests ? `${((us / requests) * scale).toFixed(2).padStart(7)} µs/req` : '')
  const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`
  console.log(`\n${file}`)
  console.log(
    `variant ${meta?.variant ?? '?'}; ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle; ${requests ?? '?'} requests served` +
      (requests ? `; ${busyPerRequest.toFixed(1)} µs busy per request` : '') +
      (meta?.cpuPerRequest
        ? `; measured CPU ${meta.cpuPerRequest.toFixed(1)} µs per request, so µs below are scaled by ${scale.toFixed(2)}`
        : ''),
  )
  console.log('\nself time by package / area:')
  for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, 15)) {
    console.log(`  ${pct(us)} ${per(us)}  ${a}`)
  }
  console.log(`\nself time by function (top ${values.top}):`)
  for (const [k, us] of [...byFunction].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) {
    console.log(`  ${pct(us)} ${per(us)}  ${k}`)
  }

  if (values.callees) {
    const re = new RegExp(values.callees)
    const matches = (n) => re.test(`${n.callFrame.functionName} ${n.callFrame.url}`)
    const pairs = new Map()
    let inside = 0
    for (let i = 0; i < profile.samples.length; i++) {
      let below
      for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) {
        const n = nodes.get(id)
        // Time in the app's own code (run inside context.with by the tracer) is not the tracer's.
        if (/\/bench\/(apps\/|lib\/common)/.test(n.callFrame.url)) break
        if (matches(n)) {
          const callee = below
            ? `${below.callFrame.functionName || '(anonymous)'} ${where(below.callFrame)}`
            : '(self)'
          const key = `${n.callFrame.functionName || '(anonymous)'} → ${callee}`
          pairs.set(key, (pairs.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0))
          inside += profile.timeDeltas[i] ?? 0
          break
        }
        below = n
      }
    }
    console.log(
      `\ntime under frames matching /${values.callees}/ (${per(inside).trim()}), by what they call:`,
    )
    for (const [k, us] of [...pairs].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) {
      console.log(`  ${pct(us)} ${per(us)}  ${k}`)
    }
  }

  if (values.lines) {
    // V8 keeps per-line sample counts of a function's own time (positionTicks).
    const byLine = new Map()
    for (const n of nodes.values()) {
      if (n.callFrame.functionName !== values.lines || !n.callFrame.url.startsWith('file://'))
        continue
      for (const { line, ticks } of n.positionTicks ?? []) {
        const key = `${n.callFrame.url}:${line}`
        byLine.set(key, (byLine.get(key) ?? 0) + ticks)
      }
    }
    const interval =
      profile.samples.length > 0
        ? (profile.endTime - profile.startTime) / profile.samples.length
        : 0
    console.log(`\nown time of ${values.lines}() by source line:`)
    const sources = new Map()
    for (const [key, ticks] of [...byLine]
      .sort((x, y) => y[1] - x[1])
      .slice(0, Number(values.top))) {
      const at = key.lastIndexOf(':')
      const path = fileURLToPath(key.slice(0, at))
      const line = Number(key.slice(at + 1))
      if (!sources.has(path)) sources.set(path, readFileSync(path, 'utf8').split('\n'))
      const text = (sources.get(path)[line - 1] ?? '').trim().slice(0, 100)
      console.log(
        `  ${per(ticks * interval)}  ${where({ url: path, lineNumber: line - 1 })}  ${text}`,
      )
    }
  }

  if (values.focus) {
    // Inclusive time of matching frames, counted once per sample even when they recurse.
    const re = new RegExp(values.focus)
    const matches = (n) => re.test(`${n.callFrame.functionName} ${n.callFrame.url}`)
    const inclusive = new Map()
    for (let i = 0; i < profile.samples.length; i++) {
      const seen = new Set()
      for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) {
        const n = nodes.get(id)
        if (!matches(n)) continue
        const key = `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame)}`
        if (seen.has(key)) continue
        seen.add(key)
        inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0))
      }
    }
    console.log(`\ninclusive time of frames matching /${values.focus}/:`)
    for (const [k, us] of [...inclusive].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) {
      console.log(`  ${pct(us)} ${per(us)}  ${k}`)
    }
  }
}
