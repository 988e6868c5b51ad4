//! What every import shares: the file formats and row modes, the errors of a row or of a
//! whole file, the reader of CSV and JSON Lines files, and the batch driver that prepares rows
//! on one core while the database writes on the other.

pub mod driver;
pub mod model;
pub mod reader;
pub mod records;
