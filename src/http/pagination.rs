//! Cursor pagination: `?limit=&cursor=`, with a stable order (by id or sequence number).

use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::AppError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (an id).
    #[param(format = Uuid)]
    pub cursor: Option<String>,
}

/// The same for lists in sequence order (audit events, checkpoints), whose cursors are numbers.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeqPageQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (a sequence number).
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
}

impl SeqPageQuery {
    pub fn page(&self) -> PageQuery {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

impl PageQuery {
    pub fn limit(&self) -> Result<i64, AppError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AppError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }

    /// The cursor parsed as `T` (an id or a sequence number); an empty one is no cursor the list
    /// issued (422, as the document's format says).
    pub fn cursor<T: std::str::FromStr>(&self) -> Result<Option<T>, AppError> {
        self.cursor
            .as_deref()
            .map(|c| {
                c.parse::<T>()
                    .map_err(|_| AppError::field("cursor", "is not a cursor this list issued"))
            })
            .transpose()
    }
}

/// Takes one more row than the page size to know whether another page follows.
pub fn split_page<T, C: ToString>(
    mut rows: Vec<T>,
    limit: i64,
    cursor_of: impl Fn(&T) -> C,
) -> (Vec<T>, Option<String>) {
    if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(|r| cursor_of(r).to_string());
        (rows, next)
    } else {
        (rows, None)
    }
}
