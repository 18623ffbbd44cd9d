-- Queries of the SQL store that only SQLite has, or writes its own way.

-- name: data-version
-- Changes whenever another connection commits to the database.
PRAGMA data_version;
