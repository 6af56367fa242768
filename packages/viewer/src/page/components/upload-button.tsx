import { useRef, useState } from 'preact/hooks'
import { uploadTraces } from '../api-client.js'
import { traceIdsOf } from '../otlp-file.js'
import { navigate, traceHref } from '../route.js'

/** Imports an OTLP/JSON file (as downloaded from a trace) and opens its trace. */
export function UploadButton() {
  const input = useRef<HTMLInputElement>(null)
  const [message, setMessage] = useState('')
  const upload = async (file: File): Promise<void> => {
    const text = await file.text()
    let ids: string[]
    try {
      ids = traceIdsOf(JSON.parse(text))
    } catch {
      setMessage(`${file.name} is not JSON`)
      return
    }
    if (ids.length === 0) {
      setMessage(`${file.name} holds no spans`)
      return
    }
    try {
      await uploadTraces(text)
    } catch (err) {
      setMessage(`upload failed: ${(err as Error).message}`)
      return
    }
    setMessage(`imported ${ids.length === 1 ? 'one trace' : `${ids.length} traces`}`)
    navigate(ids.length === 1 ? traceHref(ids[0]!) : '/')
  }
  return (
    <span class="upload">
      <button type="button" onClick={() => input.current?.click()} title="Import an OTLP/JSON file">
        Upload
      </button>
      <input
        ref={input}
        type="file"
        accept=".json,application/json"
        class="hidden"
        data-testid="upload-input"
        onChange={(event) => {
          const target = event.currentTarget
          const file = target.files?.[0]
          if (file !== undefined) void upload(file).finally(() => (target.value = ''))
        }}
      />
      <span class="upload-message" role="status">
        {message}
      </span>
    </span>
  )
}
