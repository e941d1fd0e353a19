//! Where failure detection runs, a choice every detector kind takes with the same keys:
//! `placement = "monitor"` (the default: the monitor detects, and its verdicts reach the
//! clients `propagation` later) or `placement = "client"` (every client runs its own
//! detector on the heartbeats or probe acks it receives, and routes by its own verdicts).

use crate::registry::Param;
use sim_core::SimDuration;
use sim_core::conf::{ConfigError, Section};
use sim_core::rng::SimRng;
use sim_core::strategy::{Detector, DetectorPlacement, DetectorSpec};
use std::sync::Arc;

/// The placement keys, listed with every detector kind.
pub fn params() -> Vec<Param> {
    vec![
        Param::new(
            "placement",
            "monitor",
            "where detection runs: \"monitor\" or \"client\" (each client its own)",
        ),
        Param::new(
            "propagation",
            "0s",
            "with placement = \"monitor\": delay before its verdicts reach the clients",
        ),
    ]
}

/// Reads `placement` and `propagation` from a detector table.
pub fn read(sec: &Section) -> Result<DetectorPlacement, ConfigError> {
    match sec
        .choice("placement", Some("monitor"), &["monitor", "client"])?
        .as_str()
    {
        "client" => {
            if sec.contains("propagation") {
                return Err(sec.error(
                    "propagation",
                    "`propagation` applies to placement = \"monitor\"; a client's own verdicts reach its view at once",
                ));
            }
            Ok(DetectorPlacement::Clients)
        }
        _ => Ok(DetectorPlacement::Monitor {
            propagation: sec.or("propagation", SimDuration::ZERO)?,
        }),
    }
}

/// A detector kind together with where it runs.
#[derive(Debug)]
pub struct Placed {
    pub inner: Arc<dyn DetectorSpec>,
    pub placement: DetectorPlacement,
}

impl DetectorSpec for Placed {
    fn heartbeat_interval(&self) -> Option<SimDuration> {
        self.inner.heartbeat_interval()
    }

    fn build(&self, servers: u32, rng: SimRng) -> Box<dyn Detector> {
        self.inner.build(servers, rng)
    }

    fn describe(&self) -> String {
        let inner = self.inner.describe();
        let extra = match self.placement {
            DetectorPlacement::Clients => ", placement = \"client\"".to_string(),
            DetectorPlacement::Monitor { propagation } if !propagation.is_zero() => {
                format!(", propagation = \"{propagation}\"")
            }
            DetectorPlacement::Monitor { .. } => return inner,
        };
        match inner.strip_suffix(" }") {
            Some(head) => format!("{head}{extra} }}"),
            None => inner,
        }
    }

    fn placement(&self) -> DetectorPlacement {
        self.placement
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::conf::{Source, Table, s};

    fn read_table(entries: &[(&str, &str)]) -> Result<DetectorPlacement, ConfigError> {
        let t: Table = entries.iter().map(|(k, v)| (k.to_string(), s(v))).collect();
        let src = Source::inline();
        read(&Section::new(&t, "detector", None, &src))
    }

    #[test]
    fn monitor_is_the_default_and_propagation_belongs_to_it() {
        assert_eq!(read_table(&[]).unwrap(), DetectorPlacement::default());
        assert_eq!(
            read_table(&[("propagation", "50ms")]).unwrap(),
            DetectorPlacement::Monitor {
                propagation: SimDuration::from_millis(50)
            }
        );
        assert_eq!(
            read_table(&[("placement", "client")]).unwrap(),
            DetectorPlacement::Clients
        );
        let e = read_table(&[("placement", "client"), ("propagation", "5ms")]).unwrap_err();
        assert!(e.message.contains("placement = \"monitor\""), "{e}");
        let e = read_table(&[("placement", "clients")]).unwrap_err();
        assert!(e.message.contains("did you mean `client`"), "{e}");
    }
}
