DROP TABLE applications;
DROP TABLE import_errors;
DROP TABLE application_imports;
DROP TABLE persons;
