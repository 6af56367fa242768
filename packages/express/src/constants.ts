/** The package name, used in error and diagnostic messages and as the lifecycle owner. */
export const OWNER = '@tracehop/express'
