DROP TABLE screening_results;
