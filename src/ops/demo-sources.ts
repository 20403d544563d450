/**
 * Demo mode (`punchcard demo`, `sync --demo`, and `sync` without credentials on the embedded
 * default database): both API simulators on loopback, in-process, and a configuration pointing
 * every source at them. Their rows carry the account label DEMO_ACCOUNT, which real credentials
 * cannot use, so fake people never mix with real ones under one label.
 */
import { DEMO_ACCOUNT, loadConfig, type Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { DEFAULT_API_USERS, startClockodoSimulator } from '../simulators/clockodo/index.ts';
import { startTimeclockSimulator } from '../simulators/timeclock/index.ts';

export const DEMO_TIMECLOCK_TOKEN = 'demo-token';

/**
 * Runs `work` with a configuration whose sources are the simulators; stops them afterwards.
 * `env` supplies everything else (zones, database, HTTP settings), as `loadConfig` reads it.
 */
export async function withDemoSources<T>(env: NodeJS.ProcessEnv, logger: Logger, work: (config: Config) => Promise<T>): Promise<T> {
  const timeclock = await startTimeclockSimulator({ port: 0, token: DEMO_TIMECLOCK_TOKEN, employees: 40 });
  try {
    const clockodo = await startClockodoSimulator({ port: 0, attendance: timeclock.dataset });
    try {
      const apiUser = DEFAULT_API_USERS[0]!;
      // The simulators replace every configured account, those of an accounts file included.
      const { TIMECLOCK_ACCOUNT: _t, CLOCKODO_ACCOUNT: _c, PUNCHCARD_ACCOUNTS: _a, ...rest } = env;
      const loaded = loadConfig({
        ...rest,
        TIMECLOCK_API_URL: timeclock.url,
        TIMECLOCK_API_TOKEN: DEMO_TIMECLOCK_TOKEN,
        CLOCKODO_API_URL: clockodo.url,
        CLOCKODO_API_USER: apiUser.email,
        CLOCKODO_API_KEY: apiUser.apiKey,
        // The simulator does not throttle unless asked to; the demo need not wait either.
        CLOCKODO_ENTRYGROUPS_PER_MINUTE: '600',
      });
      const timeclockAccount = { ...loaded.timeclock!, account: DEMO_ACCOUNT };
      const clockodoAccount = { ...loaded.clockodo!, account: DEMO_ACCOUNT };
      const config: Config = {
        ...loaded,
        timeclock: timeclockAccount,
        clockodo: clockodoAccount,
        timeclockAccounts: [timeclockAccount],
        clockodoAccounts: [clockodoAccount],
      };
      logger.info({ account: DEMO_ACCOUNT, timeclock: timeclock.url, clockodo: clockodo.url }, 'demo mode: syncing the built-in API simulators');
      return await work(config);
    } finally {
      await clockodo.close();
    }
  } finally {
    await timeclock.close();
  }
}
