import type { INestApplication, LoggerService } from '@nestjs/common';
import type { AddressInfo } from 'node:net';

const HOST = '127.0.0.1';

/**
 * Listens on 127.0.0.1 at `port`, or on a free port when `port` is taken, and returns the
 * port in use.
 */
export async function listenOnLoopback(app: INestApplication, port: number, logger: LoggerService): Promise<number> {
  try {
    await app.listen(port, HOST);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error;
    logger.warn(`Port ${port} on ${HOST} is in use; listening on a free port instead`);
    await app.listen(0, HOST);
  }
  return (app.getHttpServer().address() as AddressInfo).port;
}
