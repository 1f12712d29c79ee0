-- Re-home open cases after a publish: every open case whose grid may have changed (its grid was
-- reshaped or removed, or it lies in a reshaped or new grid) gets the grid the new boundaries give it
-- (covering grid, lowest code on a shared edge; else the nearest within 200 m) and that grid's
-- primary worker, with one append-only event each. Cases a dispatcher placed by hand keep their
-- grid while its code lives on.
--
-- Only changed ground is visited, and from the grids' side: each changed grid finds the cases it
-- covers through the cases' spatial index (about a thousand probes for 10% of 10,000 grids, where
-- probing from each case costs one probe per case). Unchanged grids keep their ground, so a case
-- covered by a changed grid can lie in an unchanged one only on their shared edge: those few, and
-- the cases of changed grids now covered by none, are looked up one by one.
WITH inside AS (
  SELECT c.county_code, c.id, min(g.code) AS code, bool_and(NOT ST_Contains(g.geom, c.geom)) AS on_edge
  FROM grids g
  JOIN cases c ON c.geom && g.geom AND ST_Covers(g.geom, c.geom)
  WHERE g.id = ANY(CAST(:changed_ids AS bigint[])) AND c.county_code = ANY(CAST(:counties AS bpchar[]))
    AND {open_condition}
  GROUP BY c.county_code, c.id
), stranded AS (
  SELECT c.county_code, c.id
  FROM cases c
  WHERE c.grid_code = ANY(CAST(:old_codes AS bpchar[])) AND c.county_code = ANY(CAST(:counties AS bpchar[]))
    AND {open_condition} AND c.geom IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM inside i WHERE i.county_code = c.county_code AND i.id = c.id)
), candidates AS (
  SELECT county_code, id, code, on_edge FROM inside
  UNION ALL
  SELECT county_code, id, NULL, true FROM stranded
), located AS (
  SELECT c.county_code, c.id, c.status, c.grid_code AS old_code, c.worker_id AS old_worker,
         coalesce(LEAST(k.code, any_grid.code), near.code) AS new_code,
         CASE WHEN k.code IS NOT NULL OR any_grid.code IS NOT NULL THEN 0.0 ELSE near.distance END AS distance
  FROM candidates k
  JOIN cases c ON c.county_code = k.county_code AND c.id = k.id
  LEFT JOIN LATERAL (
    SELECT g.code FROM grid_parts p JOIN grids g ON g.id = p.grid_id
    WHERE k.on_edge AND g.generation_id = :generation AND p.geom && c.geom AND ST_Covers(p.geom, c.geom)
    ORDER BY g.code LIMIT 1
  ) any_grid ON true
  LEFT JOIN LATERAL (
    SELECT g.code, ST_Distance(g.geom::geography, c.geom::geography) AS distance
    FROM grids g
    WHERE k.code IS NULL AND any_grid.code IS NULL AND g.generation_id = :generation
      AND g.geom && ST_Expand(c.geom, 0.003)  -- 0.003° is over 200 m at every latitude of China
      AND ST_DWithin(g.geom::geography, c.geom::geography, 200)
    ORDER BY 2, g.code LIMIT 1
  ) near ON true
  WHERE NOT (
    c.assigned_by IN ('pinned', 'manual')
    AND EXISTS (SELECT 1 FROM grids g WHERE g.generation_id = :generation AND g.code = c.grid_code)
  )
), moved AS (
  SELECT l.*, (
    SELECT a.worker_id FROM worker_assignments a
    WHERE a.grid_code = CAST(l.new_code AS bpchar) AND a.kind = 'primary'
      AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())
    LIMIT 1
  ) AS new_worker
  FROM located l
  WHERE l.new_code IS DISTINCT FROM l.old_code
), updated AS (
  UPDATE cases c
  SET grid_code = m.new_code, worker_id = m.new_worker,
      assigned_by = CASE WHEN m.new_code IS NULL THEN 'outside' ELSE 'republished' END,
      assign_distance_m = m.distance, updated_at = now()
  FROM moved m
  WHERE c.county_code = m.county_code AND c.id = m.id
)
INSERT INTO case_events (county_code, case_id, actor_user_id, actor, action, from_status, to_status, reason, data)
SELECT m.county_code, m.id, :actor_id, :actor, 'rehome', m.status, m.status,
       '网格边界调整，重新归属网格 grid boundaries republished',
       jsonb_build_object('generation_id', :generation, 'from_grid', m.old_code, 'to_grid', m.new_code,
                          'from_worker', m.old_worker, 'to_worker', m.new_worker, 'distance_m', m.distance)
FROM moved m
