DROP TABLE panel_scores;
DROP FUNCTION panel_scores_append_only();
DROP TABLE panel_assignments;
DROP TABLE panel_entries;
DROP TABLE panel_declarations;
DROP TABLE panel_members;
DROP TABLE panels;
DROP TABLE rubrics;
