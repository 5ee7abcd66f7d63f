//! When a recurring job is due: its *slots*. A slot is a time (ms since 1970, UTC); the job runs
//! once per slot, as soon as a worker sees the slot has come — a worker that was down at 07:00
//! enqueues the 07:00 job when it starts, once.

/// How often a recurring job runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Every day at this time (UTC).
    Daily {
        /// The hour, 0–23.
        hour: u32,
        /// The minute, 0–59.
        minute: u32,
    },
    /// Every this many milliseconds, from midnight 1 January 1970 UTC.
    Every(i64),
}

const DAY: i64 = 86_400_000;

impl Schedule {
    /// Every day at `hour`:`minute` UTC.
    pub const fn daily(hour: u32, minute: u32) -> Schedule {
        Schedule::Daily { hour, minute }
    }

    /// The latest slot at or before `now`.
    pub fn slot(&self, now: i64) -> i64 {
        match *self {
            Schedule::Daily { hour, minute } => {
                let offset = (i64::from(hour.min(23)) * 60 + i64::from(minute.min(59))) * 60_000;
                let today = now.div_euclid(DAY) * DAY + offset;
                if today <= now { today } else { today - DAY }
            }
            Schedule::Every(period) => {
                let period = period.max(1);
                now.div_euclid(period) * period
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-12-01T00:00:00Z
    const MIDNIGHT: i64 = 1_796_083_200_000;

    #[test]
    fn a_daily_slot_is_today_once_the_time_has_come_and_yesterday_before() {
        let seven = Schedule::daily(7, 0);
        assert_eq!(seven.slot(MIDNIGHT + 7 * 3_600_000), MIDNIGHT + 7 * 3_600_000);
        assert_eq!(seven.slot(MIDNIGHT + 15 * 3_600_000), MIDNIGHT + 7 * 3_600_000);
        assert_eq!(seven.slot(MIDNIGHT + 7 * 3_600_000 - 1), MIDNIGHT - DAY + 7 * 3_600_000);
    }

    #[test]
    fn a_periodic_slot_is_the_start_of_the_period() {
        let hourly = Schedule::Every(3_600_000);
        assert_eq!(hourly.slot(MIDNIGHT + 90 * 60_000), MIDNIGHT + 3_600_000);
        assert_eq!(Schedule::Every(0).slot(5), 5, "a zero period is taken as 1 ms, not a division by zero");
    }
}
