//! The appeal window (masa sanggah): when it ends, and whether a submission is on time. Pure.
//!
//! The window runs from publication to the end of the `days`-th calendar day after the day of
//! publication, counted in the agency's time zone (WIB/WITA/WIT): results published on Monday
//! 15:00 WIT with a 3-day window take appeals until Thursday 24:00 WIT. A submission is judged by
//! its own time, converted to that zone.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Utc};

use crate::agencies::model::TimeZone;

fn hours(zone: TimeZone) -> Duration {
    Duration::hours(i64::from(zone.utc_offset_hours()))
}

/// The first instant at which an appeal is late: local midnight after the window's last day.
pub fn deadline(published_at: DateTime<Utc>, days: i32, zone: TimeZone) -> DateTime<Utc> {
    let local = published_at.naive_utc() + hours(zone);
    let last_day = local.date() + Duration::days(i64::from(days));
    let end = (last_day + Duration::days(1)).and_time(NaiveTime::MIN);
    (end - hours(zone)).and_utc()
}

/// An instant as the agency's local time, e.g. `2024-10-05T00:00:00+09:00`.
pub fn local_rfc3339(instant: DateTime<Utc>, zone: TimeZone) -> String {
    match FixedOffset::east_opt(zone.utc_offset_hours() * 3600) {
        Some(offset) => instant.with_timezone(&offset).to_rfc3339(),
        None => instant.to_rfc3339(),
    }
}

/// Is a submission at `submitted_at` within the window that ends at `deadline`?
pub fn on_time(submitted_at: DateTime<Utc>, deadline: DateTime<Utc>) -> bool {
    submitted_at < deadline
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_window_ends_at_local_midnight_after_its_last_day() {
        // Monday 2024-10-07 15:00 WIT = 06:00Z; three days → Thursday 24:00 WIT = Thu 15:00Z.
        let published = at("2024-10-07T15:00:00+09:00");
        let end = deadline(published, 3, TimeZone::Wit);
        assert_eq!(end, at("2024-10-11T00:00:00+09:00"));
        assert_eq!(
            local_rfc3339(end, TimeZone::Wit),
            "2024-10-11T00:00:00+09:00"
        );
    }

    #[test]
    fn the_day_of_publication_is_the_local_day_not_the_utc_day() {
        // 2024-10-07 23:30Z is already 2024-10-08 06:30 WIB: the window counts from the 8th.
        let published = at("2024-10-07T23:30:00Z");
        assert_eq!(
            deadline(published, 3, TimeZone::Wib),
            at("2024-10-12T00:00:00+07:00")
        );
    }

    #[test]
    fn the_same_instant_is_late_in_wit_and_on_time_in_wib() {
        let published = at("2024-10-07T02:00:00Z");
        let submitted = at("2024-10-10T15:00:30Z"); // 00:00:30 on the 11th WIT, 22:00:30 WIB
        assert!(!on_time(submitted, deadline(published, 3, TimeZone::Wit)));
        assert!(on_time(submitted, deadline(published, 3, TimeZone::Wib)));
        assert!(on_time(
            at("2024-10-10T14:59:59Z"),
            deadline(published, 3, TimeZone::Wit)
        ));
    }
}
