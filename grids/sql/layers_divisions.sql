-- Divisions of one level in a jurisdiction, as map features (no personal data here at all).
SELECT d.code AS fid, d.code, d.name, d.level, d.parent_code, d.households, d.population,
       d.geom, d.geom_3857
FROM divisions d
WHERE d.level = :level AND d.code LIKE :scope AND d.geom IS NOT NULL
