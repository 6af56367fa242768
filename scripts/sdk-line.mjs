// Moves the workspace between the two OpenTelemetry SDK lines it is tested on:
//   node scripts/sdk-line.mjs 3         SDK 3 (api 1.10, Node >= 22.15): package.json files and the lockfile
//   node scripts/sdk-line.mjs 2         back to SDK 2 (api 1.9, Node 20), the committed state (git checkout)
//   node scripts/sdk-line.mjs pin       writes the SDK 2 versions of LINES into the package.json files
//   node scripts/sdk-line.mjs lock      regenerates scripts/sdk3/pnpm-lock.yaml after a dependency change
// Only dependencies and devDependencies are rewritten; the published peer ranges cover both lines.
import { execFileSync } from 'node:child_process'
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const SDK3_LOCK = join(root, 'scripts/sdk3/pnpm-lock.yaml')

/** The stable SDK packages (2.x / 3.x). */
const STABLE = new Set([
  'context-async-hooks',
  'core',
  'resources',
  'sdk-metrics',
  'sdk-trace',
  'propagator-b3',
])
/** Per line: the api, the stable packages, the experimental (0.x) packages, and contrib pins. */
const LINES = {
  2: {
    // the last consistent SDK 2 set: instrumentation-http 0.223.0 pins core 2.12.0
    api: '1.9.0',
    stable: '2.12.0',
    experimental: '0.223.0',
    contrib: {
      'instrumentation-express': '0.71.0',
      'instrumentation-ioredis': '^0.71.0',
      'instrumentation-pg': '~0.76.0',
    },
  },
  3: {
    api: '1.10.0',
    stable: '^3.1.1',
    experimental: '^0.301.0',
    // contrib's pg and ioredis releases for SDK 3 still depend on instrumentation ^0.300
    contrib: {
      'instrumentation-express': '0.72.0',
      'instrumentation-ioredis': '^0.72.0',
      'instrumentation-pg': '^0.77.0',
    },
  },
}

/** Pins that stay on both lines: the viewer bundles the protobuf definitions of this release. */
const KEEP = { '@tracehop/viewer': new Set(['@opentelemetry/otlp-transformer']) }

function workspaceManifests() {
  const dirs = ['.', 'bench', 'test-utils']
  for (const parent of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, parent))) dirs.push(join(parent, name))
  }
  return dirs
    .map((dir) => join(root, dir, 'package.json'))
    .filter((file) => {
      try {
        readFileSync(file)
        return true
      } catch {
        return false
      }
    })
}

function versionFor(line, name) {
  const short = name.slice('@opentelemetry/'.length)
  if (short === 'api') return line.api
  if (short === 'semantic-conventions' || short.startsWith('api-')) return undefined
  if (line.contrib[short]) return line.contrib[short]
  if (STABLE.has(short)) return line.stable
  if (/^(exporter-|otlp-|instrumentation$|instrumentation-http$|sdk-logs$|sdk-node$)/.test(short)) {
    return line.experimental
  }
  return undefined // contrib packages keep their own version unless listed
}

function rewrite(lineNumber) {
  const line = LINES[lineNumber]
  const changed = []
  for (const file of workspaceManifests()) {
    const text = readFileSync(file, 'utf8')
    const manifest = JSON.parse(text)
    for (const field of ['dependencies', 'devDependencies']) {
      for (const name of Object.keys(manifest[field] ?? {})) {
        if (!name.startsWith('@opentelemetry/') || KEEP[manifest.name]?.has(name)) continue
        const version = versionFor(line, name)
        if (version !== undefined) manifest[field][name] = version
      }
    }
    const next = `${JSON.stringify(manifest, null, 2)}\n`
    if (next !== text) {
      writeFileSync(file, next)
      changed.push(file)
    }
  }
  return changed
}

const pnpm = (args) =>
  execFileSync('npx', ['-y', 'pnpm@10', ...args], { cwd: root, stdio: 'inherit' })
/** `git checkout` restores these files: refuse to run over uncommitted edits to them. */
function requireCommitted() {
  try {
    execFileSync('git', ['diff', '--quiet', '--', 'pnpm-lock.yaml', ...workspaceManifests()], {
      cwd: root,
    })
  } catch {
    console.error('commit or stash your changes to package.json files and pnpm-lock.yaml first')
    process.exit(1)
  }
}

const command = process.argv[2]
if (command === '3') {
  rewrite(3)
  copyFileSync(SDK3_LOCK, join(root, 'pnpm-lock.yaml'))
  console.log('workspace on SDK 3; run pnpm install --frozen-lockfile (on Node >= 22.15)')
} else if (command === 'pin') {
  // after editing LINES[2]: writes the committed (SDK 2) versions into every package.json
  for (const file of rewrite(2)) console.log(`rewrote ${file}`)
} else if (command === '2') {
  execFileSync('git', ['checkout', '--', 'pnpm-lock.yaml', ...workspaceManifests()], { cwd: root })
  console.log('workspace back on SDK 2 (the committed state); run pnpm install')
} else if (command === 'lock') {
  requireCommitted()
  rewrite(3)
  pnpm(['install', '--lockfile-only'])
  copyFileSync(join(root, 'pnpm-lock.yaml'), SDK3_LOCK)
  execFileSync('git', ['checkout', '--', 'pnpm-lock.yaml', ...workspaceManifests()], { cwd: root })
  console.log(`wrote ${SDK3_LOCK}`)
} else {
  console.error('usage: node scripts/sdk-line.mjs 2|3|pin|lock')
  process.exit(2)
}
