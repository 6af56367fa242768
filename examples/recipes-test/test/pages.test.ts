import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DOCS, embeds, pages, recipeFiles, recipeText } = require('../pages.cjs') as {
  DOCS: string
  pages(): { name: string; path: string; text: string }[]
  recipeFiles(): string[]
  recipeText(file: string): string
  embeds(page: { name: string; text: string }): { page: string; file: string; shown: string }[]
}

const all = pages().flatMap(embeds)

describe('docs pages and recipes', () => {
  it.each(recipeFiles())('%s is shown in a page', (file) => {
    expect(all.filter((e) => e.file === file).map((e) => e.page)).not.toEqual([])
  })

  it.each(all.map((e) => [e.page, e.file, e] as const))(
    '%s embeds %s verbatim (run node examples/recipes-test/sync-pages.cjs after editing a recipe)',
    (_page, file, embed) => {
      expect(embed.shown).toBe(recipeText(file))
    },
  )

  it.each(recipeFiles())('%s is imported or run as a script by a recipe test', (file) => {
    const importer = readdirSync(__dirname)
      .filter((name) => name.endsWith('.test.ts'))
      .find((name) => {
        const text = readFileSync(join(__dirname, name), 'utf8')
        return (
          text.includes(`from '../../../docs/recipes/${file.replace(/\.ts$/, '')}'`) ||
          text.includes(`runRecipeScript('${file}'`) ||
          text.includes(`preload: '${file}'`)
        )
      })
    expect({ file, importer }).toEqual({ file, importer: expect.any(String) })
  })

  // Pages written with their packages (issues of their own); until they land, say so visibly.
  const elsewhere = ['express.md', 'fastify.md', 'benchmarks.md']
  const pending = elsewhere.filter((name) => !existsSync(join(DOCS, name)))
  for (const name of pending) it.todo(`docs/${name} (written with its package) exists`)

  it('every relative link between pages points at a file that exists', () => {
    for (const page of pages()) {
      for (const [, target] of page.text.matchAll(
        /\]\(((?!https?:|#|mailto:)[^)#\s]+)(?:#[^)]*)?\)/g,
      )) {
        if (pending.includes(target)) continue
        expect({ page: page.name, target, exists: existsSync(join(DOCS, target)) }).toEqual({
          page: page.name,
          target,
          exists: true,
        })
      }
    }
  })

  it('every #anchor into another page names one of its headings', () => {
    const slug = (heading: string) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 _-]/g, '')
        .replace(/ /g, '-')
    for (const page of pages()) {
      for (const [, target, anchor] of page.text.matchAll(/\]\(([\w-]+\.md)#([^)]+)\)/g)) {
        if (pending.includes(target)) continue
        const text = readFileSync(join(DOCS, target), 'utf8')
        const anchors = [...text.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]))
        expect({
          page: page.name,
          link: `${target}#${anchor}`,
          found: anchors.includes(anchor),
        }).toEqual({
          page: page.name,
          link: `${target}#${anchor}`,
          found: true,
        })
      }
    }
  })
})

// READMEs are read on npm and in node_modules, where a relative link leads nowhere.
describe('package READMEs and manifests', () => {
  const packagesDir = join(DOCS, '..', 'packages')
  const names = readdirSync(packagesDir).filter((name) =>
    existsSync(join(packagesDir, name, 'package.json')),
  )

  it.each(names)('packages/%s/README.md links with absolute URLs only', (name) => {
    const text = readFileSync(join(packagesDir, name, 'README.md'), 'utf8')
    const relative = [...text.matchAll(/\]\(((?!https?:|#|mailto:)[^)\s]+)\)/g)].map((m) => m[1])
    expect(relative).toEqual([])
  })

  it("states the console waterfall's bar width once, in docs/configuration.md", () => {
    const texts = [
      ...pages().map((page) => ({ file: `docs/${page.name}`, text: page.text })),
      ...names.map((name) => ({
        file: `packages/${name}/README.md`,
        text: readFileSync(join(packagesDir, name, 'README.md'), 'utf8'),
      })),
    ]
    const stating = texts.filter(({ text }) =>
      /\b\d+ to \d+ characters\b|-character bar/.test(text),
    )
    expect(stating.map(({ file }) => file)).toEqual(['docs/configuration.md'])
    expect(stating[0]!.text).toContain(
      "`barWidth` fitted to the terminal's width (12 to 60 characters), else 40",
    )
  })

  it.each(names)('packages/%s/package.json declares its repository and directory', (name) => {
    const manifest = JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')) as {
      repository?: unknown
      homepage?: unknown
    }
    expect(manifest.repository).toEqual({
      type: 'git',
      url: 'git+https://github.com/tracehop/tracehop.git',
      directory: `packages/${name}`,
    })
    expect(manifest.homepage).toBe(
      `https://github.com/tracehop/tracehop/tree/main/packages/${name}#readme`,
    )
  })
})
