// Keyboard navigation: which key does what, as plain functions the components call.

/** What a key press on a list asks for. */
export type KeyAction =
  | { kind: 'move'; index: number }
  | { kind: 'open' }
  | { kind: 'back' }
  | { kind: 'search' }
  | { kind: 'toggle' }

/** j/k or the arrows move, Enter opens, Esc goes back, / focuses the search. */
export function listKey(key: string, index: number, count: number): KeyAction | undefined {
  switch (key) {
    case 'j':
    case 'ArrowDown':
      return count === 0 ? undefined : { kind: 'move', index: Math.min(count - 1, index + 1) }
    case 'k':
    case 'ArrowUp':
      return count === 0 ? undefined : { kind: 'move', index: Math.max(0, index - 1) }
    case 'Home':
      return count === 0 ? undefined : { kind: 'move', index: 0 }
    case 'End':
      return count === 0 ? undefined : { kind: 'move', index: count - 1 }
    case 'Enter':
      return { kind: 'open' }
    case 'Escape':
      return { kind: 'back' }
    case '/':
      return { kind: 'search' }
    case ' ':
    case 'ArrowLeft':
    case 'ArrowRight':
      return { kind: 'toggle' }
    default:
      return undefined
  }
}

/** Whether a key is none of the page's business: typed into a field, or part of a modifier chord. */
export function ignoredKey(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null
  if (event.metaKey || event.ctrlKey || event.altKey) return true
  if (target === null) return false
  const tag = target.tagName
  return tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || target.isContentEditable
}
