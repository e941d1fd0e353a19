//! Primary/backup: the keys fall into `ranges` contiguous key ranges; range r is
//! replicated on the `replicas` servers r, r+1, ... (mod the number of servers), the
//! first its preferred primary. Every attempt for a key goes to its range's current
//! primary as the clients' view names it, or fails at once as unavailable while that
//! primary is suspected and no backup has been promoted yet.
//!
//! It is a routing kind because it decides where each request goes; the promotions it
//! needs run at the monitor (sim_core::model::detect::failover), from the monitor's suspicions,
//! `promotion_delay` after the verdict that calls for them, with the fail-back policy
//! `failback`. It therefore needs the detector at the monitor.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{
    ClusterView, Failback, FailoverPlan, KeyPlacement, RouteInput, Router, RouterSpec,
};
use std::sync::Arc;

pub const DEFAULT_RANGES: u64 = 16;
pub const DEFAULT_REPLICAS: u64 = 3;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "primary-backup",
    summary: "send each request to its key range's primary; the monitor promotes a backup when it suspects the primary",
    params: &[&[
        Param::int("ranges", DEFAULT_RANGES, "contiguous key ranges", "ranges")
            .check(|v| v.int() >= 1, "an integer of at least 1"),
        Param::int(
            "replicas",
            DEFAULT_REPLICAS,
            "servers per range (r, r+1, ...), the first its preferred primary",
            "servers",
        )
        .check(|v| v.int() >= 1, "an integer of at least 1"),
        Param::duration(
            "promotion_delay",
            SimDuration::ZERO,
            "from the monitor's verdict to the new primary taking over",
        ),
        Param::choice(
            "failback",
            &["stay", "return"],
            "stay",
            "\"stay\" with the promoted backup, or \"return\" to the first replica once trusted",
        ),
    ]],
    build: Builder::Routing(build),
};

#[derive(Clone, Debug, PartialEq)]
pub struct PrimaryBackup {
    pub ranges: u32,
    pub replicas: u32,
    pub promotion_delay: SimDuration,
    pub failback: Failback,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    let ranges = u32::try_from(p.int("ranges"))
        .map_err(|_| p.error("ranges", "expected at most 2^32 - 1 ranges"))?;
    let replicas = u32::try_from(p.int("replicas"))
        .map_err(|_| p.error("replicas", "expected at most 2^32 - 1 replicas"))?;
    Ok(Arc::new(PrimaryBackup {
        ranges,
        replicas,
        promotion_delay: p.duration("promotion_delay"),
        failback: match p.choice("failback") {
            "return" => Failback::Return,
            _ => Failback::Stay,
        },
        description: p.describe(),
    }))
}

impl PrimaryBackup {
    /// The replicas of every range: range r on servers r, r+1, ... mod `servers`.
    pub fn plan(&self, servers: u32, keys: u32) -> FailoverPlan {
        let replicas = (0..self.ranges)
            .map(|r| {
                (0..self.replicas)
                    .map(|j| ((u64::from(r) + u64::from(j)) % u64::from(servers)) as u32)
                    .collect()
            })
            .collect();
        FailoverPlan {
            replicas,
            keys,
            promotion_delay: self.promotion_delay,
            failback: self.failback,
        }
    }
}

impl RouterSpec for PrimaryBackup {
    fn build(&self, servers: u32, keys: u32) -> Box<dyn Router> {
        Box::new(PrimaryRouter {
            plan: self.plan(servers, keys),
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn key_placement(&self) -> KeyPlacement {
        KeyPlacement::Unkeyed
    }

    fn needs_monitor(&self) -> bool {
        true
    }

    fn validate(&self, servers: u32, keys: u32) -> Result<(), (&'static str, String)> {
        if self.replicas > servers {
            return Err((
                "replicas",
                format!(
                    "expected at most cluster.servers ({servers}) replicas, got {}",
                    self.replicas
                ),
            ));
        }
        if self.ranges > keys {
            return Err((
                "ranges",
                format!(
                    "expected at most workload.keys.count ({keys}) ranges, so that none is empty, got {}",
                    self.ranges
                ),
            ));
        }
        Ok(())
    }

    fn failover_plan(&self, servers: u32, keys: u32) -> Option<FailoverPlan> {
        Some(self.plan(servers, keys))
    }
}

struct PrimaryRouter {
    plan: FailoverPlan,
}

impl Router for PrimaryRouter {
    fn route(&mut self, input: &RouteInput, view: &ClusterView, _rng: &mut SimRng) -> Option<u32> {
        let range = self.plan.range_of(input.key);
        view.primary(range).filter(|p| !view.is_suspected(*p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::rng::{Purpose, RngFactory};

    #[test]
    fn ranges_sit_on_consecutive_servers_and_requests_follow_the_primary() {
        let spec = PrimaryBackup {
            description: String::new(),
            ranges: 6,
            replicas: 2,
            promotion_delay: SimDuration::ZERO,
            failback: Failback::Stay,
        };
        let plan = spec.plan(4, 600);
        assert_eq!(
            plan.replicas,
            vec![
                vec![0, 1],
                vec![1, 2],
                vec![2, 3],
                vec![3, 0],
                vec![0, 1],
                vec![1, 2]
            ]
        );
        let mut view = ClusterView::new(4);
        for (r, reps) in plan.replicas.iter().enumerate() {
            view.set_primary(r as u32, Some(reps[0]));
        }
        let mut router = spec.build(4, 600);
        let mut rng = RngFactory::new(1).stream(Purpose::Routing, 0);
        let input = |key| RouteInput {
            key,
            attempt: 1,
            previous: None,
            now: sim_core::SimTime::ZERO,
        };
        // Key 350 is in range 3 (keys 300..400), on server 3.
        assert_eq!(router.route(&input(350), &view, &mut rng), Some(3));
        // A suspected primary not yet replaced: nowhere to go.
        view.set_suspected(3, true);
        assert_eq!(router.route(&input(350), &view, &mut rng), None);
        view.set_primary(3, Some(0));
        assert_eq!(router.route(&input(350), &view, &mut rng), Some(0));
        assert_eq!(spec.validate(1, 600).unwrap_err().0, "replicas");
        assert_eq!(spec.validate(4, 5).unwrap_err().0, "ranges");
    }
}
