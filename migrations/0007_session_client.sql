-- The kind of client a session was opened from (`web` or `cli`), which Amplify reports as `from`.
ALTER TABLE sessions ADD COLUMN client TEXT NOT NULL DEFAULT 'web';
