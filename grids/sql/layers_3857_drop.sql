DROP TRIGGER layers_refresh_3857 ON cases;
DROP TRIGGER layers_refresh_3857 ON grids;
DROP TRIGGER layers_refresh_3857 ON divisions;
DROP FUNCTION layers_refresh_3857();
DROP FUNCTION layers_web_mercator(geometry);
