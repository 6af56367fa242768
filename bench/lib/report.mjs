// Turns per-variant medians into the table (Markdown, so it pastes into docs/benchmarks.md)
// and the cost targets (issue 15: the SDK floor, metrics, unsampled requests, depth, setup).

/** The median of finite numbers (undefined for none). */
export function median(values) {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (xs.length === 0) return undefined
  const mid = xs.length >> 1
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
}

const fixed = (x, digits = 1) => (x === undefined ? '–' : x.toFixed(digits))
const signed = (x, digits = 1) =>
  x === undefined ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`

/**
 * @param {object[]} rows medians per variant ({ framework, tracer, layers, sampled, rps, cpu, … })
 * @param {Record<string, string>} frameworks display names
 */
export function formatTable(rows, frameworks) {
  const find = (framework, tracer, layers, sampled) =>
    rows.find(
      (r) =>
        r.framework === framework &&
        r.tracer === tracer &&
        r.layers === layers &&
        r.sampled === sampled &&
        r.rounds > 0,
    )
  const bare = (r) => find(r.framework, 'none', r.layers, true)
  // Paired by round: the median of (variant − bare of the same round), which cancels the drift
  // between rounds; the difference of the medians where no round has both.
  const paired = (r, key, combine) => {
    const b = r && bare(r)
    if (!r || !b || r[key] === undefined || b[key] === undefined) return undefined
    const runs = r[`${key}Runs`] ?? []
    const pairs = runs
      .map((x, i) =>
        x === undefined || b[`${key}Runs`]?.[i] === undefined
          ? undefined
          : combine(x, b[`${key}Runs`][i]),
      )
      .filter((x) => Number.isFinite(x))
    return pairs.length > 0 ? median(pairs) : combine(r[key], b[key])
  }
  const added = (r) => paired(r, 'cpu', (x, b) => x - b)
  const throughput = (r) => paired(r, 'rps', (x, b) => (x / b - 1) * 100)
  const cheapestPeer = (framework, layers, sampled) => {
    let best
    for (const r of rows) {
      if (!r.peer || r.framework !== framework || r.layers !== layers || r.sampled !== sampled)
        continue
      const a = added(r)
      if (a !== undefined && (best === undefined || a < best.added)) best = { row: r, added: a }
    }
    return best
  }

  const order = (r) =>
    Object.keys(frameworks).indexOf(r.framework) * 100 +
    (r.layers === 2 ? (r.sampled ? 0 : 10) : 20) +
    (r.tracer === 'none' ? 0 : r.floor ? 1 : r.sdkFloor ? 2 : r.ours ? 3 : 4) // bare, floors, tracehop, peers
  const sorted = [...rows].sort((a, b) => order(a) - order(b))

  const header = [
    'variant',
    'req/s',
    'vs bare',
    'CPU µs/req',
    'added µs/req',
    '× cheapest peer',
    'p50 ms',
    'p99 ms',
    'RSS MB',
    'spans/req',
    'checks',
  ]
  const lines = [header, header.map((h, i) => (i === 0 || i === 10 ? '---' : '---:'))]
  for (const r of sorted) {
    const b = bare(r)
    const a = added(r)
    const peer = r.tracer === 'none' ? undefined : cheapestPeer(r.framework, r.layers, r.sampled)
    const unsampled = r.newTraces ? 'new traces, dropped' : 'unsampled (-00)'
    const extra = [r.layers !== 2 ? `${r.layers} layers` : '', r.sampled ? '' : unsampled]
      .filter(Boolean)
      .join(', ')
    const name = `${frameworks[r.framework]} ${r.label}${extra ? ` · ${extra}` : ''}`
    lines.push([
      r.ours ? `**${name}**` : name,
      fixed(r.rps, 0),
      r === b || !b || r.rps === undefined ? '' : `${signed(throughput(r))}%`,
      fixed(r.cpu),
      r.tracer === 'none' ? '' : signed(a),
      peer && a !== undefined && peer.added > 0 ? (a / peer.added).toFixed(2) : '',
      fixed(r.p50, 0),
      fixed(r.p99, 0),
      fixed(r.rss, 0),
      r.tracer === 'none' ? '' : fixed(r.spans, 2),
      r.rounds === 0 ? 'no run' : r.failed ? 'FAILED' : r.tracer === 'none' ? '–' : 'ok',
    ])
  }
  const table = lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n')

  const targets = []
  const sdkFloorLimit = { http: 1.1, fastify: 1.1, express: 1.25 }
  for (const framework of Object.keys(frameworks)) {
    const name = frameworks[framework]
    // the SDK floor records no metric: compare it with the row that records none either
    const bare = added(find(framework, 'tracehop-nometrics', 2, true))
    const floor = added(find(framework, 'sdk-floor', 2, true))
    const limit = sdkFloorLimit[framework] ?? 1.1
    if (bare !== undefined && floor !== undefined && floor > 0) {
      targets.push({
        pass: bare / floor <= limit,
        text: `${name}: tracehop without the metric adds ${fixed(bare)} µs/req, the SDK floor ${fixed(floor)}: ${(bare / floor).toFixed(2)}× it (target ≤ ${limit.toFixed(2)}×)`,
      })
    }
    const a = added(find(framework, 'tracehop', 2, true))
    const peer = cheapestPeer(framework, 2, true)
    if (a !== undefined && peer) {
      const ratio = a / peer.added
      targets.push({
        pass: ratio <= 0.5,
        text: `${name}: tracehop adds ${fixed(a)} µs/req, the cheapest peer (${peer.row.label}) ${fixed(peer.added)} µs/req: ${ratio.toFixed(2)} of it (target ≤ 0.50)`,
      })
    }
  }
  for (const framework of Object.keys(frameworks)) {
    const name = frameworks[framework]
    // the target holds where startTracing() owns the MeterProvider; a user's own (the plain
    // setup) keeps the API path, shown for the record
    for (const [withId, withoutId, where] of [
      ['tracehop-start-metrics', 'tracehop-start', 'on startTracing()'],
      ['tracehop', 'tracehop-nometrics', "on the app's own MeterProvider"],
    ]) {
      const withMetric = added(find(framework, withId, 2, true))
      const without = added(find(framework, withoutId, 2, true))
      if (withMetric === undefined || without === undefined) continue
      const cost = withMetric - without
      targets.push(
        withId === 'tracehop'
          ? {
              note: true,
              text: `${name}: the duration metric ${where} costs ${signed(cost)} µs/req`,
            }
          : {
              pass: cost <= 1,
              text: `${name}: the duration metric ${where} costs ${signed(cost)} µs/req (target ≤ 1)`,
            },
      )
    }
  }
  for (const framework of Object.keys(frameworks)) {
    const name = frameworks[framework]
    const plain = find(framework, 'tracehop-nometrics', 2, true)
    const started = find(framework, 'tracehop-start', 2, true)
    const a = added(plain)
    const b = added(started)
    if (a !== undefined && b !== undefined) {
      const rss = started.rss - plain.rss
      targets.push({
        pass: Math.abs(b - a) <= 1 && Math.abs(rss) <= 5,
        text: `${name}: on startTracing() tracehop adds ${fixed(b)} µs/req, on a hand-made SDK ${fixed(a)}: ${signed(b - a)} µs/req, RSS ${signed(rss, 0)} MB (target within ±1 µs and ±5 MB)`,
      })
    }
  }
  {
    const ours = find('express', 'tracehop', 2, true)
    const b = ours && bare(ours)
    if (ours && b) {
      const loss = -throughput(ours)
      targets.push({
        pass: loss <= 5,
        text: `Express throughput with tracehop: ${fixed(ours.rps, 0)} vs ${fixed(b.rps, 0)} req/s bare, ${fixed(loss)}% lost (target ≤ 5%)`,
      })
    }
  }
  for (const framework of Object.keys(frameworks)) {
    // startTracing() declares its sampler, so an unsampled request skips the SDK; with a hand-made
    // SDK the adapters cannot know what the sampler does and ask it. Each unsampled row is set
    // against the sampled row of the same setup; a new trace that sampleRatio drops, against the
    // sampled startTracing() request.
    for (const [unsampledTracer, sampledTracer, what, where] of [
      ['tracehop-start-metrics', 'tracehop-start-metrics', 'unsampled (-00)', 'on startTracing()'],
      ['tracehop', 'tracehop', 'unsampled (-00)', 'on a hand-made SDK'],
      [
        'tracehop-start-dropped',
        'tracehop-start-metrics',
        'a new trace sampleRatio drops',
        'on startTracing()',
      ],
    ]) {
      const unsampled = added(find(framework, unsampledTracer, 2, false))
      const sampled = added(find(framework, sampledTracer, 2, true))
      if (unsampled === undefined || sampled === undefined || sampled <= 0) continue
      targets.push({
        pass: unsampled <= sampled / 2,
        text: `${frameworks[framework]} ${what} ${where}: tracehop adds ${fixed(unsampled)} µs/req, ${(unsampled / sampled).toFixed(2)} of a sampled request's ${fixed(sampled)} (target ≤ 0.50)`,
      })
    }
  }
  for (const framework of Object.keys(frameworks)) {
    const depth = (tracer) => {
      const a2 = added(find(framework, tracer, 2, true))
      const a20 = added(find(framework, tracer, 20, true))
      return a2 === undefined || a20 === undefined ? undefined : a20 - a2
    }
    const d = depth('tracehop')
    if (d === undefined) continue
    const peers = rows
      .filter((r) => r.peer && r.framework === framework && r.layers === 20)
      .map((r) => `${r.label} ${signed(depth(r.tracer))}`)
      .join(', ')
    targets.push({
      pass: Math.abs(d) <= 2,
      text: `${frameworks[framework]} 20 layers vs 2: tracehop's added cost changes by ${signed(d)} µs/req (target within ±2; peers: ${peers || '–'})`,
    })
  }
  for (const framework of Object.keys(frameworks)) {
    const floor = added(find(framework, 'floor', 2, true))
    const ours = added(find(framework, 'tracehop', 2, true))
    if (floor === undefined || ours === undefined) continue
    // Every AsyncLocalStorage-based tracer pays the floor: above it is what tracing itself costs.
    const peer = cheapestPeer(framework, 2, true)
    const versus =
      peer === undefined
        ? ''
        : `, the cheapest peer ${fixed(peer.added - floor)} (${((ours - floor) / (peer.added - floor)).toFixed(2)} of it); the floor alone is ${(floor / peer.added).toFixed(2)} of the peer's added cost`
    targets.push({
      note: true,
      text: `${frameworks[framework]}: the floor (one context.with per request, so async hooks run for every promise and resource) adds ${fixed(floor)} µs/req; above it tracehop adds ${fixed(ours - floor)}${versus}`,
    })
  }
  return { table, targets }
}
