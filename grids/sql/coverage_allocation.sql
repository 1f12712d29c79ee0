-- The grids of an area (:scope, a code prefix) for allocating one platform's (:platform) staff: a
-- point on each grid's surface in the metric CRS and in longitude/latitude, its households, the
-- platform's cases received there in [:from, :to), and the platform's staff member(s) on it at :at.
SELECT g.code, g.name, g.households,
       ST_X(ST_Transform(c.pt, 4549)) AS x, ST_Y(ST_Transform(c.pt, 4549)) AS y,
       ST_X(c.pt) AS lon, ST_Y(c.pt) AS lat,
       (SELECT count(*) FROM cases k
        WHERE k.grid_code = g.code::bpchar AND k.platform_code = :platform
          AND k.received_at >= :from AND k.received_at < :to)::int AS cases,
       ARRAY(SELECT a.worker_id FROM worker_assignments a JOIN workers w ON w.id = a.worker_id
             WHERE a.grid_code = g.code::bpchar AND a.kind = 'platform' AND w.platform_code = :platform
               AND a.valid_from <= :at AND (a.valid_to IS NULL OR a.valid_to > :at)
             ORDER BY a.worker_id) AS current
FROM grids g
CROSS JOIN LATERAL (SELECT ST_PointOnSurface(g.geom) AS pt) c
WHERE g.generation_id IN (SELECT ge.id FROM generations ge WHERE ge.status = 'active') AND g.code LIKE :scope
ORDER BY g.code
