//! Shared code for the routers' tests: routing one attempt, and measuring which keys move
//! when a server is removed.

use sim_core::engine::rng::{Purpose, RngFactory};
use sim_core::engine::time::SimTime;
use sim_core::strategy::{ClusterView, RouteInput, Router, RouterSpec};

/// The server `router` picks for `key` (a retry when `previous` is given).
pub fn route_first(
    router: &mut dyn Router,
    key: u32,
    previous: Option<u32>,
    view: &ClusterView,
) -> u32 {
    let mut rng = RngFactory::new(1).stream(Purpose::Routing, 0);
    let input = RouteInput {
        key,
        attempt: if previous.is_some() { 2 } else { 1 },
        previous,
        now: SimTime::ZERO,
    };
    router
        .route(&input, view, &mut rng)
        .expect("some server is acceptable")
}

/// What removing one server did to the placement of keys `0..keys`.
#[derive(Clone, Debug)]
pub struct Movement {
    /// Fraction of all keys whose owner changed.
    pub moved: f64,
    /// Fraction of the keys the removed server owned.
    pub removed_share: f64,
    /// Fraction of the keys owned by surviving servers that changed owner anyway.
    pub moved_between_survivors: f64,
    /// Keys each server owned before the removal.
    pub owned: Vec<u32>,
}

/// Places keys `0..keys` on `servers` servers, suspects `removed`, places them again.
/// Also checks that first attempts go where [`Router::key_owner`] says.
pub fn moved_by_removal(spec: &dyn RouterSpec, servers: u32, keys: u32, removed: u32) -> Movement {
    let mut router = spec.build(servers, keys);
    let mut view = ClusterView::new(servers);
    let owners = |r: &mut dyn Router, view: &ClusterView| -> Vec<u32> {
        (0..keys)
            .map(|k| {
                r.key_owner(k, view)
                    .expect("a keyed router places every key")
            })
            .collect()
    };
    let before = owners(router.as_mut(), &view);
    for k in (0..keys).step_by(97) {
        assert_eq!(
            route_first(router.as_mut(), k, None, &view),
            before[k as usize],
            "key {k}: first attempt and key_owner disagree"
        );
    }
    view.set_suspected(removed, true);
    let after = owners(router.as_mut(), &view);
    for k in (0..keys).step_by(97) {
        assert_eq!(
            route_first(router.as_mut(), k, None, &view),
            after[k as usize]
        );
    }
    assert!(
        after.iter().all(|&s| s != removed),
        "a suspected server owns nothing"
    );
    let mut owned = vec![0u32; servers as usize];
    let (mut moved, mut of_removed, mut survivors_moved) = (0u32, 0u32, 0u32);
    for (b, a) in before.iter().zip(&after) {
        owned[*b as usize] += 1;
        if *b == removed {
            of_removed += 1;
        }
        if b != a {
            moved += 1;
            if *b != removed {
                survivors_moved += 1;
            }
        }
    }
    let k = f64::from(keys);
    Movement {
        moved: f64::from(moved) / k,
        removed_share: f64::from(of_removed) / k,
        moved_between_survivors: f64::from(survivors_moved) / (k - f64::from(of_removed)),
        owned,
    }
}
