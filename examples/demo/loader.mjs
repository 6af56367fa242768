// Lets `node --import ./loader.mjs src/main.ts` run the demo straight from TypeScript sources on
// a fresh clone, with no build step: `@tracehop/*` resolve to the workspace packages' `src/`,
// and `.ts` files are stripped of their types by esbuild as they load. Everything else resolves
// as Node always does, from each file's own node_modules.
import { register } from 'node:module'

register('./loader-hooks.mjs', import.meta.url)
