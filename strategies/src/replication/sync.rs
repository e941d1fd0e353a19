//! Synchronous replication: the server that applies a write sends it to the key's other
//! replicas and acknowledges it once `acks` servers (itself included) applied it. With
//! `acks` = `factor` a crash never loses an acknowledged write while one replica is up;
//! with fewer, writes stay available while `acks` replicas are.

use crate::registry::{Builder, Family, Kind, Param};
use crate::replication::{DEFAULT_FACTOR, catch_up_param, read_catch_up, read_factor};
use sim_core::conf::{ConfigError, Section};
use sim_core::durability::{ReplicationMode, ReplicationSpec};

pub const KIND: Kind = Kind {
    family: Family::Replication,
    name: "sync",
    summary: "copy to the key's replicas; acknowledge once `acks` of them applied it",
    params: || {
        vec![
            Param::new("factor", DEFAULT_FACTOR, "copies of each key"),
            Param::new(
                "acks",
                "factor",
                "copies applied before the write is acknowledged, the first included",
            ),
            catch_up_param(),
        ]
    },
    build: Builder::Replication(build),
};

fn build(sec: &Section) -> Result<ReplicationSpec, ConfigError> {
    let factor = read_factor(sec)?;
    let acks = sec.checked(
        "acks",
        Some(factor),
        |a: &u32| (1..=factor).contains(a),
        &format!("a number of copies from 1 to the factor ({factor})"),
    )?;
    Ok(ReplicationSpec {
        factor,
        mode: ReplicationMode::Sync { acks },
        catch_up: read_catch_up(sec)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::conf::{Source, Table, i};

    #[test]
    fn acks_default_to_the_factor_and_cannot_exceed_it() {
        let src = Source::inline();
        let t: Table = [("factor".to_string(), i(5))].into();
        let spec = build(&Section::new(&t, "replication", None, &src)).unwrap();
        assert_eq!(spec.mode, ReplicationMode::Sync { acks: 5 });
        let t: Table = [("factor".to_string(), i(3)), ("acks".to_string(), i(4))].into();
        let e = build(&Section::new(&t, "replication", None, &src)).unwrap_err();
        assert!(e.message.contains("from 1 to the factor (3)"), "{e}");
    }
}
