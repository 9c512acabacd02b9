//! Timestamps as TOML writes them (`created = 2024-05-01T10:00:00Z`),
//! converted to Unix seconds for ages and expiry. No I/O, no clock reads.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A TOML date-time, date or local date-time, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp {
    raw: String,
    unix: i64,
}

impl Timestamp {
    /// Returns seconds since the Unix epoch; local times are taken as UTC.
    pub fn unix_seconds(&self) -> i64 {
        self.unix
    }

    /// Returns the timestamp for a number of seconds since the epoch, in UTC.
    pub fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let raw = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            (rem / 60) % 60,
            rem % 60
        );
        Self { raw, unix: secs }
    }
}

/// Returns the days since 1970-01-01 of a proleptic Gregorian date
/// (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Returns (year, month, day) of a count of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl FromStr for Timestamp {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let dt: toml::value::Datetime = s.parse().map_err(|_| {
            format!("invalid date-time `{s}`: expected RFC 3339, e.g. `2024-05-01T10:00:00Z`")
        })?;
        let date = dt
            .date
            .ok_or_else(|| format!("invalid date-time `{s}`: a date is required"))?;
        let mut unix = days_from_civil(
            i64::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        ) * 86_400;
        if let Some(t) = dt.time {
            unix += i64::from(t.hour) * 3600
                + i64::from(t.minute) * 60
                + i64::from(t.second.unwrap_or(0));
        }
        if let Some(toml::value::Offset::Custom { minutes }) = dt.offset {
            unix -= i64::from(minutes) * 60;
        }
        Ok(Self {
            raw: s.to_owned(),
            unix,
        })
    }
}

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.raw
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_and_dates() {
        let t: Timestamp = "2024-05-01T10:00:00Z".parse().unwrap();
        assert_eq!(t.unix_seconds(), 1_714_557_600);
        let t: Timestamp = "2024-05-01T12:00:00+02:00".parse().unwrap();
        assert_eq!(t.unix_seconds(), 1_714_557_600);
        let d: Timestamp = "1970-01-02".parse().unwrap();
        assert_eq!(d.unix_seconds(), 86_400);
        assert!("yesterday".parse::<Timestamp>().is_err());
        assert_eq!(
            Timestamp::from_unix(1_714_557_600).to_string(),
            "2024-05-01T10:00:00Z"
        );
    }
}
