DROP TABLE deviations;
DROP TABLE openings;
DROP TABLE selection_rounds;
DROP TABLE rule_sets;
DROP TABLE position_competencies;
DROP TABLE positions;
DROP TABLE competencies;
