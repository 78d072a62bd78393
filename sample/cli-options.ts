export interface CliOptions {
  /** Keep serving HTTP after the start-up import has written its report. */
  serve: boolean;
  /** TCP port to listen on. 0 picks a free port. */
  port: number;
}

export const USAGE = `Usage: npm start [-- --serve]

  --serve          keep serving HTTP after the report (same as SAMPLE_SERVE=1)

Environment:
  PORT             HTTP port on 127.0.0.1, default 3000; 0 picks a free port
  DATABASE_URL     postgres://... URL; without it jobs are stored in sample/.data/jobs.sqlite
  SAMPLE_SERVE=1   same as --serve`;

const DEFAULT_PORT = 3000;

/** Reads the command-line arguments and environment. Throws an error with the usage text on invalid input. */
export function parseCliOptions(args: string[], env: NodeJS.ProcessEnv): CliOptions {
  const unknown = args.filter((arg) => arg !== '--serve');
  if (unknown.length > 0) throw new Error(`Unknown argument ${unknown.join(' ')}\n\n${USAGE}`);

  const port = env.PORT === undefined || env.PORT === '' ? DEFAULT_PORT : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`Invalid PORT ${JSON.stringify(env.PORT)}: must be an integer from 0 to 65535\n\n${USAGE}`);
  }
  return { serve: args.includes('--serve') || env.SAMPLE_SERVE === '1', port };
}
