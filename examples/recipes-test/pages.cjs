// Where the docs pages embed the recipe files. A page shows a recipe as
//
//   <!-- recipe: koa.ts -->
//   ```ts
//   ...the whole of docs/recipes/koa.ts...
//   ```
//
// `node examples/recipes-test/sync-pages.cjs` rewrites every such block from its file;
// test/pages.test.ts fails when a block and its file differ, or a recipe is shown nowhere.
const { readdirSync, readFileSync } = require('node:fs')
const { join } = require('node:path')

const DOCS = join(__dirname, '..', '..', 'docs')
const RECIPES = join(DOCS, 'recipes')
const BLOCK = /<!-- recipe: ([\w.-]+) -->\n```ts\n([\s\S]*?)```\n/g

function pages() {
  return readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .map((name) => ({ name, path: join(DOCS, name), text: readFileSync(join(DOCS, name), 'utf8') }))
}

function recipeFiles() {
  return readdirSync(RECIPES).filter((name) => name.endsWith('.ts'))
}

function recipeText(file) {
  return readFileSync(join(RECIPES, file), 'utf8')
}

/** Every embedded block: page, recipe file, embedded text. */
function embeds(page) {
  return [...page.text.matchAll(BLOCK)].map((m) => ({ page: page.name, file: m[1], shown: m[2] }))
}

function sync(page) {
  return page.text.replace(
    BLOCK,
    (_all, file) => `<!-- recipe: ${file} -->\n\`\`\`ts\n${recipeText(file)}\`\`\`\n`,
  )
}

module.exports = { DOCS, RECIPES, pages, recipeFiles, recipeText, embeds, sync }
