// Packs every library package as npm would publish it and checks the tarball with publint
// (package.json fields, exports map) and @arethetypeswrong/cli (types resolve for ESM and CJS).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const out = mkdtempSync(join(tmpdir(), 'tracehop-pack-'))
const bin = (name) => join(root, 'node_modules', '.bin', name)
const pnpm = process.env.npm_execpath
  ? [process.execPath, process.env.npm_execpath]
  : ['npx', '-y', 'pnpm@10']
let failed = false
try {
  for (const name of readdirSync(join(root, 'packages'))) {
    const dir = join(root, 'packages', name)
    // pnpm pack rewrites workspace: ranges to real versions, as a publish would.
    execFileSync(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', out], {
      cwd: dir,
      stdio: 'pipe',
    })
    const tarball = readdirSync(out).find((f) => f.startsWith(`tracehop-${name}-`))
    const path = join(out, tarball)
    for (const [tool, args] of [
      ['publint', [path, '--strict']],
      ['attw', [path, '--profile', 'node16', '--format', 'table-flipped']],
    ]) {
      try {
        execFileSync(bin(tool), args, { stdio: 'pipe' })
        console.log(`ok   ${tool} @tracehop/${name}`)
      } catch (err) {
        failed = true
        console.log(`FAIL ${tool} @tracehop/${name}\n${err.stdout}${err.stderr}`)
      }
    }
    rmSync(path)
  }
} finally {
  rmSync(out, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
