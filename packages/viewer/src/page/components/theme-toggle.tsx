import { useState } from 'preact/hooks'
import { applyTheme, currentTheme } from '../theme.js'

/** Switches between light and dark (the system's choice until clicked). */
export function ThemeToggle() {
  const [theme, setTheme] = useState(currentTheme)
  const next = theme === 'dark' ? 'light' : 'dark'
  return (
    <button
      type="button"
      class="theme-toggle"
      title={`Switch to ${next} mode`}
      aria-label={`Switch to ${next} mode`}
      onClick={() => {
        applyTheme(next, true)
        setTheme(next)
      }}
    >
      {theme === 'dark' ? '☀' : '☾'}
    </button>
  )
}
