//! The login throttle's rules: whether an attempt may be checked now, must wait for attempts
//! still being checked, or is refused and for how long. Pure: the store counts, these rules
//! decide (see the README's "Passwords" paragraph for the policy they implement).
//!
//! Only failures count against a credential. An attempt being checked is reserved first, so that
//! parallel guesses cannot all slip under a limit; a reservation that would reach a limit makes
//! the next attempt wait until it is settled, never refuses it, so a correct password is not
//! turned away because of attempts that may still succeed.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

use crate::config::Config;

/// A reservation not settled within this long is taken for a failure (its process went away).
pub const IN_FLIGHT_STALE_SECONDS: i64 = 60;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures for one email before its attempts are slowed down.
    pub per_email: i64,
    /// Failures from one client address before it is refused.
    pub per_address: i64,
    pub window: Duration,
    pub delay_base: Duration,
    pub delay_max: Duration,
}

impl Limits {
    pub fn from_config(config: &Config) -> Self {
        let secs = |d: std::time::Duration| Duration::seconds(d.as_secs() as i64);
        Self {
            per_email: config.login_max_failures.max(1),
            per_address: config.login_max_failures_per_address.max(1),
            window: secs(config.login_window),
            delay_base: secs(config.login_delay_base),
            delay_max: secs(config.login_delay_max),
        }
    }
}

/// Attempts of one scope (an email, a client address, or both) within the window.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Settled failures (and reservations gone stale).
    pub failures: i64,
    /// Reservations still being checked.
    pub in_flight: i64,
    pub oldest_failure: Option<DateTime<Utc>>,
    pub latest_failure: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub address: Tally,
    pub email: Tally,
    /// This address's attempts for this email.
    pub pair: Tally,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Go,
    /// Attempts still being checked decide whether a limit is reached: ask again when they settle.
    Wait,
    Refuse {
        retry_after: Duration,
    },
}

pub fn decide(counts: &Counts, limits: &Limits, now: DateTime<Utc>) -> Decision {
    let address = address_rule(&counts.address, limits, now);
    let email = email_rule(&counts.email, &counts.pair, limits, now);
    match (address, email) {
        (Decision::Refuse { retry_after: a }, Decision::Refuse { retry_after: b }) => {
            Decision::Refuse {
                retry_after: a.max(b),
            }
        }
        (refused @ Decision::Refuse { .. }, _) | (_, refused @ Decision::Refuse { .. }) => refused,
        (Decision::Wait, _) | (_, Decision::Wait) => Decision::Wait,
        (Decision::Go, Decision::Go) => Decision::Go,
    }
}

/// Credential stuffing: one address, many emails. A hard limit until its oldest failure leaves
/// the window.
fn address_rule(address: &Tally, limits: &Limits, now: DateTime<Utc>) -> Decision {
    if address.failures >= limits.per_address {
        let free_at = address.oldest_failure.unwrap_or(now) + limits.window;
        return Decision::Refuse {
            retry_after: free_at - now,
        };
    }
    under_limit(address, limits.per_address)
}

/// Guessing one account: free attempts up to the limit, then a delay after the latest failure
/// that doubles with each further failure. An address that has not failed for this email is not
/// held up by other addresses' failures (so they cannot lock its owner out), but it too gets one
/// attempt at a time once the email is over its limit.
fn email_rule(email: &Tally, pair: &Tally, limits: &Limits, now: DateTime<Utc>) -> Decision {
    if email.failures < limits.per_email {
        return under_limit(email, limits.per_email);
    }
    if pair.failures == 0 {
        return if pair.in_flight == 0 {
            Decision::Go
        } else {
            Decision::Wait
        };
    }
    let latest = email.latest_failure.unwrap_or(now);
    let allowed_at = latest + delay(email.failures - limits.per_email, limits);
    if now < allowed_at {
        Decision::Refuse {
            retry_after: allowed_at - now,
        }
    } else if email.in_flight > 0 {
        Decision::Wait
    } else {
        Decision::Go
    }
}

fn under_limit(tally: &Tally, limit: i64) -> Decision {
    if tally.failures + tally.in_flight < limit {
        Decision::Go
    } else {
        Decision::Wait
    }
}

/// The wait after the latest failure when `beyond` failures exceed the limit: the base delay,
/// doubled per further failure, capped.
pub fn delay(beyond: i64, limits: &Limits) -> Duration {
    let factor = 1i32 << beyond.clamp(0, 20);
    (limits.delay_base * factor).min(limits.delay_max)
}

/// Whole seconds for `Retry-After`, rounded up, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let millis = wait.num_milliseconds().max(0);
    (((millis + 999) / 1000).max(1)) as u64
}

/// The unit a client address is counted in: one IPv4 address, or an IPv6 /64 (one subscriber's
/// usual allocation, within which addresses cost an attacker nothing).
pub fn address_bucket(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match ipnet::Ipv6Net::new(v6, 64) {
            Ok(net) => net.trunc().to_string(),
            Err(_) => v6.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            per_email: 5,
            per_address: 20,
            window: Duration::minutes(15),
            delay_base: Duration::seconds(2),
            delay_max: Duration::minutes(15),
        }
    }

    fn tally(failures: i64, in_flight: i64, latest_ago_secs: i64) -> Tally {
        let now = Utc::now();
        Tally {
            failures,
            in_flight,
            oldest_failure: (failures > 0).then(|| now - Duration::minutes(10)),
            latest_failure: (failures > 0).then(|| now - Duration::seconds(latest_ago_secs)),
        }
    }

    #[test]
    fn the_delay_doubles_per_failure_beyond_the_limit_up_to_the_cap() {
        let l = limits();
        let secs: Vec<i64> = (0..12).map(|b| delay(b, &l).num_seconds()).collect();
        assert_eq!(secs, [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
        assert_eq!(delay(1_000, &l).num_seconds(), 900);
    }

    #[test]
    fn in_flight_attempts_make_others_wait_but_never_refuse_them() {
        let l = limits();
        let counts = Counts {
            email: tally(0, 5, 0),
            pair: tally(0, 5, 0),
            address: tally(0, 5, 0),
        };
        assert_eq!(decide(&counts, &l, Utc::now()), Decision::Wait);
        let counts = Counts {
            email: tally(4, 0, 0),
            ..Default::default()
        };
        assert_eq!(decide(&counts, &l, Utc::now()), Decision::Go);
    }

    #[test]
    fn an_email_over_its_limit_is_delayed_for_failing_addresses_only() {
        let l = limits();
        let now = Utc::now();
        let attacked = Counts {
            email: tally(7, 0, 1),
            pair: tally(7, 0, 1),
            address: tally(7, 0, 1),
        };
        // Two beyond the limit: 8 s after the latest failure, which was 1 s ago.
        assert!(matches!(
            decide(&attacked, &l, now),
            Decision::Refuse { retry_after } if (6..=7).contains(&retry_after.num_seconds())
        ));
        let owner = Counts {
            email: tally(7, 0, 1),
            ..Default::default()
        };
        assert_eq!(decide(&owner, &l, now), Decision::Go);
        let owner_busy = Counts {
            email: tally(7, 1, 1),
            pair: tally(0, 1, 0),
            address: tally(0, 1, 0),
        };
        assert_eq!(decide(&owner_busy, &l, now), Decision::Wait);
        let later = Counts {
            email: tally(7, 0, 9),
            pair: tally(1, 0, 9),
            address: tally(1, 0, 9),
        };
        assert_eq!(decide(&later, &l, now), Decision::Go);
    }

    #[test]
    fn an_address_over_its_limit_is_refused_until_its_oldest_failure_ages_out() {
        let l = limits();
        let counts = Counts {
            address: tally(20, 0, 1),
            ..Default::default()
        };
        assert!(matches!(
            decide(&counts, &l, Utc::now()),
            Decision::Refuse { retry_after } if retry_after.num_seconds() >= 299
        ));
    }

    #[test]
    fn retry_after_rounds_up_and_ipv6_counts_per_64() {
        assert_eq!(retry_after_secs(Duration::milliseconds(1)), 1);
        assert_eq!(retry_after_secs(Duration::milliseconds(1_999)), 2);
        assert_eq!(retry_after_secs(Duration::seconds(-3)), 1);
        let a = address_bucket("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = address_bucket("2001:db8:1:2:bbbb::2".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(
            address_bucket("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1"
        );
    }
}
