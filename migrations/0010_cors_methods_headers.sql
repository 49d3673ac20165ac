-- The methods and request headers an application's browser origins may use (JSON arrays);
-- empty means the API's own.
ALTER TABLE applications ADD COLUMN cors_methods TEXT NOT NULL DEFAULT '[]';
ALTER TABLE applications ADD COLUMN cors_headers TEXT NOT NULL DEFAULT '[]';
