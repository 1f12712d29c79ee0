-- Grid workers per grid code (migration 0008), kept by the database so that map layers read one row
-- instead of counting assignments on every tile. A count holds from `counted_at` until
-- `holds_until`, the next instant an assignment of that grid starts or ends ('infinity' if none):
-- assignments follow the clock, which no trigger sees, so a reader uses the kept count only inside
-- that window and counts live outside it (grids/sql/layers_grids.sql). A grid code with no row has
-- never had an assignment: it has no workers.
--
-- Counted as the grid layer always counted them: distinct active workers with a head, primary or
-- backup assignment on the grid, and the staff number of its primary.
--
-- Writers recount, they do not add deltas, so two transactions touching one grid must not both
-- count before either commits: each first locks the grids' rows (in code order, so writers queue
-- instead of deadlocking) and only then counts, in a new statement whose snapshot sees what the
-- writer it waited for committed.

CREATE FUNCTION grid_worker_figures_recount(codes bpchar[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO grid_worker_figures (grid_code, workers, counted_at, holds_until)
  SELECT DISTINCT code, 0, now(), now() FROM unnest(codes) AS code ORDER BY code
  ON CONFLICT (grid_code) DO NOTHING;
  PERFORM 1 FROM grid_worker_figures WHERE grid_code = ANY(codes) ORDER BY grid_code FOR UPDATE;
  UPDATE grid_worker_figures AS f
  SET workers = n.workers, primary_staff_no = n.primary_staff_no, counted_at = now(),
      holds_until = n.holds_until
  FROM (
    SELECT c.code,
           (SELECT count(DISTINCT a.worker_id)::int
            FROM worker_assignments a JOIN workers w ON w.id = a.worker_id AND w.active
            WHERE a.grid_code = c.code AND a.kind IN ('head', 'primary', 'backup')
              AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())) AS workers,
           (SELECT min(w.staff_no)
            FROM worker_assignments a JOIN workers w ON w.id = a.worker_id AND w.active
            WHERE a.grid_code = c.code AND a.kind = 'primary'
              AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())) AS primary_staff_no,
           coalesce((SELECT min(t)
                     FROM worker_assignments a, LATERAL (VALUES (a.valid_from), (a.valid_to)) AS v(t)
                     WHERE a.grid_code = c.code AND a.kind IN ('head', 'primary', 'backup') AND t > now()),
                    'infinity') AS holds_until
    FROM (SELECT DISTINCT code FROM unnest(codes) AS code) AS c
  ) AS n
  WHERE f.grid_code = n.code;
END $$;

-- Each branch reads only the transition tables its trigger declares.
CREATE FUNCTION grid_worker_figures_assignments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM grid_worker_figures_recount(ARRAY(SELECT DISTINCT grid_code FROM changed_new));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM grid_worker_figures_recount(ARRAY(SELECT DISTINCT grid_code FROM changed_old));
  ELSE
    PERFORM grid_worker_figures_recount(ARRAY(
      SELECT grid_code FROM changed_new UNION SELECT grid_code FROM changed_old));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER grid_worker_figures_insert AFTER INSERT ON worker_assignments
REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION grid_worker_figures_assignments();
CREATE TRIGGER grid_worker_figures_update AFTER UPDATE ON worker_assignments
REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
FOR EACH STATEMENT EXECUTE FUNCTION grid_worker_figures_assignments();
CREATE TRIGGER grid_worker_figures_delete AFTER DELETE ON worker_assignments
REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION grid_worker_figures_assignments();

CREATE FUNCTION grid_worker_figures_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM grid_worker_figures;
  RETURN NULL;
END $$;

CREATE TRIGGER grid_worker_figures_truncate AFTER TRUNCATE ON worker_assignments
FOR EACH STATEMENT EXECUTE FUNCTION grid_worker_figures_clear();

-- A worker leaving or coming back (active) or renumbered (staff_no) changes the figures of every
-- grid the worker is assigned to. (A trigger with transition tables cannot name columns, so the
-- function compares the old and new rows itself.)
CREATE FUNCTION grid_worker_figures_workers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM grid_worker_figures_recount(ARRAY(
    SELECT DISTINCT a.grid_code
    FROM changed_new n JOIN changed_old o ON o.id = n.id
    JOIN worker_assignments a ON a.worker_id = n.id
    WHERE n.active IS DISTINCT FROM o.active OR n.staff_no IS DISTINCT FROM o.staff_no));
  RETURN NULL;
END $$;

CREATE TRIGGER grid_worker_figures_workers AFTER UPDATE ON workers
REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
FOR EACH STATEMENT EXECUTE FUNCTION grid_worker_figures_workers();

-- The figures of the assignments already stored.
SELECT grid_worker_figures_recount(ARRAY(SELECT DISTINCT grid_code FROM worker_assignments));
