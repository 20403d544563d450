/**
 * The clockodo tables as the loader sees them (DDL: prisma/migrations/20261124000200_clockodo).
 *
 * ck_entrygroups: one row per leaf of the entrygroups tree, keyed by (account, grouping signature,
 * path key). A window owns every row of the account whose `day` lies in it, whatever its grouping
 * signature: reloading a window replaces the day's rows, so a leaf the source no longer returns
 * (and every row of a grouping no longer configured) is marked deleted.
 *
 * ck_users: the complete /v3/users list of the account. It is a snapshot: the one window of the
 * users stream owns all of the account's users, so a user missing from the full list is marked
 * deleted (and comes back if listed again).
 */
import { columns, type TableSpec } from './table-spec.ts';

export const ckEntrygroups: TableSpec = {
  table: 'punchcard.ck_entrygroups',
  key: ['account', 'grouping', 'path_key'],
  columns: columns({
    account: 'text',
    grouping: 'text',
    path_key: 'text',
    day: 'date',
    users_id: 'bigint',
    customers_id: 'bigint',
    projects_id: 'bigint',
    subprojects_id: 'bigint',
    services_id: 'bigint',
    lumpsum_services_id: 'bigint',
    texts_id: 'bigint',
    billable: 'integer',
    user_name: 'text',
    user_number: 'text',
    customer_name: 'text',
    project_name: 'text',
    service_name: 'text',
    duration_seconds: 'bigint',
    duration_without_rounding: 'bigint',
    revenue: 'numeric',
    revenue_without_rounding: 'numeric',
    hourly_rate: 'numeric',
    hourly_rate_is_equal_and_has_no_lump_sums: 'boolean',
    budget_used: 'boolean',
    has_budget_revenues_billed: 'boolean',
    has_budget_revenues_not_billed: 'boolean',
    has_non_budget_revenues_billed: 'boolean',
    has_non_budget_revenues_not_billed: 'boolean',
    rounding_success: 'boolean',
    path: 'jsonb',
    flags: 'text[]',
    raw: 'jsonb',
  }),
  scope: (window) => ({
    sql: 't.account = $1 AND t.day BETWEEN $2::date AND $3::date',
    params: [window.account, window.start, window.end],
  }),
};

export const ckUsers: TableSpec = {
  table: 'punchcard.ck_users',
  key: ['account', 'id'],
  columns: columns({
    account: 'text',
    id: 'bigint',
    name: 'text',
    number: 'text',
    email: 'text',
    active: 'boolean',
    timezone: 'text',
    teams_id: 'bigint',
    raw: 'jsonb',
  }),
  // A snapshot: the window's dates do not matter, the account's whole list is owned.
  scope: (window) => ({ sql: 't.account = $1', params: [window.account] }),
};
