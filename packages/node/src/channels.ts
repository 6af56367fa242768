import diagnosticsChannel from 'node:diagnostics_channel'

/** A diagnostics channel's name and the listener for its messages. */
export type ChannelListener = [name: string, listener: (message: unknown) => void]

/** Subscribes each listener to its channel; returns the function that unsubscribes them all. */
export function subscribeChannels(channels: readonly ChannelListener[]): () => void {
  for (const [name, listener] of channels) diagnosticsChannel.subscribe(name, listener)
  return () => {
    for (const [name, listener] of channels) diagnosticsChannel.unsubscribe(name, listener)
  }
}
