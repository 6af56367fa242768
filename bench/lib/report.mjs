// Turns per-variant medians into the table (Markdown, so it pastes into docs/benchmarks.md)
// and the targets of issue 7.

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
    (r.tracer === 'none' ? 0 : r.floor ? 1 : r.ours ? 2 : 3) // bare, floor, tracehop, the peers
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
    const extra = [r.layers !== 2 ? `${r.layers} layers` : '', r.sampled ? '' : 'unsampled (-00)']
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
  for (const framework of Object.keys(frameworks)) {
    const ours = find(framework, 'tracehop', 2, true)
    const peer = cheapestPeer(framework, 2, true)
    const a = added(ours)
    if (a !== undefined && peer) {
      const ratio = a / peer.added
      targets.push({
        pass: ratio <= 0.2,
        text: `${frameworks[framework]}: tracehop adds ${fixed(a)} µs/req, the cheapest peer (${peer.row.label}) ${fixed(peer.added)} µs/req: ${ratio.toFixed(2)} of it (target ≤ 0.20)`,
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
    const a = added(find(framework, 'tracehop', 2, false))
    if (a !== undefined) {
      targets.push({
        pass: a <= 3,
        text: `${frameworks[framework]} unsampled (-00): tracehop adds ${fixed(a)} µs/req (target ≤ 3)`,
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
      pass: Math.abs(d) <= 1,
      text: `${frameworks[framework]} 20 layers vs 2: tracehop's added cost changes by ${signed(d)} µs/req (target within ±1; peers: ${peers || '–'})`,
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
