-- One case taken in, in one statement (grids/cases/intake.py, while the lock of its channel and
-- external id is held): if no case was made from that key before (this statement's snapshot is
-- taken after the lock, so it sees a key another intake committed meanwhile), the reporter
-- (personal data, only if given), the case with its possible duplicate (grids/sql/cases.sql), its
-- intake key and its `receive` event; otherwise nothing, and the caller answers with the case made
-- before. One round trip where the ORM took seven; the foreign keys from the key and the event to
-- the case are checked at the end of the statement, when the case is there. The statement is kept
-- prepared, so what it returns is named column by column (appended in intake.py from the model:
-- `SELECT … FROM made`): a column added to `cases` later must not change its result ("cached plan
-- must not change result type").
WITH unused AS (
  SELECT NOT EXISTS (
    SELECT FROM case_intake_keys WHERE channel = :channel AND external_id = :external_id
  ) AS yes
), reporter AS (
  INSERT INTO people (full_name, phone)
  SELECT CAST(:reporter_name AS text), CAST(:reporter_phone AS text)
  FROM unused WHERE unused.yes AND CAST(:reporter_name AS text) IS NOT NULL
  RETURNING id
), made AS (
  INSERT INTO cases (
    county_code, channel, category_code, description, address, reported_at, received_at,
    raw_lon, raw_lat, raw_crs, geom, township_code, village_code, grid_code, worker_id, platform_code,
    status, assigned_by, assign_distance_m, receive_due, dispatch_due, handle_due, reply_due,
    duplicate_candidate_id, reporter_id, updated_at)
  SELECT
    :county, :channel, :category, :description, :address, :reported_at, :now,
    :raw_lon, :raw_lat, :raw_crs,
    ST_SetSRID(ST_MakePoint(CAST(:x AS float8), CAST(:y AS float8)), 4490),
    :township, :village, :grid, :worker, :platform,
    :status, :assigned_by, :distance, :receive_due, :dispatch_due, :handle_due, :reply_due,
    CASE WHEN CAST(:x AS float8) IS NOT NULL AND CAST(:radius AS float8) > 0
         THEN cases_duplicate_candidate(:county, :family, :reported_at, :window, :x, :y, :radius) END,
    (SELECT id FROM reporter), :now
  FROM unused WHERE unused.yes
  RETURNING *
), keyed AS (
  INSERT INTO case_intake_keys (channel, external_id, county_code, case_id)
  SELECT :channel, :external_id, county_code, id FROM made
), received AS (
  INSERT INTO case_events (county_code, case_id, at, actor_user_id, actor, action, from_status, to_status, data)
  SELECT county_code, id, :now, :actor_id, :actor, 'receive', NULL, status,
         CAST(:event AS jsonb) || jsonb_build_object('duplicate_candidate', duplicate_candidate_id)
  FROM made
)
