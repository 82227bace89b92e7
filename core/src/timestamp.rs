//! [`Timestamp`]: an instant as the API writes it (RFC 3339), which serialises back to the very
//! string it was read from.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An instant from the API, e.g. `2026-03-22T10:30:45Z`.
///
/// It keeps the text it was parsed from, so serialising gives back the identical string. Order,
/// equality and hashing follow the instant first (two spellings of one instant differ only by
/// their text, which breaks ties), so sorting by `created_at` sorts in time.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    // Nanoseconds since the Unix epoch; first, so the derived order is the order in time.
    nanos: i128,
    raw: Box<str>,
}

/// A string that is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RFC 3339 timestamp '{input}'")]
pub struct ParseTimestampError {
    input: String,
}

impl Timestamp {
    /// Parses an RFC 3339 timestamp (`2026-03-22T10:30:45Z`, `2026-03-22T12:30:45.5+02:00`).
    pub fn parse(s: &str) -> Result<Self, ParseTimestampError> {
        let at = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| ParseTimestampError {
            // Shortened: the input may be anything a server or caller sent.
            input: s.chars().take(64).collect(),
        })?;
        Ok(Self {
            nanos: at.unix_timestamp_nanos(),
            raw: s.into(),
        })
    }

    /// The current time, in UTC.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// The text, exactly as received (or, for a built timestamp, UTC with a `Z` suffix).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Seconds since the Unix epoch (negative before 1970), rounded down.
    pub fn unix_seconds(&self) -> i64 {
        // In range: the parser only accepts years 0000 to 9999.
        i64::try_from(self.nanos.div_euclid(1_000_000_000)).unwrap_or(i64::MAX)
    }

    /// The same instant as a [`SystemTime`].
    pub fn to_system_time(&self) -> SystemTime {
        let abs = self.nanos.unsigned_abs();
        let d = Duration::new(
            u64::try_from(abs / 1_000_000_000).unwrap_or(u64::MAX),
            (abs % 1_000_000_000) as u32,
        );
        if self.nanos >= 0 {
            UNIX_EPOCH + d
        } else {
            UNIX_EPOCH - d
        }
    }
}

impl From<SystemTime> for Timestamp {
    /// The instant in UTC, `Z` suffix, fractional seconds only when there are some. Instants
    /// beyond the years 0000 to 9999 (which RFC 3339 cannot write) are clamped to them.
    fn from(t: SystemTime) -> Self {
        let nanos = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
            Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
        };
        let min = time::PrimitiveDateTime::MIN.assume_utc();
        let max = time::PrimitiveDateTime::MAX.assume_utc();
        let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(if nanos < 0 {
            min
        } else {
            max
        });
        let raw = at
            .format(&Rfc3339)
            .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned());
        Self {
            nanos: at.unix_timestamp_nanos(),
            raw: raw.into(),
        }
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> Self {
        t.to_system_time()
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> Self {
        t.raw.into()
    }
}

impl FromStr for Timestamp {
    type Err = ParseTimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Timestamp {
    type Error = ParseTimestampError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.raw)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({:?})", &*self.raw)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_exact_text() {
        for s in [
            "2026-03-22T10:30:45Z",
            "2026-03-22T12:30:45+02:00",
            "2026-03-22T10:30:45.250Z",
            "1969-12-31T23:59:59Z",
            // RFC 3339 allows a space for the `T`; the text is kept as sent.
            "2026-03-22 10:30:45Z",
        ] {
            let t = Timestamp::parse(s).unwrap();
            assert_eq!(t.as_str(), s);
            assert_eq!(t.to_string(), s);
            assert_eq!(serde_json::to_value(&t).unwrap(), s);
            let back: Timestamp = serde_json::from_value(serde_json::json!(s)).unwrap();
            assert_eq!(back, t);
        }
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "yesterday",
            "2026-03-22",
            "2026-03-22T10:30:45",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "1774175445",
        ] {
            assert!(Timestamp::parse(s).is_err(), "{s}");
            assert!(serde_json::from_value::<Timestamp>(serde_json::json!(s)).is_err());
        }
        assert!(serde_json::from_value::<Timestamp>(serde_json::json!(1_774_175_445)).is_err());
        assert!(serde_json::from_value::<Timestamp>(serde_json::Value::Null).is_err());
    }

    #[test]
    fn orders_by_instant() {
        let a = Timestamp::parse("2026-03-22T12:30:45+02:00").unwrap(); // 10:30:45Z
        let b = Timestamp::parse("2026-03-22T11:00:00Z").unwrap();
        let c = Timestamp::parse("2026-03-22T10:30:45Z").unwrap();
        assert!(a < b);
        assert!(c < b);
        assert_eq!(a.unix_seconds(), c.unix_seconds());
        assert_eq!(a.to_system_time(), c.to_system_time());
        assert_ne!(a, c, "same instant, different text");
    }

    #[test]
    fn converts_to_and_from_system_time() {
        let t = Timestamp::parse("2026-03-22T10:30:45Z").unwrap();
        let st = SystemTime::from(t.clone());
        assert_eq!(
            st.duration_since(UNIX_EPOCH).unwrap(),
            Duration::from_secs(1_774_175_445)
        );
        assert_eq!(Timestamp::from(st), t);
        let frac = UNIX_EPOCH + Duration::new(1_774_175_445, 250_000_000);
        let t = Timestamp::from(frac);
        assert_eq!(t.as_str(), "2026-03-22T10:30:45.25Z");
        assert_eq!(t.to_system_time(), frac);
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(Timestamp::from(before).as_str(), "1969-12-31T23:59:59Z");
        assert_eq!(Timestamp::from(before).to_system_time(), before);
        assert_eq!(Timestamp::from(before).unix_seconds(), -1);
    }
}
