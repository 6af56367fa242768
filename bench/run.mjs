// pnpm bench: what tracing costs per request, tracehop beside the OpenTelemetry peers, measured
// in the same run on the same machine. Each variant runs in its own process; load comes from
// autocannon on 127.0.0.1; rounds are interleaved (A B C … A B C …) and the table shows medians.
// Every traced run is checked (spans exported, SERVER span continues the client's trace, one
// SERVER span per request, the handler sees the trace); a failed check exits non-zero.
//
// Options (flag or environment variable):
//   --duration S   BENCH_DURATION     measured seconds per run (10)
//   --warmup S     BENCH_WARMUP       warm-up seconds per run, not measured (3)
//   --rounds N     BENCH_ROUNDS       rounds, each runs every variant once (3)
//   --connections N BENCH_CONNECTIONS autocannon connections (50)
//   --rate N       BENCH_RATE         fixed total request rate instead of as fast as it goes
//   --only a,b     BENCH_ONLY         variants matching any selector: id segments, e.g. `http`,
//                                     `express/tracehop`, `unsampled`, `20-layers`, `none`;
//                                     `in-process` selects the in-process section (below)
//   --skip-in-process BENCH_IN_PROCESS=0  leave out the in-process section: after the table,
//                                     the differences of about a microsecond the socket rows
//                                     cannot resolve (the SDK floor, unsampled requests, depth,
//                                     the duration metric), measured with the variants taking
//                                     turns in one process (lib/in-process.mjs)
//   --json FILE    BENCH_JSON         also write every run and the medians as JSON
//   --markdown FILE BENCH_MARKDOWN    also write the results section for docs/benchmarks.md
//   --profile ID   BENCH_PROFILE      run the variants matching ID under --cpu-prof (into $TMPDIR/tracehop-bench-profiles)
//   --perf ID      BENCH_PERF         record the measured window of the variants matching ID with
//                                     `perf record -g` (kernel included) and print where the CPU
//                                     went, in µs per request (files in $TMPDIR/tracehop-bench-profiles)
//   --strict       BENCH_STRICT=1     a missed target also exits non-zero
//   --self-test                       run deliberately broken tracers; passes only if all are caught
//   --help                            this text
import autocannon from 'autocannon'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import process from 'node:process'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { clientContext, startServer } from './lib/child.mjs'
import { measureInProcess } from './lib/in-process.mjs'
import { analyze, formatPerf, recordPerf } from './lib/perf.mjs'
import { formatTable, median } from './lib/report.mjs'

let flags
try {
  ;({ values: flags } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'string' },
      markdown: { type: 'string' },
      profile: { type: 'string' },
      perf: { type: 'string' },
      strict: { type: 'boolean' },
      'skip-in-process': { type: 'boolean' },
      'self-test': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }))
} catch (error) {
  console.error(`${error.message}; see \`node bench/run.mjs --help\``)
  process.exit(2)
}
if (flags.help) {
  // the usage is the comment at the top of this file
  const source = readFileSync(new URL(import.meta.url), 'utf8')
  const usage = source.slice(0, source.indexOf('\nimport ')).replace(/^\/\/ ?/gm, '')
  console.log(usage.trim())
  process.exit(0)
}
const env = process.env
const num = (flag, name, fallback) => {
  const value = Number(flags[flag] ?? env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`--${flag} must be > 0`)
  return value
}
const selfTest = flags['self-test'] === true
const settings = {
  duration: num('duration', 'BENCH_DURATION', selfTest ? 2 : 10),
  warmup: num('warmup', 'BENCH_WARMUP', selfTest ? 1 : 3),
  rounds: num('rounds', 'BENCH_ROUNDS', selfTest ? 1 : 3),
  connections: num('connections', 'BENCH_CONNECTIONS', 50),
  // Optional fixed request rate: every variant then serves the same load, so CPU per request
  // compares code paths without the batching a saturated server gets for free.
  rate: (flags.rate ?? env.BENCH_RATE) ? num('rate', 'BENCH_RATE', 0) : undefined,
}
const selectors = (flags.only ?? env.BENCH_ONLY ?? '').split(',').filter(Boolean)
const only = selectors.filter((s) => s !== 'in-process')
const inProcess =
  !selfTest &&
  flags['skip-in-process'] !== true &&
  env.BENCH_IN_PROCESS !== '0' &&
  (selectors.length === 0 || selectors.includes('in-process'))
const profile = flags.profile ?? env.BENCH_PROFILE
const perf = flags.perf ?? env.BENCH_PERF
const strict = flags.strict === true || env.BENCH_STRICT === '1'
const jsonOut = flags.json ?? env.BENCH_JSON
const markdownOut = flags.markdown ?? env.BENCH_MARKDOWN
const PROFILE_DIR = join(os.tmpdir(), 'tracehop-bench-profiles/')

const FRAMEWORKS = { express: 'Express 5', fastify: 'Fastify 5', http: 'node:http' }
const TRACERS = {
  none: { label: 'bare' },
  floor: { label: 'context.with only (the floor)', floor: true },
  'sdk-floor': { label: 'SDK floor (extract, one SERVER span, context.with)', sdkFloor: true },
  tracehop: { label: 'tracehop', ours: true },
  'tracehop-nometrics': { label: 'tracehop, no duration metric', ours: true, metrics: false },
  'tracehop-start': {
    label: 'tracehop on startTracing(), no duration metric',
    ours: true,
    metrics: false,
  },
  'tracehop-start-metrics': { label: 'tracehop on startTracing()', ours: true },
  'tracehop-start-dropped': {
    label: 'tracehop on startTracing(), sampleRatio 0',
    ours: true,
    newTraces: true,
  },
  otel: { label: 'instrumentation-http + -express', peer: true },
  'otel-http': { label: 'instrumentation-http', peer: true },
  'fastify-otel': { label: '@fastify/otel', peer: true },
  'fastify-otel-http': { label: '@fastify/otel + instrumentation-http', peer: true },
  noop: { label: 'a tracer that does nothing', broken: 'spans exported > 0' },
  orphan: { label: 'a tracer that ignores the incoming context', broken: 'SERVER span continues' },
  double: { label: 'a tracer with two SERVER spans', broken: 'one SERVER span per request' },
}

function variant(framework, tracer, layers = 2, sampled = true) {
  const id = `${framework}/${tracer}${layers === 2 ? '' : `/${layers}-layers`}${sampled ? '' : '/unsampled'}`
  return { id, framework, tracer, layers, sampled, ...TRACERS[tracer] }
}

function allVariants() {
  const list = []
  const groups = {
    express: ['none', 'floor', 'sdk-floor', 'tracehop', 'otel'],
    fastify: ['none', 'floor', 'sdk-floor', 'tracehop', 'fastify-otel', 'fastify-otel-http'],
    http: ['none', 'floor', 'sdk-floor', 'tracehop', 'otel-http'],
  }
  for (const [framework, tracers] of Object.entries(groups)) {
    for (const tracer of tracers) list.push(variant(framework, tracer))
    // What the duration metric costs (one sampled row: @fastify/otel records no metric at all),
    // and what startTracing() costs over a hand-made SDK (both without the metric).
    list.push(variant(framework, 'tracehop-nometrics'))
    list.push(variant(framework, 'tracehop-start'))
    list.push(variant(framework, 'tracehop-start-metrics'))
    // unsampled on startTracing(), whose declared sampler lets the adapters skip the SDK, for a
    // caller that did not sample (-00) and for new traces the sampler drops
    list.push(variant(framework, 'tracehop-start-metrics', 2, false))
    list.push(variant(framework, 'tracehop-start-dropped', 2, false))
    // Unsampled and 20-layer rows for the tracers; each floor is one row per framework.
    const tracing = tracers.filter((t) => t !== 'floor' && t !== 'sdk-floor')
    for (const tracer of tracing) {
      if (tracer !== 'none') list.push(variant(framework, tracer, 2, false))
    }
    if (framework !== 'http')
      for (const tracer of tracing) list.push(variant(framework, tracer, 20))
  }
  return list
}

/** `express/tracehop` selects every variant whose id has both segments (its unsampled and 20-layer rows too). */
function matches(id, selector) {
  const segments = id.split('/')
  return selector.split('/').every((part) => segments.includes(part))
}

const variants = selfTest
  ? ['noop', 'orphan', 'double'].map((tracer) => variant('http', tracer))
  : only.length === 0 && selectors.length > 0
    ? [] // --only in-process
    : allVariants().filter((v) => only.length === 0 || only.some((s) => matches(v.id, s)))
if (variants.length === 0 && !inProcess) {
  throw new Error(`no variant matches --only ${selectors.join(',')}`)
}

/** One measured run: fresh process, warm-up, measured window, checks. */
async function runOnce(v) {
  const client = clientContext(v.sampled)
  const execArgv = []
  if (profile && v.id.includes(profile)) {
    mkdirSync(PROFILE_DIR, { recursive: true })
    execArgv.push('--cpu-prof', '--cpu-prof-interval', '200', '--cpu-prof-dir', PROFILE_DIR)
  }
  const perfThis = perf !== undefined && v.id.includes(perf)
  // perf names JIT-compiled JavaScript frames from the map file this flag writes
  if (perfThis) {
    mkdirSync(PROFILE_DIR, { recursive: true })
    // the flag also turns on V8's log: keep it out of the working directory
    execArgv.push(
      '--perf-basic-prof',
      '--no-logfile-per-isolate',
      `--logfile=${PROFILE_DIR}v8-%p.log`,
    )
  }
  const server = await startServer(
    {
      framework: v.framework,
      tracer: v.tracer,
      layers: v.layers,
      traceId: client.traceId,
      parentSpanId: client.parentSpanId,
    },
    { execArgv },
  )
  try {
    const load = (duration) =>
      autocannon({
        url: `http://127.0.0.1:${server.port}/users/42`,
        connections: settings.connections,
        duration,
        ...(settings.rate ? { overallRate: settings.rate } : {}),
        headers: v.newTraces
          ? { authorization: 'Bearer bench-token' }
          : { authorization: 'Bearer bench-token', traceparent: client.traceparent },
      })
    await load(settings.warmup)
    await server.ask('start')
    const recording = perfThis
      ? recordPerf(server.pid, `${PROFILE_DIR}${v.id.replaceAll('/', '_')}-${server.pid}`)
      : undefined
    const ac = await load(settings.duration)
    const perfStacks = await recording?.stop()
    const r = await server.ask('stop')
    if (perfStacks !== undefined) {
      console.log(
        `perf of ${v.id} (${recording.file}):\n${formatPerf(analyze(perfStacks), { perRequest: r.cpuMicros / r.requests })}\n`,
      )
    }
    const run = {
      rps: r.requests / r.seconds,
      cpu: r.cpuMicros / r.requests,
      cpuSystem: r.cpuSystemMicros / r.requests,
      gc: r.gcMicros / r.requests,
      p50: ac.latency.p50,
      p99: ac.latency.p99,
      rss: r.rss / 2 ** 20,
      spans: r.started === undefined ? 0 : r.started / r.requests,
      requests: r.requests,
      sample: r.totals?.sample,
      durationMetric: r.totals?.durationMetric,
      failures: check(v, r, ac, client),
    }
    if (execArgv.length > 0) {
      writeFileSync(
        `${PROFILE_DIR}${v.id.replaceAll('/', '_')}-${server.pid}.json`,
        JSON.stringify({
          variant: v.id,
          pid: server.pid,
          requestsMeasured: r.requests,
          // The profile covers warm-up too; the last few requests after the window are not counted.
          requestsTotal: r.requestsTotal,
          cpuPerRequest: r.cpuMicros / r.requests,
        }),
      )
    }
    return run
  } finally {
    await server.close()
  }
}

/** What tracehop's SERVER span must carry for this app's requests (DESIGN.md, lifecycle step 4). */
const FULL_ATTRIBUTES = [
  'http.request.method',
  'url.path',
  'url.scheme',
  'server.address',
  'server.port',
  'client.address',
  'network.protocol.version',
  'http.route',
  'http.response.status_code',
]

/** Every check a run must pass; returns the ones it failed. A check here must be able to fail. */
function check(v, r, ac, client) {
  const failures = []
  const must = (ok, what) => {
    if (!ok) failures.push(what)
  }
  must(r.requests > 0, 'server answered requests')
  must(
    ac.errors === 0 && ac.timeouts === 0,
    `no client errors (${ac.errors} errors, ${ac.timeouts} timeouts)`,
  )
  const statuses = Object.entries(ac.statusCodeStats ?? {})
    .map(([code, { count }]) => `${count}× ${code}`)
    .join(', ')
  must(ac.non2xx === 0, `every response 2xx (${ac.non2xx} were not: ${statuses})`)
  if (v.tracer === 'none') return failures
  if (v.floor) {
    // No tracer: nothing to check beyond the app answering (above).
    return failures
  }
  must(
    r.contextChecked > 0 && r.contextMismatch === 0,
    `handler sees ${v.newTraces ? 'a trace' : "the client's trace id"} (${r.contextMismatch} of ${r.contextChecked} did not)`,
  )
  const t = r.totals
  if (v.sampled) {
    must(t.exported > 0, 'spans exported > 0')
    must(
      t.serverExported > 0 && t.serverMismatch === 0,
      `SERVER span continues trace ${client.traceId} parent ${client.parentSpanId} (${t.serverMismatch} of ${t.serverExported} did not; sample ${JSON.stringify(t.sample)})`,
    )
    // Requests still in flight at the window edges are the only slack allowed.
    must(
      Math.abs(r.serverEnded - r.requests) <= Math.max(1, r.requests * 0.001),
      `one SERVER span per request (${r.serverEnded} for ${r.requests} requests)`,
    )
  } else {
    must(t.exported === 0, `unsampled requests export nothing (${t.exported} spans)`)
  }
  if (v.ours && v.sampled) {
    const missing = FULL_ATTRIBUTES.filter((a) => !t.sample?.attributes.includes(a))
    must(
      t.sample?.name === 'GET /users/:id' && missing.length === 0,
      `SERVER span named "GET /users/:id" with the full attribute set (name "${t.sample?.name}", missing ${missing.join(', ') || 'none'})`,
    )
  }
  if (v.ours && v.metrics !== false) {
    must(
      t.durationCount >= r.requests,
      `duration metric recorded (${t.durationMetric}: ${t.durationCount} for ${r.requests} requests)`,
    )
  }
  return failures
}

function machine() {
  const cpus = os.cpus()
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  }
}

async function main() {
  const started = new Date()
  console.log(
    `tracehop bench: ${variants.length} variants × ${settings.rounds} rounds, ${settings.warmup} s warm-up + ${settings.duration} s measured, ${settings.connections} connections`,
  )
  const loadAtStart = machine().load
  console.log(`machine: ${JSON.stringify(machine())}`)
  const runs = new Map(variants.map((v) => [v.id, []]))
  const failures = []
  for (let round = 1; round <= settings.rounds; round++) {
    // A B C, C B A, …: drift during the run (the machine's other load) weighs on every variant alike.
    for (const v of round % 2 === 1 ? variants : [...variants].reverse()) {
      let run
      try {
        run = await runOnce(v)
      } catch (error) {
        run = { failures: [`run failed: ${error.message}`] }
      }
      runs.get(v.id).push(run)
      for (const f of run.failures) failures.push(`${v.id} round ${round}: ${f}`)
      const line =
        run.rps === undefined
          ? 'FAILED'
          : `${run.rps.toFixed(0)} req/s, ${run.cpu.toFixed(1)} µs/req (${run.cpuSystem.toFixed(1)} system, ${run.gc.toFixed(1)} GC pauses), p99 ${run.p99} ms, ${run.spans.toFixed(2)} spans/req`
      console.log(
        `[${round}/${settings.rounds}] ${v.id.padEnd(36)} ${line}${run.failures.length ? `  ✗ ${run.failures.join('; ')}` : ''}`,
      )
    }
  }

  if (selfTest) {
    // Each broken tracer must fail, and fail the very check it was built to break.
    let ok = true
    for (const v of variants) {
      const caught = runs.get(v.id).every((r) => r.failures.some((f) => f.startsWith(v.broken)))
      console.log(`${caught ? 'caught ' : 'MISSED '} ${v.label}: expected "${v.broken}" to fail`)
      ok &&= caught
    }
    process.exitCode = ok ? 0 : 1
    return
  }

  const medians = variants.map((v) => {
    const ok = runs.get(v.id).filter((r) => r.rps !== undefined)
    const pick = (key) => median(ok.map((r) => r[key]))
    return {
      ...v,
      rounds: ok.length,
      // Per round (undefined where a run failed), so the report can pair each run with the
      // bare run of the same round.
      cpuRuns: runs.get(v.id).map((r) => r.cpu),
      rpsRuns: runs.get(v.id).map((r) => r.rps),
      rps: pick('rps'),
      cpu: pick('cpu'),
      p50: pick('p50'),
      p99: pick('p99'),
      rss: pick('rss'),
      spans: pick('spans'),
      sample: ok.find((r) => r.sample)?.sample,
      durationMetric: ok.find((r) => r.durationMetric)?.durationMetric,
      failed: runs.get(v.id).some((r) => r.failures.length > 0),
    }
  })
  const verdict = (t) => (t.note ? 'NOTE' : t.pass ? 'PASS' : 'MISS')
  const report = variants.length > 0 ? formatTable(medians, FRAMEWORKS) : undefined
  if (report !== undefined) {
    console.log(`\n${report.table}\n`)
    console.log(report.targets.map((t) => `${verdict(t)}  ${t.text}`).join('\n'))
  }

  let measured
  if (inProcess) {
    console.log('\nin process: the variants of each measurement take turns in one process')
    try {
      measured = await measureInProcess({ log: (line) => console.log(line) })
      console.log(`\n${measured.table}\n`)
      console.log(measured.targets.map((t) => `${verdict(t)}  ${t.text}`).join('\n'))
    } catch (error) {
      failures.push(`in-process section failed: ${error.message}`)
    }
  }
  const targets = [...(report?.targets ?? []), ...(measured?.targets ?? [])]

  if (markdownOut) {
    const m = machine()
    const bullets = (ts) =>
      ts.map((t) => `- ${t.note ? 'note' : t.pass ? 'PASS' : '**MISS**'}: ${t.text}`)
    writeFileSync(
      markdownOut,
      [
        `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${
          variants.length === 0
            ? 'the in-process section alone'
            : `${variants.length} variants × ${settings.rounds} rounds, ${settings.warmup} s warm-up + ${settings.duration} s measured each, ${settings.connections} connections; medians`
        }.`,
        `Machine: ${m.cpu}, ${m.memory}, ${m.os}, Node ${m.node}; load average at the start ${loadAtStart}, at the end ${m.load}.`,
        '',
        ...(report === undefined ? [] : [report.table, '', ...bullets(report.targets), '']),
        ...(measured === undefined
          ? []
          : [
              `In process (each measurement in ${measured.processes} processes of ${measured.rounds} rounds, the variants taking turns batch by batch; CPU of server and client, the client's part the same for every variant):`,
              '',
              measured.table,
              '',
              ...bullets(measured.targets),
              '',
            ]),
      ].join('\n'),
    )
  }
  if (jsonOut) {
    writeFileSync(
      jsonOut,
      JSON.stringify(
        {
          started,
          settings,
          machine: machine(),
          medians,
          runs: Object.fromEntries(runs),
          report,
          inProcess: measured,
        },
        null,
        2,
      ),
    )
  }
  if (failures.length > 0) {
    console.error(`\n${failures.length} check(s) failed:\n  ${failures.join('\n  ')}`)
    process.exitCode = 1
  } else if (strict && targets.some((t) => !t.note && !t.pass)) {
    console.error('\nA target was missed (--strict).')
    process.exitCode = 1
  }
}

await main()
