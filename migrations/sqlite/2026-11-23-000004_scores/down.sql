DROP TABLE objective_scores;
