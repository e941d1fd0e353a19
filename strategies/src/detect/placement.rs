//! Where failure detection runs, a choice every detector kind takes with the same keys:
//! `placement = "monitor"` (the default: the monitor detects, and its verdicts reach the
//! clients `propagation` later) or `placement = "client"` (every client runs its own
//! detector on the heartbeats or probe acks it receives, and routes by its own verdicts).

use crate::params::{Param, Params, Show};
use sim_core::SimDuration;
use sim_core::strategy::DetectorPlacement;

/// The placement keys, listed with every detector kind; shown in its description only
/// when they differ from their defaults.
pub const PARAMS: &[Param] = &[
    Param::choice(
        "placement",
        &["monitor", "client"],
        "monitor",
        "where detection runs: \"monitor\" or \"client\" (each client its own)",
    )
    .show(Show::UnlessDefault),
    Param::duration(
        "propagation",
        SimDuration::ZERO,
        "with placement = \"monitor\": delay before its verdicts reach the clients",
    )
    .when(
        "placement",
        "monitor",
        "`propagation` applies to placement = \"monitor\"; a client's own verdicts reach its view at once",
    )
    .show(Show::UnlessDefault),
];

/// Where detection runs, from the placement keys read.
pub fn read(p: &Params) -> DetectorPlacement {
    match p.choice("placement") {
        "client" => DetectorPlacement::Clients,
        _ => DetectorPlacement::Monitor {
            propagation: p.duration("propagation"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::config::{ConfigError, Section, Source, Table, s};

    fn read_table(entries: &[(&str, &str)]) -> Result<DetectorPlacement, ConfigError> {
        let t: Table = entries.iter().map(|(k, v)| (k.to_string(), s(v))).collect();
        let src = Source::inline();
        let sec = Section::new(&t, "detector", None, &src);
        Ok(read(&Params::read("test", &[PARAMS], &sec)?))
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
