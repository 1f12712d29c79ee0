-- Announce every change of the locator's counters (migration 0009). Each server process listens on
-- this channel on the connection it keeps for reading the counters, so a locate reads its socket
-- (no round trip) instead of asking for the counters each time: a process asks again only after
-- an announcement. PostgreSQL delivers a notification when the writing transaction commits, to
-- every listener at once; notifications of one transaction with the same payload are sent once.
CREATE FUNCTION cache_versions_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('grids_cache_versions', '');
  RETURN NULL;
END $$;

CREATE TRIGGER cache_versions_notify AFTER UPDATE ON cache_versions
FOR EACH STATEMENT EXECUTE FUNCTION cache_versions_notify();
