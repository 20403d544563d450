-- The fingerprint of the answer a committed window loaded (SHA-256 of the answer, the settings
-- that shape its rows and the transform's version): a later sync that receives the same answer
-- records its window without staging or merging anything (load-window.ts, loadUnchangedWindow).
ALTER TABLE punchcard.sync_windows ADD COLUMN answer_sha256 text;
