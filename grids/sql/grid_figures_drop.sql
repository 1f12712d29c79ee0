-- Undo grid_figures.sql (downgrade of migration 0005).
DROP TRIGGER grid_case_figures_truncate ON cases;
DROP TRIGGER grid_case_figures_delete ON cases;
DROP TRIGGER grid_case_figures_update ON cases;
DROP TRIGGER grid_case_figures_insert ON cases;
DROP FUNCTION grid_case_figures_clear();
DROP FUNCTION grid_case_figures_apply();
