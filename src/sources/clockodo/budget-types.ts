// The budget-type filter values, in a module of their own so the CLI's option help can name them
// without loading the clockodo client.

/**
 * `filter[budget_type]` values exactly as clockodo's OpenAPI (BudgetOption) lists them. A value
 * clockodo does not know may be ignored, which WIDENS an edit or delete: only these are sent.
 */
export const BUDGET_TYPES = [
  'rep_filter_budget_strict',
  'rep_filter_budget_strict_completed',
  'rep_filter_budget_strict_incomplete',
  'rep_filter_budget_soft',
  'rep_filter_budget_soft_completed',
  'rep_filter_budget_soft_incomplete',
  'rep_filter_budget_without',
  'rep_filter_budget_without_strict',
] as const;
export type BudgetType = (typeof BUDGET_TYPES)[number];

/** The CLI's short names (the German page's spelling) → the API value. */
export const BUDGET_TYPE_SHORT_NAMES: Readonly<Record<string, BudgetType>> = Object.fromEntries(
  BUDGET_TYPES.map((value) => [value.slice('rep_filter_budget_'.length).replaceAll('_', '-'), value]),
);
