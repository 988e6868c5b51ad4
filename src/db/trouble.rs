//! What a database error message means when its kind alone does not say: the two dialects word
//! these differently, so the matching lives here, not in the error type.

/// What a database error message means when its kind alone does not say (the dialects word
/// these differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbTrouble {
    /// PostgreSQL refuses NUL characters (and invalid UTF-8) in text.
    TextRejected,
    /// SQLite's lock wait ran out.
    Busy,
    /// The server went away under the connection.
    ConnectionGone,
}

pub fn trouble_of(message: &str) -> Option<DbTrouble> {
    let m = message.to_ascii_lowercase();
    if m.contains("invalid byte sequence") || m.contains("0x00") {
        Some(DbTrouble::TextRejected)
    } else if m.contains("database is locked") || m.contains("database is busy") {
        Some(DbTrouble::Busy)
    } else if [
        "server closed the connection",
        "connection refused",
        "no connection to the server",
        "terminating connection",
        "could not receive data",
        "ssl syscall",
    ]
    .iter()
    .any(|gone| m.contains(gone))
    {
        Some(DbTrouble::ConnectionGone)
    } else {
        None
    }
}
