-- Undo cases.sql (downgrade of migration 0002).
DROP TRIGGER cache_versions_people ON people;
DROP TRIGGER cache_versions_duty ON duty_windows;
DROP TRIGGER cache_versions_assignments ON worker_assignments;
DROP TRIGGER cache_versions_workers ON workers;
DROP TRIGGER cache_versions_divisions ON divisions;
DROP TRIGGER cache_versions_generations ON generations;
DROP TRIGGER cache_versions_grids_delete ON grids;
DROP TRIGGER cache_versions_grids_update ON grids;
DROP TRIGGER cache_versions_grids_insert ON grids;
DROP FUNCTION cases_duplicate_candidate(char, text, timestamptz, float8, float8, float8, float8);
DROP FUNCTION locate_versions();
DROP FUNCTION cache_versions_bump_active_grids();
DROP FUNCTION cache_versions_bump();
