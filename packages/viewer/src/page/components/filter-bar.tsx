import { LIST_LIMIT } from '../../shared/api.js'
import { filtersToQuery, hasFilters, type ListFilters } from '../filters.js'
import { navigate } from '../route.js'

/** The list's filters; every change rewrites the URL query, which the list reads. */
export function FilterBar(props: { filters: ListFilters; services: readonly string[] }) {
  const { filters } = props
  const set = (change: Partial<ListFilters>): void =>
    navigate(`/${filtersToQuery({ ...filters, ...change })}`, true)
  const services =
    filters.service !== '' && !props.services.includes(filters.service)
      ? [filters.service, ...props.services]
      : props.services
  return (
    <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
      <label>
        <span>Search</span>
        <input
          id="filter-q"
          type="search"
          placeholder="name, route, attribute, trace id  ( / )"
          value={filters.q}
          onInput={(event) => set({ q: event.currentTarget.value })}
        />
      </label>
      <label>
        <span>Service</span>
        <select
          name="service"
          value={filters.service}
          onChange={(event) => set({ service: event.currentTarget.value })}
        >
          <option value="">all</option>
          {services.map((service) => (
            <option key={service} value={service}>
              {service}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Status</span>
        <select
          name="error"
          value={filters.error}
          onChange={(event) => set({ error: event.currentTarget.value as ListFilters['error'] })}
        >
          <option value="">any</option>
          <option value="true">errors</option>
          <option value="false">no errors</option>
        </select>
      </label>
      <label class="narrow">
        <span>Min ms</span>
        <input
          name="minMs"
          type="number"
          min="0"
          value={filters.minMs}
          onInput={(event) => set({ minMs: event.currentTarget.value })}
        />
      </label>
      <label class="narrow">
        <span>Max ms</span>
        <input
          name="maxMs"
          type="number"
          min="0"
          value={filters.maxMs}
          onInput={(event) => set({ maxMs: event.currentTarget.value })}
        />
      </label>
      <label class="narrow">
        <span>Limit</span>
        <input
          name="limit"
          type="number"
          min="1"
          max={LIST_LIMIT.max}
          placeholder={String(LIST_LIMIT.default)}
          value={filters.limit}
          onInput={(event) => set({ limit: event.currentTarget.value })}
        />
      </label>
      {hasFilters(filters) && (
        <button type="button" class="clear" onClick={() => navigate('/', true)}>
          Clear
        </button>
      )}
    </form>
  )
}
