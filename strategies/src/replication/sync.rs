//! Synchronous replication: the server that applies a write sends it to the key's other
//! replicas and acknowledges it once `acks` servers (itself included) applied it. With
//! `acks` = `factor` a crash never loses an acknowledged write while one replica is up;
//! with fewer, writes stay available while `acks` replicas are.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::replication::{CATCH_UP, DEFAULT_FACTOR, FACTOR, factor_and_catch_up};
use sim_core::config::ConfigError;
use sim_core::strategy::durability::{ReplicationMode, ReplicationSpec};

pub const KIND: Kind = Kind {
    family: Family::Replication,
    name: "sync",
    summary: "copy to the key's replicas; acknowledge once `acks` of them applied it",
    params: &[&[
        FACTOR,
        Param::int32(
            "acks",
            DEFAULT_FACTOR,
            "copies applied before the write is acknowledged, the first included",
            "copies",
        )
        .same_as("factor"),
        CATCH_UP,
    ]],
    build: Builder::Replication(build),
};

fn build(p: &mut Params) -> Result<ReplicationSpec, ConfigError> {
    let (factor, catch_up) = factor_and_catch_up(p);
    let acks = p.int32("acks");
    p.check(
        "acks",
        (1..=factor).contains(&acks),
        &format!("a number of copies from 1 to the factor ({factor})"),
    )?;
    Ok(ReplicationSpec {
        factor,
        mode: ReplicationMode::Sync { acks },
        catch_up,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::config::{Section, Source, Table, i};

    #[test]
    fn acks_default_to_the_factor_and_cannot_exceed_it() {
        let src = Source::inline();
        let t: Table = [("factor".to_string(), i(5))].into();
        let spec = crate::registry::build_kind::<ReplicationSpec>(
            &KIND,
            &Section::new(&t, "replication", None, &src),
        )
        .unwrap();
        assert_eq!(spec.mode, ReplicationMode::Sync { acks: 5 });
        let t: Table = [("factor".to_string(), i(3)), ("acks".to_string(), i(4))].into();
        let e = crate::registry::build_kind::<ReplicationSpec>(
            &KIND,
            &Section::new(&t, "replication", None, &src),
        )
        .unwrap_err();
        assert!(e.message.contains("from 1 to the factor (3)"), "{e}");
    }
}
