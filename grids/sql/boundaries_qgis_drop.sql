DROP TRIGGER grids_stamp ON grids;
DROP FUNCTION grids_stamp();
DROP POLICY household_blocks_editor_read ON household_blocks;
DROP POLICY divisions_editor_read ON divisions;
DROP POLICY generations_editor_read ON generations;
DROP POLICY grids_editor_delete ON grids;
DROP POLICY grids_editor_update ON grids;
DROP POLICY grids_editor_insert ON grids;
DROP POLICY grids_editor_read ON grids;
ALTER TABLE household_blocks DISABLE ROW LEVEL SECURITY;
ALTER TABLE divisions DISABLE ROW LEVEL SECURITY;
ALTER TABLE generations DISABLE ROW LEVEL SECURITY;
ALTER TABLE grids DISABLE ROW LEVEL SECURITY;
ALTER FUNCTION grids_refresh_parts() SECURITY INVOKER;
ALTER FUNCTION grids_refresh_parts() RESET search_path;
REVOKE ALL ON divisions, generations, household_blocks, grids FROM grids_editor;
REVOKE ALL ON SEQUENCE grids_id_seq FROM grids_editor;
REVOKE ALL ON SCHEMA public FROM grids_editor;
DROP FUNCTION grids_login_drafts();
DROP FUNCTION grids_login_prefix();
-- The role is shared by the cluster: it goes only when no other database still grants it anything.
DO $$
BEGIN
  DROP ROLE IF EXISTS grids_editor;
EXCEPTION WHEN dependent_objects_still_exist THEN
  RAISE NOTICE 'role grids_editor is still used by another database; kept';
END $$;
