/**
 * The Redis the shared rate-limit tests count in: POSTKASSE_TEST_REDIS, default the machine's
 * 127.0.0.1:6379. Under CI a missing Redis is a failure, never a skip; elsewhere those suites are
 * skipped with a loud warning.
 */
import { Redis } from 'ioredis';

export const testRedisUrl = process.env.POSTKASSE_TEST_REDIS ?? 'redis://127.0.0.1:6379/0';

export async function redisAvailable(): Promise<boolean> {
  const redis = new Redis(testRedisUrl, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // the connect below reports it
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch (error) {
    if (process.env.CI)
      throw new Error(`Redis is required under CI but ${testRedisUrl} does not answer: ${String(error)}`);
    console.warn(`\n!!! Redis at ${testRedisUrl} does not answer: the shared rate-limit suites are SKIPPED !!!\n`);
    return false;
  } finally {
    redis.disconnect();
  }
}
