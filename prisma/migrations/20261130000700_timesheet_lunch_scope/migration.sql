-- A lunch nested in a timesheet session is returned by the window holding the session's start,
-- not the lunch's own start (a night shift's lunch after midnight). That window owns it, so the
-- loader scopes timesheet lunches by session_start_local; this index serves that predicate.
CREATE INDEX tc_lunches_session_scope_idx ON punchcard.tc_lunches (account, method, session_start_local);
