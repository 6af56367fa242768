import { defineConfig } from 'tsup'

// The server side: the library entry in both module formats and the CLI (bin: dist/cli.js).
// The page (src/page) is bundled afterwards by scripts/build-page.mjs into dist/page.
export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
})
