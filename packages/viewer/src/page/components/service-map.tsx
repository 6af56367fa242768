import { useEffect, useMemo, useState } from 'preact/hooks'
import type { ServiceMapResponse } from '../../shared/api.js'
import { fetchServiceMap } from '../api-client.js'
import { serviceColor } from '../colors.js'
import { layoutServiceMap, MAP_BOX } from '../service-map-layout.js'
import { navigate } from '../route.js'
import { useThrottledRevision } from '../use-throttled-revision.js'

/** Which service calls which, from the parent/child links across services, with the counts. */
export function ServiceMap(props: { revision: number }) {
  const refresh = useThrottledRevision(props.revision)
  const [map, setMap] = useState<ServiceMapResponse>()
  const [failure, setFailure] = useState<string>()
  useEffect(() => {
    const controller = new AbortController()
    fetchServiceMap(controller.signal).then(setMap, (err: Error) => {
      if (err.name !== 'AbortError') setFailure(err.message)
    })
    return () => controller.abort()
  }, [refresh])
  const layout = useMemo(() => (map === undefined ? undefined : layoutServiceMap(map)), [map])
  return (
    <section class="map">
      <h1>Service map</h1>
      <p class="muted">
        An arrow is a span of one service whose parent belongs to another; the number is how many.
        Click a service to list its traces.
      </p>
      {failure !== undefined && <p class="failure">{failure}</p>}
      {layout !== undefined && layout.nodes.length === 0 && <p class="empty">No spans yet.</p>}
      {layout !== undefined && layout.nodes.length > 0 && (
        <svg
          class="service-map"
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          width={layout.width}
          height={layout.height}
          role="img"
          aria-label="Service map"
        >
          <defs>
            <marker
              id="arrow"
              viewBox="0 0 10 10"
              refX="10"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
            </marker>
          </defs>
          {layout.edges.map((edge) => {
            const mid = (edge.x1 + edge.x2) / 2
            const self = edge.from === edge.to
            const d = self
              ? `M ${edge.x1 - 30} ${edge.y1 - MAP_BOX.height / 2} c 0 -26 40 -26 30 0`
              : `M ${edge.x1} ${edge.y1} C ${mid} ${edge.y1}, ${mid} ${edge.y2}, ${edge.x2} ${edge.y2}`
            return (
              <g
                key={`${edge.from}→${edge.to}`}
                class={edge.errorCount > 0 ? 'edge failed' : 'edge'}
              >
                <path d={d} marker-end="url(#arrow)" />
                <text
                  x={self ? edge.x1 - 15 : mid}
                  y={self ? edge.y1 - MAP_BOX.height / 2 - 24 : (edge.y1 + edge.y2) / 2 - 6}
                  text-anchor="middle"
                >
                  {edge.errorCount > 0
                    ? `${edge.count} (${edge.errorCount} failed)`
                    : String(edge.count)}
                </text>
              </g>
            )
          })}
          {layout.nodes.map((node) => (
            <g
              key={node.service}
              class={`node svc-${serviceColor(node.service)}${node.errorCount > 0 ? ' failed' : ''}`}
              transform={`translate(${node.x} ${node.y})`}
              onClick={() => navigate(`/?service=${encodeURIComponent(node.service)}`)}
            >
              <title>{`${node.service}: ${node.spanCount} spans, ${node.errorCount} failed`}</title>
              <rect width={MAP_BOX.width} height={MAP_BOX.height} rx="8" />
              <text x="12" y="21" class="node-name">
                {node.service}
              </text>
              <text x="12" y="39" class="node-count">
                {`${node.spanCount} spans${node.errorCount > 0 ? ` · ${node.errorCount} failed` : ''}`}
              </text>
            </g>
          ))}
        </svg>
      )}
    </section>
  )
}
