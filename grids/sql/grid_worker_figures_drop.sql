-- Undo grid_worker_figures.sql (downgrade of migration 0008).
DROP TRIGGER grid_worker_figures_workers ON workers;
DROP TRIGGER grid_worker_figures_truncate ON worker_assignments;
DROP TRIGGER grid_worker_figures_delete ON worker_assignments;
DROP TRIGGER grid_worker_figures_update ON worker_assignments;
DROP TRIGGER grid_worker_figures_insert ON worker_assignments;
DROP FUNCTION grid_worker_figures_workers();
DROP FUNCTION grid_worker_figures_clear();
DROP FUNCTION grid_worker_figures_assignments();
DROP FUNCTION grid_worker_figures_recount(bpchar[]);
