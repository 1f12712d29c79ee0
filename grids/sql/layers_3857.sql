-- Map layers read a stored EPSG:3857 copy of each geometry, so a vector tile is one index scan and
-- ST_AsMVTGeom, without transforming every row on every request. Triggers keep the copy in step,
-- whatever path writes (API, CLI, QGIS, psql); a value written to the copy directly is replaced.

-- NULL where Web Mercator cannot hold the shape: a draft may carry coordinates in the wrong CRS
-- (finding that is validation's job), and such a row must still be storable.
CREATE FUNCTION layers_web_mercator(g geometry) RETURNS geometry
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  RETURN ST_Transform(g, 3857);
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;

CREATE FUNCTION layers_refresh_3857() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.geom_3857 := layers_web_mercator(NEW.geom);
  RETURN NEW;
END $$;

CREATE TRIGGER layers_refresh_3857 BEFORE INSERT OR UPDATE OF geom, geom_3857 ON divisions
FOR EACH ROW EXECUTE FUNCTION layers_refresh_3857();

CREATE TRIGGER layers_refresh_3857 BEFORE INSERT OR UPDATE OF geom, geom_3857 ON grids
FOR EACH ROW EXECUTE FUNCTION layers_refresh_3857();

CREATE TRIGGER layers_refresh_3857 BEFORE INSERT OR UPDATE OF geom, geom_3857 ON cases
FOR EACH ROW EXECUTE FUNCTION layers_refresh_3857();

UPDATE divisions SET geom_3857 = layers_web_mercator(geom) WHERE geom IS NOT NULL;
UPDATE grids SET geom_3857 = layers_web_mercator(geom);
UPDATE cases SET geom_3857 = layers_web_mercator(geom) WHERE geom IS NOT NULL;
