-- Open and unassigned cases per grid code (migration 0005), kept by the database so that map layers
-- read them instead of counting cases on every tile. Whatever path writes cases (API, import COPY,
-- the demo loader, a publish's re-homing, psql), statement triggers add what each statement opened
-- and subtract what it closed, in the writer's transaction: a reader sees the new figures exactly
-- when it sees the cases. One aggregated upsert per statement keeps a 10,000-row COPY cheap; rows
-- are upserted in code order, so writers touching the same grids queue instead of deadlocking, and
-- `n = n + delta` under the row lock loses no count.

-- The statement's new rows count up and its old rows down (an update does both, and one that moved
-- nothing locks nothing). Each branch reads only the transition tables its trigger declares; plain
-- PL/pgSQL statements keep their plans per connection (a helper SQL function was planned per call,
-- doubling the cost of a one-row insert).
CREATE FUNCTION grid_case_figures_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO grid_case_figures AS f (grid_code, open_cases, unassigned_cases)
    SELECT grid_code, count(*), count(*) FILTER (WHERE worker_id IS NULL)
    FROM changed_new
    WHERE grid_code IS NOT NULL AND status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred')
    GROUP BY grid_code ORDER BY grid_code
    ON CONFLICT (grid_code) DO UPDATE
    SET open_cases = f.open_cases + EXCLUDED.open_cases,
        unassigned_cases = f.unassigned_cases + EXCLUDED.unassigned_cases;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO grid_case_figures AS f (grid_code, open_cases, unassigned_cases)
    SELECT grid_code, -count(*), -count(*) FILTER (WHERE worker_id IS NULL)
    FROM changed_old
    WHERE grid_code IS NOT NULL AND status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred')
    GROUP BY grid_code ORDER BY grid_code
    ON CONFLICT (grid_code) DO UPDATE
    SET open_cases = f.open_cases + EXCLUDED.open_cases,
        unassigned_cases = f.unassigned_cases + EXCLUDED.unassigned_cases;
  ELSE
    INSERT INTO grid_case_figures AS f (grid_code, open_cases, unassigned_cases)
    SELECT grid_code, sum(opened), sum(unassigned)
    FROM (
      SELECT grid_code, 1 AS opened, (worker_id IS NULL)::int AS unassigned
      FROM changed_new
      WHERE grid_code IS NOT NULL AND status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred')
      UNION ALL
      SELECT grid_code, -1, -(worker_id IS NULL)::int
      FROM changed_old
      WHERE grid_code IS NOT NULL AND status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred')
    ) AS delta
    GROUP BY grid_code HAVING sum(opened) <> 0 OR sum(unassigned) <> 0 ORDER BY grid_code
    ON CONFLICT (grid_code) DO UPDATE
    SET open_cases = f.open_cases + EXCLUDED.open_cases,
        unassigned_cases = f.unassigned_cases + EXCLUDED.unassigned_cases;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER grid_case_figures_insert AFTER INSERT ON cases
REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION grid_case_figures_apply();
CREATE TRIGGER grid_case_figures_update AFTER UPDATE ON cases
REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
FOR EACH STATEMENT EXECUTE FUNCTION grid_case_figures_apply();
CREATE TRIGGER grid_case_figures_delete AFTER DELETE ON cases
REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION grid_case_figures_apply();

CREATE FUNCTION grid_case_figures_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM grid_case_figures;
  RETURN NULL;
END $$;

CREATE TRIGGER grid_case_figures_truncate AFTER TRUNCATE ON cases
FOR EACH STATEMENT EXECUTE FUNCTION grid_case_figures_clear();

-- The figures of the cases already stored (the triggers above hold off other writers of cases
-- until this migration commits, so none is counted twice or missed).
INSERT INTO grid_case_figures (grid_code, open_cases, unassigned_cases)
SELECT grid_code, count(*), count(*) FILTER (WHERE worker_id IS NULL)
FROM cases
WHERE grid_code IS NOT NULL AND status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred')
GROUP BY grid_code;
