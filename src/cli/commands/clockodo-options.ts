/**
 * The options of `punchcard clockodo edit|delete`, registered on the program without loading the
 * command itself (clockodo.ts: the client, the pipeline, the database), so `--help` stays light.
 */
import type { Command } from 'commander';
import { BUDGET_TYPE_SHORT_NAMES } from '../../sources/clockodo/budget-types.ts';
import type { CommandContext } from '../context.ts';
import type { ClockodoChangeFlags } from './clockodo.ts';

const FILTER_HELP = 'ids are whole numbers ≥ 1 (clockodo has no filter for "without project" and the like)';

function addSelectionOptions(command: Command): Command {
  return command
    .option('--since <when>', 'first day YYYY-MM-DD (from 00:00:00 in CLOCKODO_TIMEZONE) or instant YYYY-MM-DDTHH:MM:SSZ (required)')
    .option('--until <when>', 'last day YYYY-MM-DD (to 23:59:59 in CLOCKODO_TIMEZONE, inclusive) or instant YYYY-MM-DDTHH:MM:SSZ (required)')
    .option('--time-since <when>', 'the same as --since (the API\'s name time_since)')
    .option('--time-until <when>', 'the same as --until (the API\'s name time_until)')
    .option('--users-id <id>', 'only entries of this user')
    .option('--customers-id <id>', 'only entries of this customer')
    .option('--projects-id <id>', 'only entries of this project')
    .option('--subprojects-id <id>', 'only entries of this subproject')
    .option('--services-id <id>', 'only entries of this service')
    .option('--lumpsum-services-id <id>', 'only entries of this lump-sum service')
    .option('--teams-id <id>', 'only entries of users in this team')
    .option('--billable <0|1|2>', 'only entries that are 0 not billable, 1 billable, 2 billed')
    .option('--text <text>', 'only entries with exactly this description')
    .option('--texts-id <id>', 'only entries with this description id')
    .option('--budget-type <type>', `only entries of projects with this budget type: ${Object.keys(BUDGET_TYPE_SHORT_NAMES).join(', ')} (sent as rep_filter_budget_…)`)
    .option('--account <label>', 'the clockodo account (required when several are configured)')
    .option('--yes', 'do not ask: confirm the change (needed when stdin is not a terminal)')
    .option('--dry-run', 'only show what would change and how many entries')
    .option('--no-resync', 'do not re-load the affected months of entrygroups into the warehouse afterwards');
}

/** Adds `clockodo edit` and `clockodo delete` to the program. */
export function registerClockodoCommands(program: Command, makeContext: () => Promise<CommandContext>): void {
  const group = program
    .command('clockodo')
    .description('change time entries in clockodo (two steps: count and confirm), then re-sync the warehouse')
    .addHelpText('after', `\nSelection: ${FILTER_HELP}. Every change is counted first and needs a confirmation.`);

  addSelectionOptions(group.command('edit').description('set new values on a group of time entries (PUT /v2/entrygroups)'))
    .option('--set-users-id <id>', 'new user')
    .option('--set-customers-id <id>', 'new customer')
    .option('--set-projects-id <id>', 'new project')
    .option('--set-subprojects-id <id>', 'new subproject')
    .option('--set-services-id <id>', 'new service')
    .option('--set-lumpsum-services-id <id>', 'new lump-sum service')
    .option('--set-billable <0|1|2>', 'new billable state: 0 not billable, 1 billable, 2 billed')
    .option('--set-text <text>', 'new description')
    .option('--set-hourly-rate <rate>', 'new hourly rate, e.g. 92.50')
    .addHelpText('after', `\nExample:\n  punchcard clockodo edit --since 2026-09-01 --until 2026-09-30 --users-id 501 --billable 1 --set-billable 2`)
    .action(async (flags: ClockodoChangeFlags) => {
      const context = await makeContext(); // first: it installs the signal handlers
      const { clockodoChangeCommand } = await import('./clockodo.ts');
      await clockodoChangeCommand(context, 'edit', flags);
    });

  addSelectionOptions(group.command('delete').description('delete a group of time entries (DELETE /v2/entrygroups)'))
    .addHelpText('after', `\nExample:\n  punchcard clockodo delete --since 2026-09-14 --until 2026-09-14 --users-id 501 --dry-run`)
    .action(async (flags: ClockodoChangeFlags) => {
      const context = await makeContext(); // first: it installs the signal handlers
      const { clockodoChangeCommand } = await import('./clockodo.ts');
      await clockodoChangeCommand(context, 'delete', flags);
    });
}

