-- Planners edit drafts in QGIS with their own database login (a member of grids_editor): they see
-- only their jurisdiction, may change grids of drafts in it and nothing active, and cannot read
-- personal data (people, cases, users, tokens are not granted). The application connects as the
-- tables' owner, which row-level security does not restrict.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grids_editor') THEN
    CREATE ROLE grids_editor NOLOGIN;  -- roles are shared by the cluster's databases
  END IF;
END $$;

-- The jurisdiction of the login running the query: its user's scope as a code prefix ('' for the
-- whole installation), NULL for a login that is not registered (it then sees nothing).
CREATE FUNCTION grids_login_prefix() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT CASE WHEN u.scope_code IS NULL THEN '' ELSE division_prefix(u.scope_code) END
  FROM db_logins l JOIN users u ON u.id = l.user_id
  WHERE l.login = session_user AND NOT u.disabled AND u.role IN ('planner', 'admin')
$$;

-- Draft generations the login may edit.
CREATE FUNCTION grids_login_drafts() RETURNS SETOF integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT id FROM generations
  WHERE status = 'draft' AND division_prefix(scope_code) LIKE grids_login_prefix() || '%'
$$;

GRANT USAGE ON SCHEMA public TO grids_editor;
GRANT SELECT ON divisions, generations, household_blocks TO grids_editor;
GRANT SELECT, INSERT, UPDATE, DELETE ON grids TO grids_editor;
GRANT USAGE ON SEQUENCE grids_id_seq TO grids_editor;
GRANT EXECUTE ON FUNCTION grids_login_prefix(), grids_login_drafts() TO grids_editor;

-- The subdivided parts follow every edit through this trigger; it runs as the owner so that
-- editors need no access to grid_parts (which would show shapes outside their jurisdiction).
ALTER FUNCTION grids_refresh_parts() SECURITY DEFINER;
ALTER FUNCTION grids_refresh_parts() SET search_path = public;

ALTER TABLE grids ENABLE ROW LEVEL SECURITY;
ALTER TABLE generations ENABLE ROW LEVEL SECURITY;
ALTER TABLE divisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE household_blocks ENABLE ROW LEVEL SECURITY;

CREATE POLICY grids_editor_read ON grids FOR SELECT TO grids_editor
  USING (village_code LIKE grids_login_prefix() || '%' OR generation_id IN (SELECT grids_login_drafts()));
CREATE POLICY grids_editor_insert ON grids FOR INSERT TO grids_editor
  WITH CHECK (generation_id IN (SELECT grids_login_drafts()));
CREATE POLICY grids_editor_update ON grids FOR UPDATE TO grids_editor
  USING (generation_id IN (SELECT grids_login_drafts()))
  WITH CHECK (generation_id IN (SELECT grids_login_drafts()));
CREATE POLICY grids_editor_delete ON grids FOR DELETE TO grids_editor
  USING (generation_id IN (SELECT grids_login_drafts()));
CREATE POLICY generations_editor_read ON generations FOR SELECT TO grids_editor
  USING (division_prefix(scope_code) LIKE grids_login_prefix() || '%'
         OR grids_login_prefix() LIKE division_prefix(scope_code) || '%');
CREATE POLICY divisions_editor_read ON divisions FOR SELECT TO grids_editor
  USING (code LIKE grids_login_prefix() || '%' OR grids_login_prefix() LIKE division_prefix(code) || '%');
CREATE POLICY household_blocks_editor_read ON household_blocks FOR SELECT TO grids_editor
  USING (village_code LIKE grids_login_prefix() || '%');

-- Who changed a grid's shape, code, name, kind or village, and when (the login, as QGIS connects).
CREATE FUNCTION grids_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.updated_by := session_user;  -- updated_at: its default, or the time a loader gives
  ELSIF (NEW.geom, NEW.code, NEW.name, NEW.kind, NEW.village_code)
        IS DISTINCT FROM (OLD.geom, OLD.code, OLD.name, OLD.kind, OLD.village_code) THEN
    NEW.updated_by := session_user;
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER grids_stamp BEFORE INSERT OR UPDATE ON grids
FOR EACH ROW EXECUTE FUNCTION grids_stamp();
