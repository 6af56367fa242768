// Jest transform for docs/recipes: the recipes are ES modules that check
// `import.meta.url === pathToFileURL(process.argv[1]).href` to run as a script, and the NestJS ones
// use decorators. Jest runs CommonJS, so `import.meta.url` becomes the file URL of the module
// before @swc/jest compiles it (with legacy decorators and their metadata, as NestJS expects).
const { createTransformer } = require('@swc/jest')

const swc = createTransformer({
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
})

const IMPORT_META_URL = /\bimport\.meta\.url\b/g

function rewrite(source) {
  return source.replace(IMPORT_META_URL, "require('node:url').pathToFileURL(__filename).href")
}

module.exports = {
  process(source, filename, options) {
    return swc.process(rewrite(source), filename, options)
  },
  getCacheKey(source, filename, options) {
    return swc.getCacheKey(rewrite(source), filename, options) + ':recipes-1'
  },
}
