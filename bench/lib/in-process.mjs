// The part of `pnpm bench` that the socket rows cannot resolve on a noisy machine: differences of
// about a microsecond. Each measurement runs the variants it compares in one process, taking
// turns batch by batch in a random order (micro/turns.cjs), so the machine's drift falls on all of
// them alike; each is run in more than one process, and every process must meet the target.
//
//   depth:   micro/depth.cjs, four servers (bare and tracehop, 2 and 20 layers) on startTracing()
//   metrics: micro/lifecycle.cjs, core's lifecycle with and without the duration metric, on
//            startTracing()'s own MeterProvider (the target) and on the metrics API (a note)
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DEPTH_TARGET = 2
const METRIC_TARGET = 1

/** Runs one micro-benchmark script with `--json` and resolves to what it printed. */
function runScript(script, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`bench/micro/${script}`, '--json', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (err += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1)
      if (code !== 0 || line === undefined || !line.startsWith('{')) {
        reject(new Error(`${script} ${args.join(' ')} exited ${code}: ${err.trim() || out.trim()}`))
        return
      }
      resolve(JSON.parse(line))
    })
  })
}

const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`
const list = (xs) => xs.map((x) => x.toFixed(1)).join(' ')

/**
 * Runs every in-process measurement `processes` times, each of `rounds` rounds; resolves to the
 * Markdown table, the targets ({ pass, note, text }, as report.mjs gives them) and the raw results.
 */
export async function measureInProcess({ processes = 2, rounds = 9, log = () => {} } = {}) {
  const rows = []
  const targets = []
  const results = { depth: {}, metrics: {} }

  for (const [framework, name] of [
    ['express', 'Express 5'],
    ['fastify', 'Fastify 5'],
  ]) {
    const runs = []
    for (let p = 0; p < processes; p++) {
      const run = await runScript('depth.cjs', [
        '--framework',
        framework,
        '--setup',
        'start',
        '--rounds',
        String(rounds),
      ])
      log(`in process: ${name} depth, process ${p + 1}: ${signed(run.change)} µs/req`)
      runs.push(run)
    }
    results.depth[framework] = runs
    const worst = Math.max(...runs.map((r) => r.change))
    for (const [p, run] of runs.entries()) {
      rows.push(
        `| ${name}: 20 layers less 2, tracehop's added cost (process ${p + 1}) | ${signed(run.change)} | ${list(run.changeRounds)} | ≤ ${DEPTH_TARGET} |`,
      )
    }
    targets.push({
      pass: worst <= DEPTH_TARGET,
      text: `${name}: 20 ${framework === 'express' ? 'middleware layers' : 'preHandler hooks'} cost tracehop ${runs.map((r) => signed(r.change)).join(' and ')} µs/req more than 2 (in process, ${processes} processes × ${rounds} rounds; target ≤ ${DEPTH_TARGET} in every process)`,
    })
  }

  for (const [setup, what, target] of [
    ['start-metrics', "startTracing()'s own MeterProvider", true],
    ['sdk', "the app's own MeterProvider (metrics API)", false],
  ]) {
    const runs = []
    for (let p = 0; p < processes; p++) {
      const run = await runScript('lifecycle.cjs', [
        '--setup',
        setup,
        '--rounds',
        String(rounds),
        'nometric=packages@{"metrics":false}',
        'metric=packages',
      ])
      const [without, withMetric] = run.builds
      const cost = withMetric.vsFirst
      const perRound = withMetric.rounds.map((x, i) => x - without.rounds[i])
      log(`in process: duration metric on ${what}, process ${p + 1}: ${signed(cost)} µs/req`)
      runs.push({ cost, perRound, without: without.cpu, with: withMetric.cpu })
    }
    results.metrics[setup] = runs
    for (const [p, run] of runs.entries()) {
      rows.push(
        `| the duration metric on ${what}, in core's lifecycle (process ${p + 1}) | ${signed(run.cost)} | ${list(run.perRound)} | ${target ? `≤ ${METRIC_TARGET}` : '–'} |`,
      )
    }
    const costs = runs.map((r) => signed(r.cost)).join(' and ')
    targets.push(
      target
        ? {
            pass: Math.max(...runs.map((r) => r.cost)) <= METRIC_TARGET,
            text: `the duration metric on ${what} costs ${costs} µs/req in core's lifecycle (in process, ${processes} processes × ${rounds} rounds; target ≤ ${METRIC_TARGET} in every process)`,
          }
        : {
            note: true,
            text: `the duration metric on ${what} costs ${costs} µs/req in core's lifecycle (in process)`,
          },
    )
  }

  const table = [
    '| measured in one process | median µs/req | each round | target |',
    '| --- | ---: | --- | ---: |',
    ...rows,
  ].join('\n')
  return { table, targets, results, processes, rounds }
}
