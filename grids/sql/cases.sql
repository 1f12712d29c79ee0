-- Cases (migration 0002). In-memory indexes (the locator in every server process) are keyed on
-- these counters: any write that changes what they hold bumps one in the same transaction, so a
-- reader sees the new number exactly when it can see the new data.
INSERT INTO cache_versions (name) VALUES ('grids'), ('rosters');

CREATE FUNCTION cache_versions_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE cache_versions SET version = version + 1, changed_at = now() WHERE name = TG_ARGV[0];
  RETURN NULL;
END $$;

-- Drafts are not looked up, so only writes touching an active generation's grids count (planners
-- importing drafts side by side must not queue on the counter's row).
CREATE FUNCTION cache_versions_bump_active_grids() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed c JOIN generations g ON g.id = c.generation_id WHERE g.status = 'active') THEN
    UPDATE cache_versions SET version = version + 1, changed_at = now() WHERE name = 'grids';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER cache_versions_grids_insert AFTER INSERT ON grids
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_versions_bump_active_grids();
CREATE TRIGGER cache_versions_grids_update AFTER UPDATE ON grids
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_versions_bump_active_grids();
CREATE TRIGGER cache_versions_grids_delete AFTER DELETE ON grids
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cache_versions_bump_active_grids();
CREATE TRIGGER cache_versions_generations AFTER UPDATE OF status OR DELETE ON generations
FOR EACH STATEMENT EXECUTE FUNCTION cache_versions_bump('grids');
CREATE TRIGGER cache_versions_divisions AFTER INSERT OR UPDATE OR DELETE ON divisions
FOR EACH STATEMENT EXECUTE FUNCTION cache_versions_bump('grids');

CREATE TRIGGER cache_versions_workers AFTER INSERT OR UPDATE OR DELETE ON workers
FOR EACH STATEMENT EXECUTE FUNCTION cache_versions_bump('rosters');
CREATE TRIGGER cache_versions_assignments AFTER INSERT OR UPDATE OR DELETE ON worker_assignments
FOR EACH STATEMENT EXECUTE FUNCTION cache_versions_bump('rosters');
CREATE TRIGGER cache_versions_duty AFTER INSERT OR UPDATE OR DELETE ON duty_windows
FOR EACH STATEMENT EXECUTE FUNCTION cache_versions_bump('rosters');
-- Reporters are inserted into people with every case; only edits of existing people matter here.
CREATE TRIGGER cache_versions_people AFTER UPDATE OR DELETE ON people
FOR EACH STATEMENT EXECUTE FUNCTION cache_versions_bump('rosters');

-- What the locator's cache is keyed on, in one call whose plan PL/pgSQL keeps per connection
-- (planning the equivalent ad-hoc query costs more than running it).
CREATE FUNCTION locate_versions(OUT grids bigint, OUT rosters bigint, OUT generations integer[])
LANGUAGE plpgsql STABLE AS $$
BEGIN
  SELECT version INTO grids FROM cache_versions WHERE name = 'grids';
  SELECT version INTO rosters FROM cache_versions WHERE name = 'rosters';
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO generations FROM generations WHERE status = 'active';
END $$;

-- The intake's possible duplicate (grids/cases/intake.py): the nearest case of the same county and
-- category family within `radius` metres (EPSG:4549) and `window_s` seconds of `reported`, not
-- rejected or merged; ties go to the lowest id. A function with a generic plan, because planning
-- the geometry estimate against a large cases table costs ~20 ms a call; the fenced subquery
-- (OFFSET 0) keeps that plan on the spatial index.
CREATE FUNCTION cases_duplicate_candidate(county char(12), family text, reported timestamptz,
                                          window_s float8, x float8, y float8, radius float8)
RETURNS bigint LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  here geometry := ST_SetSRID(ST_MakePoint(x, y), 4490);
  metric geometry := ST_Transform(ST_SetSRID(ST_MakePoint(x, y), 4490), 4549);
  found bigint;
BEGIN
  SELECT c.id INTO found
  FROM (SELECT * FROM cases WHERE geom && ST_Expand(here, radius / 50000.0) OFFSET 0) c  -- 1° ≥ 50 km below 63°N
  JOIN case_categories k ON k.code = c.category_code
  WHERE c.county_code = county AND k.family = cases_duplicate_candidate.family
    AND c.status NOT IN ('rejected', 'merged')
    AND c.reported_at BETWEEN reported - make_interval(secs => window_s) AND reported + make_interval(secs => window_s)
    AND ST_DWithin(ST_Transform(c.geom, 4549), metric, radius)
  ORDER BY ST_Distance(ST_Transform(c.geom, 4549), metric), c.id
  LIMIT 1;
  RETURN found;
END $$;
