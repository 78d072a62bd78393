import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Returns the path of a file in the data folder of the installed vega-datasets package. The
 * package exports only its entry point (build/index.js), so the folder is found from there.
 */
export function vegaDataPath(file: string): string {
  const entryPoint = require.resolve('vega-datasets');
  return join(dirname(entryPoint), '..', 'data', file);
}

/** Returns the installed vega-datasets version, for the report's source line. */
export function vegaDatasetsVersion(): string {
  const manifest = require(join(dirname(require.resolve('vega-datasets')), '..', 'package.json')) as { version: string };
  return manifest.version;
}
