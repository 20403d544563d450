/** The clockodo API simulator: start it with `startClockodoSimulator({ attendance })`. */
export { startClockodoSimulator, type ClockodoSimulator, type ClockodoSimulatorOptions, type SimRequest } from './server.ts';
export {
  ClockodoDataset,
  DatasetError,
  DEFAULT_API_USERS,
  BUDGET_TYPES,
  type ClockodoApiUser,
  type ClockodoUser,
  type ClockodoEntry,
  type PersonLink,
  type EntryFilter,
  type EntryPatch,
  type NewEntry,
  type ClockodoDatasetOptions,
} from './dataset.ts';
export { GROUPINGS, type Grouping } from './entrygroups.ts';
