//! Retries: whether and when a failed attempt is tried again (backoff policies and
//! hedging), how many retries a client may spend (retry budgets), and which servers a
//! client keeps attempts away from (circuit breakers). One file per kind.

pub mod breaker;
pub mod budget;
pub mod common;
pub mod exponential;
pub mod fixed;
pub mod hedge;
pub mod jitter;
pub mod linear;
pub mod none;
pub mod quantile;
pub mod random;
pub mod window;

#[cfg(test)]
pub(crate) mod testing {
    use sim_core::config::{ConfigError, Section, Source, Table, Value, ValueKind};

    /// A boolean value without a line.
    pub fn b(x: bool) -> Value {
        Value::new(ValueKind::Bool(x), None)
    }

    /// Builds `kind` from a table of `entries`, as a config would give it.
    pub fn from_table<T: crate::registry::Built>(
        entries: &[(&str, Value)],
        kind: &'static crate::registry::Kind,
    ) -> Result<T, ConfigError> {
        let table: Table = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let source = Source::inline();
        crate::registry::build_kind(
            kind,
            &Section::new(&table, "strategies.s.retry", None, &source),
        )
    }
}
