DROP TABLE appeals;
DROP TABLE screening_publications;
