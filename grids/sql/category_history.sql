-- Category history (migration 0007): every version of a case category, written by triggers so that
-- every path (the API, file imports, the demo loader, a SQL edit) keeps it. Who changed it: the
-- service names the user in the transaction setting `grids.actor`; otherwise the database login.
ALTER TABLE case_category_versions ADD CONSTRAINT ex_case_category_versions_one_at_a_time
  EXCLUDE USING gist (category_code WITH =, tstzrange(valid_from, valid_to) WITH &&);

CREATE FUNCTION case_categories_version() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  -- clock time, not the transaction's: the row lock orders concurrent edits by commit, so versions
  -- follow one another; a second edit in one transaction still gets a later instant.
  at timestamptz := clock_timestamp();
  open_from timestamptz;
BEGIN
  SELECT valid_from INTO open_from FROM case_category_versions
  WHERE category_code = NEW.code AND valid_to IS NULL FOR UPDATE;
  IF open_from IS NOT NULL THEN
    at := greatest(at, open_from + interval '1 microsecond');
    UPDATE case_category_versions SET valid_to = at WHERE category_code = NEW.code AND valid_to IS NULL;
  END IF;
  INSERT INTO case_category_versions (
    category_code, name_zh, name_en, platform_code, family, receive_hours, dispatch_hours, handle_hours,
    reply_hours, duplicate_radius_m, duplicate_window_hours, escalation_level, working_hours, valid_from,
    changed_by)
  VALUES (
    NEW.code, NEW.name_zh, NEW.name_en, NEW.platform_code, NEW.family, NEW.receive_hours,
    NEW.dispatch_hours, NEW.handle_hours, NEW.reply_hours, NEW.duplicate_radius_m,
    NEW.duplicate_window_hours, NEW.escalation_level, NEW.working_hours, at,
    coalesce(nullif(current_setting('grids.actor', true), ''), session_user));
  RETURN NULL;
END $$;

CREATE TRIGGER case_categories_version_insert AFTER INSERT ON case_categories
FOR EACH ROW EXECUTE FUNCTION case_categories_version();
-- An upsert that changes nothing (the demo reloads its catalogue) makes no version.
CREATE TRIGGER case_categories_version_update AFTER UPDATE ON case_categories
FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION case_categories_version();

-- Categories from before this migration: their earlier history is unknown, so they start now.
INSERT INTO case_category_versions (
  category_code, name_zh, name_en, platform_code, family, receive_hours, dispatch_hours, handle_hours,
  reply_hours, duplicate_radius_m, duplicate_window_hours, escalation_level, working_hours, valid_from,
  changed_by)
SELECT code, name_zh, name_en, platform_code, family, receive_hours, dispatch_hours, handle_hours,
       reply_hours, duplicate_radius_m, duplicate_window_hours, escalation_level, working_hours, now(),
       'migration 0007'
FROM case_categories;
