import type { StoreStats } from '../../shared/api.js'
import type { Route } from '../route.js'
import { Link } from './link.js'
import { ThemeToggle } from './theme-toggle.js'
import { UploadButton } from './upload-button.js'

/** The bar on top: where to go, what the store holds (and let go), upload, theme. */
export function Header(props: { route: Route; stats: StoreStats | undefined; listHref: string }) {
  const { route, stats } = props
  const tab = (page: Route['page'], href: string, label: string) => (
    <Link href={href} class={route.page === page ? 'tab active' : 'tab'}>
      {label}
    </Link>
  )
  return (
    <header class="top">
      <Link href="/" class="brand">
        tracehop <span>viewer</span>
      </Link>
      <nav>
        {tab('list', props.listHref, 'Traces')}
        {tab('red', '/red', 'RED')}
        {tab('map', '/map', 'Service map')}
      </nav>
      <span class="stats" data-testid="stats">
        {stats === undefined
          ? ''
          : `${stats.traceCount} traces · ${stats.spanCount} spans · ${stats.evictedTraces} evicted`}
      </span>
      <UploadButton />
      <ThemeToggle />
    </header>
  )
}
