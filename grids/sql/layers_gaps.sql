-- Coverage gaps: ground of a village that no grid of an active generation covers, one feature per
-- piece (pieces under 1 m² are digitising noise). Computed on request: only the villages of the
-- jurisdiction, and of the area asked for (:area, EWKT) when there is one, are looked at.
SELECT v.code || '-' || coalesce(d.path[1], 1) AS fid, v.code AS village_code, left(v.code, 9) || '000' AS township_code,
       round(ST_Area(d.geom::geography)::numeric, 1)::float8 AS area_m2,
       d.geom, layers_web_mercator(d.geom) AS geom_3857
FROM divisions v
CROSS JOIN LATERAL (
  SELECT ST_Difference(v.geom, coalesce(ST_Union(g.geom), ST_GeomFromText('POLYGON EMPTY', 4490))) AS rest
  FROM grids g
  WHERE g.village_code = v.code
    AND g.generation_id = ANY(ARRAY(SELECT ge.id FROM generations ge WHERE ge.status = 'active'))
) u
CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(u.rest, 3)) d
WHERE v.level = 'village' AND v.code LIKE :scope AND v.geom IS NOT NULL
  AND (CAST(:area AS text) IS NULL OR v.geom_3857 && ST_Transform(ST_GeomFromEWKT(:area), 3857))
  AND ST_Area(d.geom::geography) >= 1
