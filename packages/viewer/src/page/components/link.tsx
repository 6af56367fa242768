import type { ComponentChildren } from 'preact'
import { isPlainClick, navigate } from '../route.js'

/** An in-page link: a real `<a href>` (new tabs work) that navigates without a reload. */
export function Link(props: {
  href: string
  class?: string
  title?: string
  children: ComponentChildren
}) {
  return (
    <a
      href={props.href}
      class={props.class}
      title={props.title}
      onClick={(event) => {
        if (!isPlainClick(event)) return
        event.preventDefault()
        navigate(props.href)
      }}
    >
      {props.children}
    </a>
  )
}
