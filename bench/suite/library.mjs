// The compiled library under test. `npm run bench` compiles lib/ to build/bench-lib before it
// starts, so every run measures the sources as they are at that moment.
import { Logger } from '@nestjs/common';

const LIBRARY_URL = new URL('../../build/bench-lib/index.js', import.meta.url);

let library;
try {
  library = await import(LIBRARY_URL.href);
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('bench-lib')) {
    throw new Error(`The compiled library is missing at ${LIBRARY_URL.pathname}; run "npm run bench", which compiles lib/ first`);
  }
  throw error;
}

// Start and stop messages of every worker would bury the progress lines; warnings and errors stay.
Logger.overrideLogger(['warn', 'error', 'fatal']);

export const {
  JobCompleted,
  JobQueue,
  configurePool,
  createJobStorage,
  defaultPoolConfig,
  fanOut,
  maxOpenConns,
  ofKind,
  sub,
  values,
} = library;
