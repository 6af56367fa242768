import { diag } from '@opentelemetry/api'
import type { IncomingMessage } from 'node:http'
import type { IgnoreRule, RequestInfo } from './types.js'

/** Decides, per request, whether to leave it untraced. Compiled once from the `ignore` option. */
export interface IgnoreMatcher {
  matches(
    method: string,
    path: string,
    route: string | undefined,
    request: IncomingMessage,
  ): boolean
}

/**
 * A route template compiled into its segments. `:name` (optionally followed by a `(regex)` or a
 * `?`) matches one non-empty segment, a trailing `*` or `*name` matches the rest of the path.
 */
interface Template {
  readonly segments: readonly (string | null)[]
  readonly rest: boolean
}

function isTemplate(rule: string): boolean {
  return rule.includes('/:') || rule.includes('*')
}

function compileTemplate(rule: string): Template {
  const parts = rule.split('/')
  let rest = false
  const last = parts[parts.length - 1]
  if (last !== undefined && last.startsWith('*')) {
    rest = true
    parts.pop()
  }
  return {
    segments: parts.map((part) => (part.startsWith(':') || part === '*' ? null : part)),
    rest,
  }
}

// Walks the path segment by segment with indexOf: no split, no regex, no allocation.
function matchTemplate(template: Template, path: string): boolean {
  const { segments } = template
  let start = 0
  for (let i = 0; i < segments.length; i++) {
    let end = path.indexOf('/', start)
    if (end === -1) end = path.length
    const expected = segments[i] as string | null
    if (expected === null) {
      // a parameter matches any non-empty segment, except the leading empty one of '/x'
      if (end === start) return false
    } else if (end - start !== expected.length || !path.startsWith(expected, start)) {
      return false
    }
    if (end === path.length) {
      // the path ended: it matches when every template segment was used
      return i === segments.length - 1
    }
    start = end + 1
  }
  // template used up while the path goes on
  return template.rest
}

function stripStatefulFlags(rule: RegExp): RegExp {
  return rule.global || rule.sticky
    ? new RegExp(rule.source, rule.flags.replace(/[gy]/g, ''))
    : rule
}

/** Compiles `ignore` rules (already validated) into one matcher. */
export function compileIgnore(rules: readonly IgnoreRule[], owner: string): IgnoreMatcher {
  const exact = new Set<string>()
  const templates: Template[] = []
  const patterns: RegExp[] = []
  const functions: ((info: RequestInfo) => boolean)[] = []
  for (const rule of rules) {
    if (typeof rule === 'string') {
      exact.add(rule)
      if (isTemplate(rule)) templates.push(compileTemplate(rule))
    } else if (rule instanceof RegExp) {
      patterns.push(stripStatefulFlags(rule))
    } else {
      functions.push(rule)
    }
  }
  return {
    matches(method, path, route, request) {
      if (exact.has(path) || (route !== undefined && exact.has(route))) return true
      for (const template of templates) if (matchTemplate(template, path)) return true
      for (const pattern of patterns) {
        if (pattern.test(path) || (route !== undefined && pattern.test(route))) return true
      }
      if (functions.length === 0) return false
      const info: RequestInfo = { method, path, route, request }
      for (const fn of functions) {
        try {
          if (fn(info) === true) return true
        } catch (error) {
          diag.error(`${owner}: an "ignore" function threw; the request is traced`, error)
        }
      }
      return false
    },
  }
}
