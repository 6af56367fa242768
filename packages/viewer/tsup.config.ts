import { defineConfig } from 'tsup'

// The server side: the library entry in both module formats and the CLI (bin: dist/cli.js).
// The page (src/page) is bundled afterwards by scripts/build-page.mjs into dist/page.
//
// Bundled in rather than installed: the compiled OTLP definitions (otlp-transformer's one file;
// the package itself would bring a whole SDK along) and the two semantic-convention names used,
// so `npx @tracehop/viewer` installs protobufjs and little else.
export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  noExternal: [/^@opentelemetry\/otlp-transformer\//, '@opentelemetry/semantic-conventions'],
  // The compiled definitions are CommonJS and require protobufjs: give the ESM build a require.
  banner: ({ format }) =>
    format === 'esm'
      ? {
          js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        }
      : {},
})
