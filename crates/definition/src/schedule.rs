//! A collection's schedule and the periods it implies.
//!
//! A period is identified by its start date (`2026-04-01`), which is stable whatever the frequency
//! and sorts correctly; its label is for people ("April to June 2026").

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::expr::PeriodDates;

/// How often returns are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every calendar month from the start.
    Monthly,
    /// Every three months from the start.
    Quarterly,
    /// Every twelve months from the start.
    Annual,
    /// One period only, from `start` to `end`.
    Once,
}

impl Frequency {
    /// Every frequency with its name in the format.
    pub const ALL: [(&'static str, Frequency); 4] = [
        ("monthly", Frequency::Monthly),
        ("quarterly", Frequency::Quarterly),
        ("annual", Frequency::Annual),
        ("once", Frequency::Once),
    ];

    fn months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::Annual => 12,
            Frequency::Once => 0,
        }
    }
}

/// How long after a period ends its return is due: days, weeks or calendar months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Due {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: DueUnit,
}

/// The unit of a [`Due`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueUnit {
    /// `30d`
    Days,
    /// `6w`
    Weeks,
    /// `2m`
    Months,
}

impl Due {
    /// Read `30d`, `6w` or `2m`.
    pub fn parse(text: &str) -> Option<Due> {
        let text = text.trim();
        let unit = match text.chars().last()? {
            'd' => DueUnit::Days,
            'w' => DueUnit::Weeks,
            'm' => DueUnit::Months,
            _ => return None,
        };
        let amount: u32 = text[..text.len() - 1].parse().ok()?;
        (amount <= 3660).then_some(Due { amount, unit })
    }

    fn after(self, date: NaiveDate) -> Option<NaiveDate> {
        match self.unit {
            DueUnit::Days => date.checked_add_days(chrono::Days::new(self.amount.into())),
            DueUnit::Weeks => date.checked_add_days(chrono::Days::new(u64::from(self.amount) * 7)),
            DueUnit::Months => date.checked_add_months(Months::new(self.amount)),
        }
    }

    /// As written in a definition, e.g. `30d`.
    pub fn to_text(self) -> String {
        let unit = match self.unit {
            DueUnit::Days => 'd',
            DueUnit::Weeks => 'w',
            DueUnit::Months => 'm',
        };
        format!("{}{unit}", self.amount)
    }

    /// In words, e.g. "30 days".
    pub fn in_words(self) -> String {
        let unit = match (self.unit, self.amount) {
            (DueUnit::Days, 1) => "day",
            (DueUnit::Days, _) => "days",
            (DueUnit::Weeks, 1) => "week",
            (DueUnit::Weeks, _) => "weeks",
            (DueUnit::Months, 1) => "month",
            (DueUnit::Months, _) => "months",
        };
        format!("{} {unit}", self.amount)
    }
}

/// When returns are made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// How often.
    pub frequency: Frequency,
    /// The start of the first period.
    pub start: NaiveDate,
    /// No period starts after this date (required for `once`: the end of its period).
    pub end: Option<NaiveDate>,
    /// How long after a period ends its return is due.
    pub due: Due,
    /// Reminder emails: how many days before each due date, largest first, no repeats.
    pub reminders: Vec<u32>,
}

/// Read a reminder offset: days or weeks before a due date (`14d`, `2w`), as days.
///
/// Months are refused: "a month before" a due date moves with month lengths, and a reminder
/// is a matter of days. `Err` holds the unit written when it is months, for the hint.
pub fn parse_reminder(text: &str) -> Result<u32, ReminderError> {
    match Due::parse(text) {
        Some(Due { unit: DueUnit::Months, .. }) => Err(ReminderError::Months),
        Some(Due { amount: 0, .. }) => Err(ReminderError::Zero),
        Some(Due { amount, unit: DueUnit::Days }) => Ok(amount),
        Some(Due { amount, unit: DueUnit::Weeks }) => Ok(amount * 7),
        None => Err(ReminderError::NotDuration),
    }
}

/// Why a reminder offset cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReminderError {
    /// Not `<number>d` or `<number>w`.
    NotDuration,
    /// Written in months.
    Months,
    /// `0d`: that is the due date itself.
    Zero,
}

/// One period of a schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Identifies the period: its start date, `YYYY-MM-DD`.
    pub key: String,
    /// For people, e.g. "April to June 2026".
    pub label: String,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Due date.
    pub due: NaiveDate,
}

impl Period {
    /// The dates expressions see as `period.start`, `.end` and `.due`.
    pub fn dates(&self) -> PeriodDates {
        PeriodDates { start: self.start, end: self.end, due: self.due }
    }
}

/// At most this many periods are listed at once (a monthly schedule over 100 years).
const MAX_PERIODS: usize = 1200;

impl Schedule {
    /// The `n`th period (from 0), if the schedule has one.
    pub fn period(&self, n: usize) -> Option<Period> {
        let (start, end) = match self.frequency {
            Frequency::Once => {
                if n > 0 {
                    return None;
                }
                (self.start, self.end.unwrap_or(self.start))
            }
            frequency => {
                let months = frequency.months();
                let start = self
                    .start
                    .checked_add_months(Months::new(months.checked_mul(u32::try_from(n).ok()?)?))?;
                if self.end.is_some_and(|end| start > end) {
                    return None;
                }
                let end = start.checked_add_months(Months::new(months))?.pred_opt()?;
                (start, end)
            }
        };
        let due = self.due.after(end)?;
        Some(Period {
            key: start.format("%Y-%m-%d").to_string(),
            label: self.label(start, end),
            start,
            end,
            due,
        })
    }

    /// Each reminder of `period`: (days before the due date, the day it is sent), earliest first.
    pub fn reminder_dates(&self, period: &Period) -> Vec<(u32, NaiveDate)> {
        self.reminders
            .iter()
            .filter_map(|&days| Some((days, period.due.checked_sub_days(chrono::Days::new(days.into()))?)))
            .collect()
    }

    /// The reminders of `period` whose day has come by `today`, earliest first; none once the
    /// return is overdue (the overdue notice follows instead). A job sends each at most once, so
    /// one that missed its day is still sent.
    pub fn reminders_come(&self, period: &Period, today: NaiveDate) -> Vec<(u32, NaiveDate)> {
        if today > period.due {
            return Vec::new();
        }
        self.reminder_dates(period).into_iter().filter(|(_, date)| *date <= today).collect()
    }

    /// Every period that has started by `date` (the newest last), at most [`MAX_PERIODS`].
    pub fn periods_until(&self, date: NaiveDate) -> Vec<Period> {
        (0..MAX_PERIODS).map_while(|n| self.period(n)).take_while(|p| p.start <= date).collect()
    }

    /// The period identified by `key` (its start date).
    pub fn period_by_key(&self, key: &str) -> Option<Period> {
        let start = NaiveDate::parse_from_str(key, "%Y-%m-%d").ok()?;
        self.period_containing(start).filter(|p| p.start == start)
    }

    /// The period that includes `date`.
    pub fn period_containing(&self, date: NaiveDate) -> Option<Period> {
        if date < self.start {
            return None;
        }
        let months = self.frequency.months();
        if months == 0 {
            return self.period(0).filter(|p| date <= p.end);
        }
        let elapsed =
            (date.year() - self.start.year()) * 12 + date.month() as i32 - self.start.month() as i32;
        let mut n = usize::try_from(elapsed.max(0)).ok()? / months as usize;
        // A start on the 31st makes some period starts fall earlier in the month: step back once.
        if let Some(p) = self.period(n)
            && p.start > date
        {
            n = n.checked_sub(1)?;
        }
        self.period(n).filter(|p| p.start <= date && date <= p.end)
    }

    fn label(&self, start: NaiveDate, end: NaiveDate) -> String {
        match self.frequency {
            Frequency::Monthly if start.day() == 1 => start.format("%B %Y").to_string(),
            Frequency::Quarterly if start.day() == 1 => {
                if start.year() == end.year() {
                    format!("{} to {} {}", start.format("%B"), end.format("%B"), end.year())
                } else {
                    format!("{} to {}", start.format("%B %Y"), end.format("%B %Y"))
                }
            }
            Frequency::Annual if start.day() == 1 && start.month() == 1 => start.year().to_string(),
            Frequency::Annual if start.day() == 1 => format!("{} to {}", start.year(), end.year()),
            _ => format!("{} to {}", crate::value::format_date(start), crate::value::format_date(end)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn quarterly() -> Schedule {
        Schedule {
            frequency: Frequency::Quarterly,
            start: d("2026-04-01"),
            end: None,
            due: Due::parse("30d").unwrap(),
            reminders: vec![14, 3],
        }
    }

    #[test]
    fn quarterly_periods_and_due_dates() {
        let s = quarterly();
        let p = s.period(0).unwrap();
        assert_eq!((p.start, p.end, p.due), (d("2026-04-01"), d("2026-06-30"), d("2026-07-30")));
        assert_eq!(p.label, "April to June 2026");
        assert_eq!(s.period(3).unwrap().label, "January to March 2027");
        assert_eq!(s.periods_until(d("2026-11-22")).len(), 3);
        assert_eq!(s.period_containing(d("2026-12-31")).unwrap().key, "2026-10-01");
        assert_eq!(s.period_by_key("2026-07-01").unwrap().end, d("2026-09-30"));
        assert!(s.period_by_key("2026-07-02").is_none());
        assert!(s.period_containing(d("2026-03-31")).is_none());
    }

    #[test]
    fn annual_and_once() {
        let s = Schedule {
            frequency: Frequency::Annual,
            start: d("2025-07-01"),
            end: None,
            due: Due::parse("270d").unwrap(),
            reminders: Vec::new(),
        };
        let p = s.period(0).unwrap();
        assert_eq!((p.end, p.label.as_str()), (d("2026-06-30"), "2025 to 2026"));
        let once = Schedule {
            frequency: Frequency::Once,
            start: d("2026-01-01"),
            end: Some(d("2026-03-31")),
            due: Due::parse("2m").unwrap(),
            reminders: Vec::new(),
        };
        assert_eq!(once.period(0).unwrap().due, d("2026-05-31"));
        assert!(once.period(1).is_none());
    }

    #[test]
    fn reads_due_durations() {
        assert_eq!(Due::parse("6w"), Some(Due { amount: 6, unit: DueUnit::Weeks }));
        assert_eq!(Due::parse("30"), None);
        assert_eq!(Due::parse("d"), None);
    }

    #[test]
    fn reminders_are_days_or_weeks_before_the_due_date() {
        assert_eq!(parse_reminder("14d"), Ok(14));
        assert_eq!(parse_reminder("2w"), Ok(14));
        assert_eq!(parse_reminder("1m"), Err(ReminderError::Months));
        assert_eq!(parse_reminder("0w"), Err(ReminderError::Zero));
        assert_eq!(parse_reminder("-3d"), Err(ReminderError::NotDuration));
        assert_eq!(parse_reminder("soon"), Err(ReminderError::NotDuration));
    }

    #[test]
    fn reminders_come_before_the_due_date_and_stop_when_overdue() {
        let s = quarterly();
        let p = s.period(0).unwrap();
        assert_eq!(s.reminder_dates(&p), vec![(14, d("2026-07-16")), (3, d("2026-07-27"))]);
        assert!(s.reminders_come(&p, d("2026-07-15")).is_empty());
        assert_eq!(s.reminders_come(&p, d("2026-07-16")), vec![(14, d("2026-07-16"))]);
        assert_eq!(s.reminders_come(&p, d("2026-07-30")).len(), 2, "both have come on the due date");
        assert!(s.reminders_come(&p, d("2026-07-31")).is_empty(), "overdue: no more reminders");
    }
}
