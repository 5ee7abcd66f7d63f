//! The time, as the service sees it: the system's, or a test's that it sets and moves on.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds since 1970 (UTC), from the system or from a test.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    /// A clock that stays at `now` until moved.
    pub fn fixed(now: i64) -> Clock {
        Clock { fixed: Some(Arc::new(AtomicI64::new(now))) }
    }

    /// Now, in milliseconds since 1970.
    pub fn now(&self) -> i64 {
        match &self.fixed {
            Some(t) => t.load(Ordering::SeqCst),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0),
        }
    }

    /// Move a fixed clock on (a system clock moves by itself).
    pub fn advance(&self, millis: i64) {
        if let Some(t) = &self.fixed {
            t.fetch_add(millis, Ordering::SeqCst);
        }
    }

    /// Today's date in UTC.
    pub fn today(&self) -> (i32, u32, u32) {
        let days = self.now().div_euclid(86_400_000);
        civil_from_days(days)
    }
}

/// The (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (i32::try_from(if m <= 2 { y + 1 } else { y }).unwrap_or(0), m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let c = Clock::fixed(1_790_000_000_000);
        c.advance(1_000);
        assert_eq!(c.now(), 1_790_000_001_000);
        assert_eq!(Clock::fixed(0).today(), (1970, 1, 1));
        assert_eq!(Clock::fixed(1_795_824_000_000).today(), (2026, 11, 28));
    }
}
