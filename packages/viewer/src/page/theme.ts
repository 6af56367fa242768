// Light or dark: the system's choice (prefers-color-scheme) until the user picks one, then theirs.

/** A theme the user picked. */
export type Theme = 'light' | 'dark'

const KEY = 'tracehop-viewer.theme'

/** The theme the user picked earlier, if any. */
export function storedTheme(): Theme | undefined {
  try {
    const value = localStorage.getItem(KEY)
    return value === 'light' || value === 'dark' ? value : undefined
  } catch {
    return undefined
  }
}

/** The theme shown now. */
export function currentTheme(): Theme {
  return storedTheme() ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light')
}

/** Shows `theme` (a `data-theme` attribute the stylesheet reads) and remembers it. */
export function applyTheme(theme: Theme | undefined, remember = false): void {
  if (theme === undefined) document.documentElement.removeAttribute('data-theme')
  else document.documentElement.setAttribute('data-theme', theme)
  if (remember && theme !== undefined) {
    try {
      localStorage.setItem(KEY, theme)
    } catch {
      // private mode: the choice lasts for this page only
    }
  }
}
