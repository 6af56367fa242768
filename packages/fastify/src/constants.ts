/** The package name, as it appears in option errors, diagnostics and the plugin's metadata. */
export const PACKAGE = '@tracehop/fastify'
