-- Undo cache_versions_notify.sql (downgrade of migration 0009).
DROP TRIGGER cache_versions_notify ON cache_versions;
DROP FUNCTION cache_versions_notify();
