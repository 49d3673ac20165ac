-- The per-identifier sign-in rate limit lives in its lockout bucket's row, so that admitting
-- an attempt, counting it and taking its rate token is one statement (a GCRA theoretical
-- arrival time, in milliseconds; 0 is a full bucket).
ALTER TABLE lockouts ADD COLUMN rate_tat BIGINT NOT NULL DEFAULT 0;
