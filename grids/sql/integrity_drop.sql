-- Undo integrity.sql (downgrade of the first migration).
ALTER TABLE worker_assignments DROP CONSTRAINT ex_worker_assignments_one_primary;
DROP TRIGGER case_events_no_truncate ON case_events;
DROP TRIGGER case_events_append_only ON case_events;
DROP FUNCTION case_events_append_only();
DROP TRIGGER divisions_refresh_parts ON divisions;
DROP FUNCTION divisions_refresh_parts();
DROP TRIGGER grids_refresh_parts ON grids;
DROP FUNCTION grids_refresh_parts();
DROP TRIGGER generations_guard_status ON generations;
DROP FUNCTION generations_guard_status();
DROP TRIGGER grids_guard_active ON grids;
DROP FUNCTION grids_guard_active();
DROP FUNCTION grids_clash(grids);
DROP FUNCTION grids_fault(grids);
DROP FUNCTION grids_lock_active();
DROP FUNCTION division_prefix(text);
