-- Data rules that must hold whatever path writes (API, CLI, QGIS, psql): DESIGN.md section 3.

-- The significant prefix of a 12-digit statistical code: its subtree is every code starting with it.
CREATE FUNCTION division_prefix(code text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN substr(code, 3) = '0000000000' THEN left(code, 2)
    WHEN substr(code, 5) = '00000000' THEN left(code, 4)
    WHEN substr(code, 7) = '000000' THEN left(code, 6)
    WHEN substr(code, 10) = '000' THEN left(code, 9)
    ELSE code
  END
$$;

-- One lock serialises every writer of active grids, so two concurrent writers cannot both pass
-- the overlap check (each would otherwise miss the other's uncommitted row).
CREATE FUNCTION grids_lock_active() RETURNS void
LANGUAGE sql VOLATILE AS $$ SELECT pg_advisory_xact_lock(hashtext('grids.active_generation')) $$;

-- Why a grid may not be part of an active generation, or NULL when it may.
CREATE FUNCTION grids_fault(g grids) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF g.code IS NULL OR g.code !~ '^[0-9]{15}$' THEN
    RETURN format('grid code %L is not 15 digits (网格编码须为15位数字)', g.code);
  END IF;
  IF g.village_code IS NULL OR left(g.code, 12) <> g.village_code THEN
    RETURN format('grid %s is not numbered under its village %s (网格编码须以所属村社区编码开头)',
                  g.code, coalesce(g.village_code, '(none)'));
  END IF;
  IF GeometryType(g.geom) <> 'MULTIPOLYGON' OR ST_IsEmpty(g.geom) THEN
    RETURN format('grid %s is a %s, not a MultiPolygon (网格边界须为面)', g.code, GeometryType(g.geom));
  END IF;
  IF NOT ST_IsValid(g.geom) THEN
    RETURN format('grid %s has invalid geometry: %s (网格边界无效)', g.code, ST_IsValidReason(g.geom));
  END IF;
  RETURN NULL;
END $$;

-- Rows of active generations that clash with grid `g`: same code, or overlapping interiors.
CREATE FUNCTION grids_clash(g grids) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT format('grid %s %s grid %s of active generation %s (%s)', g.code,
                CASE WHEN o.code = g.code THEN 'repeats the code of' ELSE 'overlaps' END,
                o.code, o.generation_id,
                CASE WHEN o.code = g.code THEN '网格编码重复' ELSE '网格相互重叠' END)
  FROM grids o JOIN generations ge ON ge.id = o.generation_id AND ge.status = 'active'
  WHERE o.id <> g.id
    AND (o.code = g.code OR (o.geom && g.geom AND ST_Relate(o.geom, g.geom, '2********')))
  LIMIT 1
$$;

CREATE FUNCTION grids_guard_active() RETURNS trigger
LANGUAGE plpgsql
-- Row-at-a-time work: JIT compilation would cost ~15 ms per row and save nothing.
SET jit = off AS $$
DECLARE
  problem text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM generations WHERE id = NEW.generation_id AND status = 'active') THEN
    RETURN NEW;  -- a draft may hold faults: finding them is what validation is for
  END IF;
  problem := grids_fault(NEW);
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation', CONSTRAINT = 'grids_active_valid';
  END IF;
  PERFORM grids_lock_active();
  -- Taken after the lock: in READ COMMITTED this statement's snapshot sees every committed writer.
  problem := grids_clash(NEW);
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION '%', problem USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'grids_active_no_overlap';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER grids_guard_active BEFORE INSERT OR UPDATE ON grids
FOR EACH ROW EXECUTE FUNCTION grids_guard_active();

-- Activation checks the whole generation at once; status only moves draft -> active -> retired.
CREATE FUNCTION generations_guard_status() RETURNS trigger
LANGUAGE plpgsql
-- Row-at-a-time work: JIT compilation would cost ~15 ms per row and save nothing.
SET jit = off AS $$
DECLARE
  problem text;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status <> OLD.status AND NOT (
       (OLD.status = 'draft' AND NEW.status = 'active') OR (OLD.status = 'active' AND NEW.status = 'retired')) THEN
    RAISE EXCEPTION 'generation % cannot go from % to % (only draft → active → retired)',
      NEW.id, OLD.status, NEW.status USING ERRCODE = 'check_violation', CONSTRAINT = 'generations_lifecycle';
  END IF;
  IF NEW.status <> 'active' OR (TG_OP = 'UPDATE' AND OLD.status = 'active') THEN
    RETURN NEW;
  END IF;
  PERFORM grids_lock_active();
  SELECT format('active generation %s (%s) nests with scope %s (同一区域只能有一个现行版本)',
                o.id, o.scope_code, NEW.scope_code) INTO problem
  FROM generations o
  WHERE o.status = 'active' AND o.id <> NEW.id
    AND (division_prefix(o.scope_code) LIKE division_prefix(NEW.scope_code) || '%'
         OR division_prefix(NEW.scope_code) LIKE division_prefix(o.scope_code) || '%')
  LIMIT 1;
  IF problem IS NULL THEN
    SELECT grids_fault(g) INTO problem FROM grids g
    WHERE g.generation_id = NEW.id AND grids_fault(g) IS NOT NULL LIMIT 1;
  END IF;
  -- Two index-friendly checks rather than one OR, which would defeat the indexes.
  IF problem IS NULL THEN
    SELECT format('grid %s repeats the code of grid %s (网格编码重复)', a.code, b.code) INTO problem
    FROM grids a
    JOIN grids b ON b.code = a.code AND b.id <> a.id
    JOIN generations bg ON bg.id = b.generation_id
    WHERE a.generation_id = NEW.id AND (bg.id = NEW.id OR bg.status = 'active')
    LIMIT 1;
  END IF;
  IF problem IS NULL THEN
    SELECT format('grid %s overlaps grid %s (网格相互重叠)', a.code, b.code) INTO problem
    FROM grids a
    JOIN grids b ON b.geom && a.geom AND b.id <> a.id
    JOIN generations bg ON bg.id = b.generation_id
    WHERE a.generation_id = NEW.id AND (bg.id = NEW.id OR bg.status = 'active')
      AND ST_Relate(a.geom, b.geom, '2********')
    LIMIT 1;
  END IF;
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'generation % cannot become active: %', NEW.id, problem
      USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'grids_active_no_overlap';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER generations_guard_status BEFORE INSERT OR UPDATE OF status ON generations
FOR EACH ROW EXECUTE FUNCTION generations_guard_status();

-- Subdivided companions for fast point lookups, kept in step with the source geometry.
CREATE FUNCTION grids_refresh_parts() RETURNS trigger
LANGUAGE plpgsql
-- Row-at-a-time work: JIT compilation would cost ~15 ms per row and save nothing.
SET jit = off AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM grid_parts WHERE grid_id = NEW.id;
  END IF;
  IF ST_IsValid(NEW.geom) THEN  -- a faulty draft shape is not looked up; validation shows it
    INSERT INTO grid_parts (grid_id, geom)
    SELECT NEW.id, (ST_Dump(ST_Subdivide(ST_CollectionExtract(NEW.geom, 3), 128))).geom;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER grids_refresh_parts AFTER INSERT OR UPDATE OF geom ON grids
FOR EACH ROW EXECUTE FUNCTION grids_refresh_parts();

CREATE FUNCTION divisions_refresh_parts() RETURNS trigger
LANGUAGE plpgsql
-- Row-at-a-time work: JIT compilation would cost ~15 ms per row and save nothing.
SET jit = off AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM division_parts WHERE division_code = NEW.code;
  END IF;
  IF NEW.geom IS NOT NULL AND ST_IsValid(NEW.geom) THEN
    INSERT INTO division_parts (division_code, geom)
    SELECT NEW.code, (ST_Dump(ST_Subdivide(NEW.geom, 128))).geom;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER divisions_refresh_parts AFTER INSERT OR UPDATE OF geom ON divisions
FOR EACH ROW EXECUTE FUNCTION divisions_refresh_parts();

-- Case events are append-only: never updated, deleted only together with their case.
CREATE FUNCTION case_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (
       SELECT 1 FROM cases WHERE county_code = OLD.county_code AND id = OLD.case_id) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'case events are append-only (事件流转记录不可修改): % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
FOR EACH ROW EXECUTE FUNCTION case_events_append_only();

CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only();

-- At most one primary worker per grid code at any moment.
ALTER TABLE worker_assignments ADD CONSTRAINT ex_worker_assignments_one_primary
  EXCLUDE USING gist (grid_code WITH =, tstzrange(valid_from, valid_to) WITH &&) WHERE (kind = 'primary');
