-- Grids in a jurisdiction with their staffing and open-case load now: of one published generation
-- (:generation), of every published one (:published, for time queries), or of the active ones.
-- Workers appear by staff number only: names and phones live in `people` and never reach a layer.
-- The code columns are CHAR(15) elsewhere: compare as bpchar so their indexes serve the lookups.
-- Case and worker figures are kept per grid code by triggers (grid_figures.sql,
-- grid_worker_figures.sql). A worker count holds until the grid's next assignment starts or ends,
-- which no trigger sees: past that instant (or before it was counted) workers are counted here.
SELECT g.code AS fid, g.code, g.name, g.kind, g.village_code,
       left(g.code, 9) || '000' AS township_code, g.generation_id,
       (SELECT ge.activated_at FROM generations ge WHERE ge.id = g.generation_id) AS valid_from,
       (SELECT ge.retired_at FROM generations ge WHERE ge.id = g.generation_id) AS valid_to,
       g.households, g.population,
       w.workers, w.primary_staff_no,
       coalesce(c.open_cases, 0) AS open_cases, coalesce(c.unassigned_cases, 0) AS unassigned_cases,
       round(coalesce(c.open_cases, 0)::numeric / nullif(w.workers, 0), 2)::float8 AS load,
       g.geom, g.geom_3857
FROM grids g
LEFT JOIN grid_worker_figures kw ON kw.grid_code = g.code::bpchar
CROSS JOIN LATERAL (
  -- Grid workers (head, primary, backup) on the grid now: the kept figures while they hold, else
  -- counted here; no kept row means none. Platform staff are counted apart. A CASE runs its
  -- subqueries only on the branch taken, so a normal tile or page runs none of them.
  SELECT CASE WHEN kw.grid_code IS NULL THEN 0
              WHEN kw.counted_at <= now() AND now() < kw.holds_until THEN kw.workers
              ELSE (SELECT count(DISTINCT a.worker_id)::int FROM worker_assignments a
                    -- OFFSET 0 keeps this a lookup by primary key per assignment (a handful per
                    -- grid); flattened, the planner may hash the whole workers table.
                    JOIN LATERAL (SELECT FROM workers k WHERE k.id = a.worker_id AND k.active OFFSET 0) k ON true
                    WHERE a.grid_code = g.code::bpchar AND a.kind IN ('head', 'primary', 'backup')
                      AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())) END
           AS workers,
         CASE WHEN kw.grid_code IS NULL THEN NULL
              WHEN kw.counted_at <= now() AND now() < kw.holds_until THEN kw.primary_staff_no
              ELSE (SELECT min(k.staff_no) FROM worker_assignments a
                    JOIN LATERAL (SELECT w.staff_no FROM workers w WHERE w.id = a.worker_id AND w.active OFFSET 0) k ON true
                    WHERE a.grid_code = g.code::bpchar AND a.kind = 'primary'
                      AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())) END
           AS primary_staff_no
) w
LEFT JOIN grid_case_figures c ON c.grid_code = g.code::bpchar
-- The jurisdiction as a range of codes (published codes are all digits), so that the index on
-- (generation_id, code) serves it; `code LIKE` could not use that index.
WHERE g.code >= :scope_low AND (CAST(:scope_high AS text) IS NULL OR g.code < :scope_high)
  -- The generations are chosen once (an init plan), so grids are read by code prefix alone.
  AND g.generation_id = ANY(ARRAY(
    SELECT ge.id FROM generations ge
    WHERE CASE WHEN CAST(:generation AS integer) IS NOT NULL THEN ge.id = :generation
               WHEN :published THEN ge.status <> 'draft'
               ELSE ge.status = 'active' END))
