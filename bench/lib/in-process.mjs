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

const depth = (framework, name, layers) => ({
  group: 'depth',
  key: framework,
  log: `${name} depth`,
  row: `${name}: 20 layers less 2, tracehop's added cost`,
  text: (values) => `${name}: 20 ${layers} cost tracehop ${values} µs/req more than 2`,
  script: 'depth.cjs',
  args: ['--framework', framework, '--setup', 'start'],
  // tracehop's added cost at 20 layers less its added cost at 2
  read: (run) => ({ value: run.change, perRound: run.changeRounds }),
  target: 2,
})

const metric = (setup, what, target) => ({
  group: 'metrics',
  key: setup,
  log: `duration metric on ${what}`,
  row: `the duration metric on ${what}, in core's lifecycle`,
  text: (values) => `the duration metric on ${what} costs ${values} µs/req in core's lifecycle`,
  script: 'lifecycle.cjs',
  args: ['--setup', setup, 'nometric=packages@{"metrics":false}', 'metric=packages'],
  // the build with the metric less the one without, round by round
  read: (run) => ({ value: run.builds[1].vsFirst, perRound: run.builds[1].vsFirstRounds }),
  target,
})

const MEASUREMENTS = [
  depth('express', 'Express 5', 'middleware layers'),
  depth('fastify', 'Fastify 5', 'preHandler hooks'),
  metric('start-metrics', "startTracing()'s own MeterProvider", 1),
  metric('sdk', "the app's own MeterProvider (metrics API)", undefined),
]

/**
 * Runs every in-process measurement `processes` times, each of `rounds` rounds; resolves to the
 * Markdown table, the targets ({ pass, note, text }, as report.mjs gives them) and the raw results.
 */
export async function measureInProcess({ processes = 2, rounds = 9, log = () => {} } = {}) {
  const rows = []
  const targets = []
  const results = { depth: {}, metrics: {} }

  for (const m of MEASUREMENTS) {
    const runs = []
    for (let p = 0; p < processes; p++) {
      const run = m.read(await runScript(m.script, [...m.args, '--rounds', String(rounds)]))
      log(`in process: ${m.log}, process ${p + 1}: ${signed(run.value)} µs/req`)
      runs.push(run)
    }
    results[m.group][m.key] = runs
    const target = m.target === undefined ? '–' : `≤ ${m.target}`
    for (const [p, run] of runs.entries()) {
      rows.push(
        `| ${m.row} (process ${p + 1}) | ${signed(run.value)} | ${list(run.perRound)} | ${target} |`,
      )
    }
    const values = runs.map((r) => signed(r.value)).join(' and ')
    targets.push(
      m.target === undefined
        ? { note: true, text: `${m.text(values)} (in process)` }
        : {
            pass: Math.max(...runs.map((r) => r.value)) <= m.target,
            text: `${m.text(values)} (in process, ${processes} processes × ${rounds} rounds; target ≤ ${m.target} in every process)`,
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
