// Rewrites the recipe blocks of docs/*.md from docs/recipes/*.ts (see pages.cjs).
const { writeFileSync } = require('node:fs')
const { pages, sync } = require('./pages.cjs')

for (const page of pages()) {
  const text = sync(page)
  if (text !== page.text) {
    writeFileSync(page.path, text)
    console.log(`updated docs/${page.name}`)
  }
}
