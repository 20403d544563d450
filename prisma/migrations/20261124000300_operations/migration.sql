-- Operations: what the runs ledger says about each stream, for `punchcard status`, the worker's
-- /metrics and BI dashboards.
--
-- An outstanding failed window is a failed (stream, window) with at least one day that no window
-- of the same stream recorded after it (higher id) loaded successfully. Days are compared rather
-- than exact window bounds because the nightly sync's windows move with "today": a failed
-- 2025-10-01..10-07 is repaired by a later 09-30..10-06 plus 10-07..10-13, never by the same
-- bounds again. A day that fell out of the lookback stays outstanding until a backfill covers it.

CREATE VIEW punchcard.outstanding_failed_windows AS
SELECT f.id,
       f.run_id,
       f.source,
       f.account,
       f.stream,
       f.window_start,
       f.window_end,
       f.finished_at AS failed_at,
       f.error
FROM punchcard.sync_windows f
WHERE f.status = 'failed'
  AND EXISTS (
    SELECT 1
    FROM generate_series(f.window_start, f.window_end, interval '1 day') AS day
    WHERE NOT EXISTS (
      SELECT 1
      FROM punchcard.sync_windows s
      WHERE s.status = 'succeeded'
        AND s.source = f.source AND s.account = f.account AND s.stream = f.stream
        AND s.id > f.id
        AND day::date BETWEEN s.window_start AND s.window_end
    )
  );

COMMENT ON VIEW punchcard.outstanding_failed_windows IS
  'Failed windows with at least one day no later succeeded window of the same stream has loaded again.';

CREATE VIEW reporting.sync_status AS
WITH latest AS (
  SELECT DISTINCT ON (source, account, stream)
         source, account, stream, run_id, status, finished_at
  FROM punchcard.sync_windows
  ORDER BY source, account, stream, id DESC
), succeeded AS (
  SELECT source, account, stream, max(finished_at) AS last_success_at, max(window_end) AS freshest_day
  FROM punchcard.sync_windows
  WHERE status = 'succeeded'
  GROUP BY source, account, stream
), last_failure AS (
  SELECT DISTINCT ON (source, account, stream)
         source, account, stream, error, finished_at
  FROM punchcard.sync_windows
  WHERE status = 'failed'
  ORDER BY source, account, stream, id DESC
), outstanding AS (
  SELECT source, account, stream, count(*)::int AS failed_windows
  FROM punchcard.outstanding_failed_windows
  GROUP BY source, account, stream
)
SELECT l.source,
       l.account,
       l.stream,
       l.status AS last_outcome,
       l.run_id AS last_run_id,
       l.finished_at AS last_attempt_at,
       s.last_success_at,
       s.freshest_day AS freshest_synced_day,
       f.error AS last_error,
       f.finished_at AS last_error_at,
       coalesce(o.failed_windows, 0) AS outstanding_failed_windows
FROM latest l
LEFT JOIN succeeded s USING (source, account, stream)
LEFT JOIN last_failure f USING (source, account, stream)
LEFT JOIN outstanding o USING (source, account, stream);

COMMENT ON VIEW reporting.sync_status IS
  'One row per (source, account, stream) the runs ledger has seen: latest outcome, last success, freshest synced day, last error, failed windows still outstanding.';
COMMENT ON COLUMN reporting.sync_status.source IS 'The API: timeclock or clockodo.';
COMMENT ON COLUMN reporting.sync_status.account IS 'Account label of the credentials (TIMECLOCK_ACCOUNT / CLOCKODO_ACCOUNT).';
COMMENT ON COLUMN reporting.sync_status.stream IS 'The stream: one kind of answer of the source (a JSON-RPC method, an endpoint).';
COMMENT ON COLUMN reporting.sync_status.last_outcome IS 'succeeded or failed: the outcome of the window of this stream recorded last.';
COMMENT ON COLUMN reporting.sync_status.last_run_id IS 'The run (punchcard.sync_runs.id) of that window.';
COMMENT ON COLUMN reporting.sync_status.last_attempt_at IS 'When that window finished.';
COMMENT ON COLUMN reporting.sync_status.last_success_at IS 'When a window of this stream last loaded successfully (NULL: never).';
COMMENT ON COLUMN reporting.sync_status.freshest_synced_day IS 'The latest local day any succeeded window of this stream covered (max window_end).';
COMMENT ON COLUMN reporting.sync_status.last_error IS 'Error of the failed window recorded last, even if repaired since (NULL: never failed).';
COMMENT ON COLUMN reporting.sync_status.last_error_at IS 'When that failed window was recorded.';
COMMENT ON COLUMN reporting.sync_status.outstanding_failed_windows IS
  'Failed windows with a day no later succeeded window has loaded (see punchcard.outstanding_failed_windows); 0 means all repaired.';
