-- Undo grids/sql/category_history.sql (the table itself is dropped by migration 0007).
DROP TRIGGER case_categories_version_update ON case_categories;
DROP TRIGGER case_categories_version_insert ON case_categories;
DROP FUNCTION case_categories_version();
