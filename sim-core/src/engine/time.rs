//! Simulated time: integer nanoseconds since the start of a run.
//!
//! `SimTime` is an instant, `SimDuration` a span. Both are plain `u64` nanoseconds so that
//! event order never depends on floating-point rounding. Durations parse from the strings
//! configs use ("250us", "10ms", "1.5s", "10m", "2h") exactly, without going through `f64`.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant of simulated time, in nanoseconds since the run started.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-9
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    pub fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// The time as a `SimDuration` from the start of the run.
    pub const fn since_start(self) -> SimDuration {
        SimDuration(self.0)
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    pub const fn from_nanos(ns: u64) -> Self {
        SimDuration(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us.saturating_mul(1_000))
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(1_000_000))
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(1_000_000_000))
    }

    /// Converts seconds to the nearest nanosecond; negative and NaN give zero, values too
    /// large saturate.
    pub fn from_secs_f64(secs: f64) -> Self {
        let ns = secs * 1e9;
        if ns.is_nan() || ns <= 0.0 {
            // Zero, negative or NaN.
            return SimDuration(0);
        }
        if ns >= 9.0e18 {
            // Beyond 2^63 ns (292 years) every f64 is whole; `as` saturates at u64::MAX.
            return SimDuration(ns as u64);
        }
        // Round half away from zero without a libm call: the signed conversions are single
        // instructions, and the fraction is exact (below 2^53 the truncated value converts
        // back exactly; above it every f64 is already whole).
        let whole = ns as i64;
        let round_up = ns - whole as f64 >= 0.5;
        SimDuration(whole as u64 + u64::from(round_up))
    }

    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-9
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 * 1e-6
    }
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Scales by a non-negative factor, rounding to the nearest nanosecond.
    pub fn mul_f64(self, factor: f64) -> SimDuration {
        SimDuration::from_secs_f64(self.as_secs_f64() * factor)
    }

    pub fn saturating_add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }

    /// Parses a duration string: a non-negative decimal number followed by a unit, one of
    /// `ns`, `us` (or `µs`), `ms`, `s`, `m` (or `min`), `h`, `d`. The conversion is exact to
    /// the nanosecond; finer fractions are an error rather than silently rounded.
    pub fn parse(text: &str) -> Result<SimDuration, DurationError> {
        let s = text.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| {
                DurationError::new(text, "it has no unit (add one of ns, us, ms, s, m, h)")
            })?;
        let (number, unit) = s.split_at(split);
        let unit = unit.trim();
        if number.is_empty() {
            let why = if s.starts_with('-') {
                "durations cannot be negative"
            } else {
                "it does not start with a number"
            };
            return Err(DurationError::new(text, why));
        }
        let unit_ns: u64 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" | "min" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            _ => {
                return Err(DurationError::new(
                    text,
                    &format!("unknown unit `{unit}` (expected one of ns, us, ms, s, m, h, d)"),
                ));
            }
        };
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        if frac_part.contains('.') || (int_part.is_empty() && frac_part.is_empty()) {
            return Err(DurationError::new(text, "the number is malformed"));
        }
        let overflow = || DurationError::new(text, "it is too long (the limit is about 584 years)");
        let int_value: u64 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| overflow())?
        };
        let mut total = int_value.checked_mul(unit_ns).ok_or_else(overflow)?;
        if !frac_part.is_empty() {
            if !frac_part.chars().all(|c| c.is_ascii_digit()) || frac_part.len() > 18 {
                return Err(DurationError::new(text, "the number is malformed"));
            }
            // 0.d1..dk units = (d1..dk * unit_ns) / 10^k nanoseconds, which must be whole.
            let digits: u128 = frac_part.parse().map_err(|_| overflow())?;
            let scaled = digits * unit_ns as u128;
            let denominator = 10u128.pow(frac_part.len() as u32);
            if !scaled.is_multiple_of(denominator) {
                return Err(DurationError::new(text, "it is finer than one nanosecond"));
            }
            let frac_ns = u64::try_from(scaled / denominator).map_err(|_| overflow())?;
            total = total.checked_add(frac_ns).ok_or_else(overflow)?;
        }
        Ok(SimDuration(total))
    }
}

/// A duration string that could not be parsed, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationError {
    pub text: String,
    pub reason: String,
}

impl DurationError {
    fn new(text: &str, reason: &str) -> Self {
        DurationError {
            text: text.to_string(),
            reason: reason.to_string(),
        }
    }
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a duration: {} (write a number and a unit, like \"250us\", \"10ms\", \"1.5s\", \"10m\", \"2h\")",
            self.text, self.reason
        )
    }
}

impl std::error::Error for DurationError {}

// Arithmetic saturates: a time or span past u64::MAX nanoseconds (about 584 years) means
// "never", and a difference that would be negative is zero. Configs may hold durations
// near the limit, so no sum of them may wrap or panic.

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
}

impl AddAssign for SimDuration {
    fn add_assign(&mut self, other: SimDuration) {
        self.0 = self.0.saturating_add(other.0);
    }
}

impl Sub for SimDuration {
    type Output = SimDuration;
    fn sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }
}

/// Seconds with nanosecond precision, e.g. `12.000345000s`; fixed width after the point so
/// that traces line up and sort as text within a run.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}s",
            self.0 / 1_000_000_000,
            self.0 % 1_000_000_000
        )
    }
}

/// The shortest exact form in the largest unit that keeps it whole or short: `10ms`,
/// `1.5s`, `250us`, `2h`. `SimDuration::parse` reads it back to the same value.
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 6] = [
            (3_600_000_000_000, "h"),
            (60_000_000_000, "m"),
            (1_000_000_000, "s"),
            (1_000_000, "ms"),
            (1_000, "us"),
            (1, "ns"),
        ];
        let ns = self.0;
        if ns == 0 {
            return write!(f, "0s");
        }
        for (unit_ns, name) in UNITS {
            if ns.is_multiple_of(unit_ns) {
                return write!(f, "{}{}", ns / unit_ns, name);
            }
            // Seconds and milliseconds read better with a fraction than in a smaller unit.
            if (unit_ns == 1_000_000_000 || unit_ns == 1_000_000) && ns >= unit_ns {
                let whole = ns / unit_ns;
                let frac = ns % unit_ns;
                let width = if unit_ns == 1_000_000_000 { 9 } else { 6 };
                let digits = format!("{frac:0width$}");
                return write!(f, "{}.{}{}", whole, digits.trim_end_matches('0'), name);
            }
        }
        unreachable!("every duration is a whole number of nanoseconds")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> u64 {
        SimDuration::parse(s).unwrap().0
    }

    #[test]
    fn parses_every_unit_exactly() {
        assert_eq!(p("250us"), 250_000);
        assert_eq!(p("250µs"), 250_000);
        assert_eq!(p("10ms"), 10_000_000);
        assert_eq!(p("1.5s"), 1_500_000_000);
        assert_eq!(p("10m"), 600_000_000_000);
        assert_eq!(p("10min"), 600_000_000_000);
        assert_eq!(p("2h"), 7_200_000_000_000);
        assert_eq!(p("1d"), 86_400_000_000_000);
        assert_eq!(p("7ns"), 7);
        assert_eq!(p("0s"), 0);
        assert_eq!(p(" 3 ms "), 3_000_000);
        // Exact where f64 would round: 0.1 s is not representable in binary.
        assert_eq!(p("0.1s"), 100_000_000);
        assert_eq!(p(".5s"), 500_000_000);
        assert_eq!(p("1.000000001s"), 1_000_000_001);
        assert_eq!(p("0.001us"), 1);
    }

    #[test]
    fn rejects_bad_durations_with_a_reason() {
        for (text, why) in [
            ("10", "no unit"),
            ("-5ms", "negative"),
            ("ms", "does not start with a number"),
            ("5 parsecs", "unknown unit"),
            ("1.2.3s", "malformed"),
            ("0.5ns", "finer than one nanosecond"),
            ("99999999999h", "too long"),
            ("", "no unit"),
        ] {
            let err = SimDuration::parse(text).unwrap_err();
            assert!(err.to_string().contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn display_round_trips() {
        for ns in [
            0u64,
            1,
            999,
            250_000,
            10_000_000,
            1_500_000_000,
            600_000_000_000,
            7_200_000_000_000,
            1_234_567,
            90_000_000_000,
            3_000_000_001,
        ] {
            let d = SimDuration(ns);
            assert_eq!(SimDuration::parse(&d.to_string()).unwrap(), d, "{d}");
        }
        assert_eq!(SimDuration(1_500_000_000).to_string(), "1.5s");
        assert_eq!(SimDuration(10_000_000).to_string(), "10ms");
        assert_eq!(SimDuration(1_234_567).to_string(), "1.234567ms");
    }

    #[test]
    fn time_display_is_fixed_width_seconds() {
        assert_eq!(SimTime(12_000_345_000).to_string(), "12.000345000s");
        assert_eq!(SimTime(0).to_string(), "0.000000000s");
    }

    #[test]
    fn float_conversion_rounds_and_saturates() {
        assert_eq!(SimDuration::from_secs_f64(0.010).0, 10_000_000);
        assert_eq!(SimDuration::from_secs_f64(-1.0).0, 0);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN).0, 0);
        assert_eq!(SimDuration::from_secs_f64(1e30).0, u64::MAX);
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        let near_end = SimTime(u64::MAX - 5);
        assert_eq!(near_end + SimDuration(10), SimTime::MAX);
        assert_eq!(SimDuration::MAX + SimDuration(1), SimDuration::MAX);
        assert_eq!(SimTime(3) - SimTime(5), SimDuration::ZERO);
        assert_eq!(SimDuration(3) - SimDuration(5), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs(u64::MAX), SimDuration::MAX);
        let mut t = near_end;
        t += SimDuration::MAX;
        assert_eq!(t, SimTime::MAX);
    }
}
