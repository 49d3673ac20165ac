-- Browser origins an application's pages call the API from (CORS), as a JSON array.
ALTER TABLE applications ADD COLUMN cors_origins TEXT NOT NULL DEFAULT '[]';
