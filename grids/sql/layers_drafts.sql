-- Grids of draft generations wholly inside a jurisdiction, faults and all, for editing (OGC API
-- Features Part 4). `version` is the optimistic lock an edit must present.
SELECT g.id AS fid, g.id, g.generation_id, g.code, g.name, g.kind, g.village_code,
       g.households, g.population, g.version, g.updated_at,
       g.geom, g.geom_3857
FROM grids g
JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'draft'
WHERE ge.scope_code LIKE :scope
