import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Finds a PostgreSQL (TEST_DATABASE_URL, a container, or embedded) and migrates a template.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    pool: 'forks',
    // CI machines have 2 cores; each worker also drives PostgreSQL on the same machine.
    maxWorkers: 2,
    // The second prints "[coverage] security: findings … tested" from the passed `security #N: …` tests.
    reporters: ['default', './test/support/security-coverage-reporter.ts'],
  },
});
