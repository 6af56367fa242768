// Builds the page (src/page) into dist/page: index.html, one JS bundle and one stylesheet.
// Until the page exists the server answers `/` with a placeholder, so this step has nothing to do.
import { existsSync } from 'node:fs'

if (existsSync(new URL('../src/page/main.tsx', import.meta.url))) {
  throw new Error(
    '@tracehop/viewer: src/page exists but scripts/build-page.mjs does not build it yet',
  )
}
