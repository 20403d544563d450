// Prisma CLI configuration (Prisma 7). punchcard applies the migrations itself (`punchcard
// migrate`), recording them in _prisma_migrations exactly as `prisma migrate deploy` would.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/punchcard' },
});
