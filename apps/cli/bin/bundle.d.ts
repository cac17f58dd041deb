/** The entry module of the CLI's current build under `outDir` (default `apps/cli/dist`), built when needed; null when it cannot be built. */
export function cliEntry(outDir?: string): Promise<string | null>;
