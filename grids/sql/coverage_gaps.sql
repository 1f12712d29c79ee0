-- Coverage gaps in a jurisdiction (:scope, a code prefix), every kind one row with the same columns:
--   spatial   uncovered         ground of a village no active grid covers
--             outside_villages  ground of a township (or county, city) that none of its children covers
--   staffing  no_worker         a grid with no primary or backup worker assigned at :at
--             off_duty          a staffed grid whose grid workers (primary, backup, head) are all off duty
--             no_platform_staff a grid with no staff of a platform allocated
--             households_over_cap / open_cases_over_cap   load per worker above the caps
--   reach     out_of_reach      a grid whose centre is farther than :reach_m from every base of a
--                               platform's staff in its township
-- A worker on several grids counts for each in proportion (1 / the grids they answer for), so one
-- worker on three grids is a third of a worker on each. Pieces under 1 m² are digitising noise.
-- :area (EWKT, or NULL) narrows the work to an area first, for tiles and bounding boxes.
WITH p AS MATERIALIZED (
  SELECT coalesce(CAST(:at AS timestamptz), now()) AS at,
         coalesce(CAST(:at AS timestamptz), now()) AT TIME ZONE 'Asia/Shanghai' AS local,
         CAST(:households_cap AS float8) AS households_cap, CAST(:open_cases_cap AS float8) AS open_cases_cap,
         CAST(:reach_m AS float8) AS reach_m,
         CASE WHEN CAST(:area AS text) IS NULL THEN NULL
              ELSE ST_Transform(ST_GeomFromEWKT(CAST(:area AS text)), 3857) END AS area
), active AS MATERIALIZED (
  SELECT ge.id FROM generations ge WHERE ge.status = 'active'
), g AS MATERIALIZED (
  SELECT g.code, g.name, g.village_code, g.households, g.geom, g.geom_3857
  FROM grids g, p
  WHERE g.generation_id IN (SELECT id FROM active) AND g.code LIKE :scope
    AND (p.area IS NULL OR g.geom_3857 && p.area)
), a AS MATERIALIZED (
  -- Assignments in force at :at of active workers on these grids; with how many grids each worker
  -- answers for (all their grids, not only the ones here) and whether they are on duty at :at.
  SELECT a.grid_code::text AS grid_code, a.kind, a.worker_id, w.role, w.platform_code,
         sp.primaries, sp.duties, d.on_duty
  FROM worker_assignments a JOIN workers w ON w.id = a.worker_id AND w.active, p
  CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE x.kind = 'primary') AS primaries,
           count(*) FILTER (WHERE x.kind IN ('primary', 'backup')) AS duties
    FROM worker_assignments x
    WHERE x.worker_id = a.worker_id AND x.valid_from <= p.at AND (x.valid_to IS NULL OR x.valid_to > p.at)
  ) sp
  CROSS JOIN LATERAL (
    SELECT EXISTS (
      SELECT 1 FROM duty_windows dw
      WHERE dw.worker_id = a.worker_id AND dw.weekday = extract(isodow FROM p.local)
        AND dw.starts <= p.local::time AND p.local::time < dw.ends
    ) AS on_duty
  ) d
  WHERE a.grid_code = ANY(ARRAY(SELECT code::bpchar FROM g))
    AND a.valid_from <= p.at AND (a.valid_to IS NULL OR a.valid_to > p.at)
), s AS (
  SELECT a.grid_code AS code,
         count(DISTINCT a.worker_id) FILTER (WHERE a.kind IN ('primary', 'backup'))::int AS responsible,
         count(DISTINCT a.worker_id) FILTER (WHERE a.kind IN ('primary', 'backup', 'head'))::int AS grid_workers,
         coalesce(sum(1.0 / a.primaries) FILTER (WHERE a.kind = 'primary' AND a.role = 'full_time'), 0)
           AS full_time_share,
         coalesce(sum(1.0 / a.duties) FILTER (WHERE a.kind IN ('primary', 'backup')), 0) AS duty_share,
         coalesce(bool_or(a.on_duty) FILTER (WHERE a.kind IN ('primary', 'backup', 'head')), false) AS on_duty,
         coalesce(array_agg(DISTINCT a.platform_code) FILTER (WHERE a.kind = 'platform'), '{}') AS platforms
  FROM a
  GROUP BY a.grid_code
), oc AS (
  -- Open cases per grid, kept by triggers on `cases` (grids/sql/grid_figures.sql).
  SELECT f.grid_code::text AS code, f.open_cases
  FROM grid_case_figures f
  WHERE f.grid_code = ANY(ARRAY(SELECT code::bpchar FROM g))
), staffed AS (
  SELECT g.*, coalesce(s.responsible, 0) AS responsible, coalesce(s.grid_workers, 0) AS grid_workers,
         coalesce(s.on_duty, false) AS on_duty, coalesce(s.platforms, '{}') AS platforms,
         coalesce(oc.open_cases, 0) AS open_cases,
         round(g.households / nullif(s.full_time_share, 0), 1)::float8 AS households_per_worker,
         round(coalesce(oc.open_cases, 0) / nullif(s.duty_share, 0), 1)::float8 AS open_cases_per_worker
  FROM g LEFT JOIN s ON s.code = g.code LEFT JOIN oc ON oc.code = g.code
), holes AS (
  -- Ground of a village no grid covers, and ground of a larger division none of its children covers
  -- (only where some child has a shape: divisions without shapes are not compared).
  SELECT 'uncovered' AS kind, v.code, u.rest
  FROM divisions v, p
  CROSS JOIN LATERAL (
    SELECT ST_Difference(v.geom, coalesce(ST_Union(x.geom), ST_GeomFromText('POLYGON EMPTY', 4490))) AS rest
    FROM grids x WHERE x.village_code = v.code AND x.generation_id IN (SELECT id FROM active)
  ) u
  WHERE v.level = 'village' AND v.code LIKE :scope AND v.geom IS NOT NULL
    AND (p.area IS NULL OR v.geom_3857 && p.area)
  UNION ALL
  SELECT 'outside_villages', t.code, u.rest
  FROM divisions t, p
  CROSS JOIN LATERAL (
    SELECT ST_Difference(t.geom, ST_Union(c.geom)) AS rest
    FROM divisions c WHERE c.parent_code = t.code AND c.geom IS NOT NULL
    HAVING count(*) > 0
  ) u
  WHERE t.level <> 'village' AND t.code LIKE :scope AND t.geom IS NOT NULL
    AND (p.area IS NULL OR t.geom_3857 && p.area)
), pieces AS (
  SELECT h.kind, h.code, coalesce(d.path[1], 1) AS n, ST_Multi(d.geom) AS geom,
         ST_Area(d.geom::geography) AS area_m2
  FROM holes h CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(h.rest, 3)) d
  WHERE ST_Area(d.geom::geography) >= 1
), spatial AS (
  SELECT x.*, b.households, c.cases, c.open_cases
  FROM pieces x
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(b.households), 0)::int AS households FROM household_blocks b WHERE ST_Covers(x.geom, b.geom)
  ) b
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS cases,
           count(*) FILTER (WHERE c.status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred'))::int
             AS open_cases
    FROM cases c WHERE ST_Covers(x.geom, c.geom)
  ) c
), bases AS MATERIALIZED (
  SELECT w.township_code::text AS township_code, w.platform_code, w.base::geography AS base
  FROM workers w
  WHERE w.role = 'platform_staff' AND w.active AND w.base IS NOT NULL
    AND w.township_code::text IN (SELECT DISTINCT left(code, 9) || '000' FROM g)
), reach AS (
  -- The nearest base of each platform's active staff employed by the grid's township.
  SELECT st.code, b.platform_code, min(ST_Distance(ST_PointOnSurface(st.geom)::geography, b.base)) AS distance_m
  FROM staffed st JOIN bases b ON b.township_code = left(st.code, 9) || '000'
  GROUP BY st.code, b.platform_code
), found AS (
  SELECT x.code || '-' || x.kind || '-' || x.n AS fid, x.kind,
         CASE WHEN x.households > 0 OR x.cases > 0 THEN 'high' WHEN x.area_m2 >= 10 THEN 'medium' ELSE 'low' END
           AS severity,
         CASE WHEN x.kind = 'uncovered' THEN x.code END AS village_code, x.code AS division_code,
         NULL::text AS grid_code, NULL::text AS grid_name, NULL::text AS platform_code,
         round(x.area_m2::numeric, 1)::float8 AS area_m2, x.households, x.cases, x.open_cases,
         NULL::int AS workers, NULL::float8 AS households_per_worker, NULL::float8 AS open_cases_per_worker,
         NULL::float8 AS distance_m, NULL::float8 AS threshold, x.geom, layers_web_mercator(x.geom) AS geom_3857
  FROM spatial x
  UNION ALL
  SELECT st.code || '-no_worker', 'no_worker', 'high', st.village_code, st.village_code, st.code, st.name, NULL,
         NULL, st.households, NULL, st.open_cases, st.grid_workers, NULL, NULL, NULL, NULL, st.geom, st.geom_3857
  FROM staffed st WHERE st.responsible = 0
  UNION ALL
  SELECT st.code || '-off_duty', 'off_duty', 'medium', st.village_code, st.village_code, st.code, st.name, NULL,
         NULL, st.households, NULL, st.open_cases, st.grid_workers, NULL, NULL, NULL, NULL, st.geom, st.geom_3857
  FROM staffed st WHERE st.responsible > 0 AND NOT st.on_duty
  UNION ALL
  SELECT st.code || '-no_platform_staff-' || pl.code, 'no_platform_staff', 'medium', st.village_code,
         st.village_code, st.code, st.name, pl.code, NULL, st.households, NULL, st.open_cases, NULL, NULL, NULL,
         NULL, NULL, st.geom, st.geom_3857
  FROM staffed st CROSS JOIN platforms pl WHERE NOT pl.code = ANY(st.platforms)
  UNION ALL
  -- With no full-time worker at all, the grid's own households are compared with the cap.
  SELECT st.code || '-households_over_cap', 'households_over_cap',
         CASE WHEN coalesce(st.households_per_worker, st.households) > 1.5 * p.households_cap THEN 'high'
              ELSE 'medium' END,
         st.village_code, st.village_code, st.code, st.name, NULL, NULL, st.households, NULL, st.open_cases,
         st.grid_workers, st.households_per_worker, st.open_cases_per_worker, NULL, p.households_cap,
         st.geom, st.geom_3857
  FROM staffed st, p
  WHERE coalesce(st.households_per_worker, st.households) > p.households_cap
  UNION ALL
  SELECT st.code || '-open_cases_over_cap', 'open_cases_over_cap',
         CASE WHEN st.open_cases_per_worker > 1.5 * p.open_cases_cap THEN 'high' ELSE 'medium' END,
         st.village_code, st.village_code, st.code, st.name, NULL, NULL, st.households, NULL, st.open_cases,
         st.grid_workers, st.households_per_worker, st.open_cases_per_worker, NULL, p.open_cases_cap,
         st.geom, st.geom_3857
  FROM staffed st, p WHERE st.open_cases_per_worker > p.open_cases_cap
  UNION ALL
  SELECT st.code || '-out_of_reach-' || r.platform_code, 'out_of_reach',
         CASE WHEN r.distance_m > 2 * p.reach_m THEN 'high' ELSE 'medium' END,
         st.village_code, st.village_code, st.code, st.name, r.platform_code, NULL, st.households, NULL,
         st.open_cases, NULL, NULL, NULL, round(r.distance_m::numeric)::float8, p.reach_m, st.geom, st.geom_3857
  FROM reach r JOIN staffed st ON st.code = r.code, p
  WHERE r.distance_m > p.reach_m
)
SELECT f.fid, f.kind, f.severity,
       CASE WHEN substr(f.division_code, 5, 2) <> '00' THEN left(f.division_code, 6) || '000000' END AS county_code,
       cn.name AS county_name,
       CASE WHEN substr(f.division_code, 7, 3) <> '000' THEN left(f.division_code, 9) || '000' END AS township_code,
       tn.name AS township_name, f.village_code, vn.name AS village_name,
       f.grid_code, f.grid_name, f.platform_code, f.area_m2, f.households, f.cases, f.open_cases, f.workers,
       f.households_per_worker, f.open_cases_per_worker, f.distance_m, f.threshold, f.geom, f.geom_3857
FROM found f
LEFT JOIN divisions cn ON cn.code = left(f.division_code, 6) || '000000' AND substr(f.division_code, 5, 2) <> '00'
LEFT JOIN divisions tn ON tn.code = left(f.division_code, 9) || '000' AND substr(f.division_code, 7, 3) <> '000'
LEFT JOIN divisions vn ON vn.code = f.village_code
