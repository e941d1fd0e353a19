//! Who acts as primary, against the safety property that a range never has two. The
//! server that applies a client's write coordinates it: it sends the copies and
//! acknowledges the write, acting as the primary of the write's range. A split-primary
//! write is one coordinated by a server whose term as the range's primary has ended.
//!
//! Under primary/backup routing the monitor appoints each range's primary (at first its
//! first replica): a server's term runs from its appointment to the next appointment of
//! the range. A write coordinated for a range by a server other than the one the monitor
//! appointed last is split-primary: a deposed primary still taking writes, which happens
//! when it is up and the clients have not yet heard of its successor (propagation), or
//! when a write queued at it or on its way to it is served after the promotion.
//!
//! Without appointed primaries (every other router) a key is its own range, since under
//! hash placement the keys of one home server fail over to different servers (ring
//! successors, rendezvous ranks). Terms are then inferred from the writes: a server's term
//! for a key begins with a write of the key it coordinates, and ends when another server
//! coordinates one or when the server crashes (a restart begins a new term). A write is
//! split-primary when its coordinator's term for the key was ended by another server,
//! without the coordinator having crashed since, and the key's last coordinator is still
//! in its term (it has not crashed since): two servers that never stepped down then both
//! act as the key's primary. Taking a key over from a crashed coordinator is a failover,
//! whatever the new one did before.
//!
//! Memory: one record per range under primary/backup; otherwise one per written key, with
//! one more entry per server whose term of the key another server ended.

use crate::model::state::keymap::KeyMap;
use crate::strategy::FailoverPlan;

/// A server in one of its lives: its incarnation advances with every crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Term {
    server: u32,
    incarnation: u32,
}

/// The inferred terms of one key.
#[derive(Clone, Debug, Default)]
struct KeyTerms {
    /// The coordinator of the key's last write.
    current: Option<Term>,
    /// Terms another coordinator ended, one per server at most.
    ended: Vec<Term>,
}

enum Ranges {
    /// Primary/backup: the plan's ranges and the primary the monitor appointed last.
    Appointed {
        plan: FailoverPlan,
        primary: Vec<u32>,
    },
    /// No appointed primary: terms inferred per key.
    Inferred(KeyMap<KeyTerms>),
}

pub struct Primaries {
    incarnation: Vec<u32>,
    ranges: Ranges,
}

impl Primaries {
    /// The terms of `servers` servers; `plan` is the primary/backup plan, if the router
    /// has one.
    pub fn new(servers: u32, plan: Option<FailoverPlan>) -> Self {
        let ranges = match plan {
            Some(plan) => Ranges::Appointed {
                primary: plan.replicas.iter().map(|r| r[0]).collect(),
                plan,
            },
            None => Ranges::Inferred(KeyMap::default()),
        };
        Primaries {
            incarnation: vec![0; servers as usize],
            ranges,
        }
    }

    /// The monitor appointed `primary` to `range`.
    pub fn appointed(&mut self, range: u32, primary: u32) {
        if let Ranges::Appointed { primary: p, .. } = &mut self.ranges {
            p[range as usize] = primary;
        }
    }

    /// `server` crashed: its terms end.
    pub fn crashed(&mut self, server: u32) {
        let i = &mut self.incarnation[server as usize];
        *i = i.wrapping_add(1);
    }

    /// `server` coordinates a write of `key`. Returns whether the write is split-primary.
    pub fn coordinated(&mut self, server: u32, key: u32) -> bool {
        let term = Term {
            server,
            incarnation: self.incarnation[server as usize],
        };
        match &mut self.ranges {
            Ranges::Appointed { plan, primary } => primary[plan.range_of(key) as usize] != server,
            Ranges::Inferred(keys) => {
                let k = keys.entry(key);
                match k.current {
                    Some(c) if c.server == server => {
                        k.current = Some(term);
                        false
                    }
                    current => {
                        let live = |t: Term| self.incarnation[t.server as usize] == t.incarnation;
                        let split = k.ended.contains(&term) && current.is_some_and(live);
                        k.ended.retain(|t| t.server != server);
                        if let Some(c) = current {
                            k.ended.retain(|t| t.server != c.server);
                            k.ended.push(c);
                        }
                        k.current = Some(term);
                        split
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::SimDuration;
    use crate::strategy::Failback;

    #[test]
    fn a_return_to_a_key_without_a_crash_is_split_and_after_one_is_not() {
        let mut p = Primaries::new(3, None);
        assert!(!p.coordinated(0, 7));
        assert!(!p.coordinated(0, 7), "the same term");
        assert!(!p.coordinated(1, 7), "0's term ends: a failover");
        assert!(!p.coordinated(1, 9), "another key has terms of its own");
        assert!(p.coordinated(0, 7), "0 never crashed: two primaries");
        assert!(!p.coordinated(0, 7), "0 is the last coordinator again");
        assert!(p.coordinated(1, 7), "and 1 still in the term 0 ended");
        p.crashed(0);
        assert!(!p.coordinated(0, 7), "a new term after the restart");
        assert!(!p.coordinated(2, 7));
        p.crashed(1);
        assert!(!p.coordinated(1, 7), "1 crashed since 2 ended its term");
    }

    #[test]
    fn taking_a_key_over_from_a_crashed_coordinator_is_a_failover() {
        let mut p = Primaries::new(2, None);
        assert!(!p.coordinated(0, 8));
        p.crashed(0);
        assert!(!p.coordinated(1, 8), "the first failover");
        assert!(!p.coordinated(0, 8), "back to 0 after its restart");
        p.crashed(0);
        assert!(
            !p.coordinated(1, 8),
            "0 ended 1's term, but 0 crashed since: the second failover"
        );
        assert!(!p.coordinated(0, 8), "0 restarted since");
        assert!(p.coordinated(1, 8), "neither crashed: two primaries");
    }

    #[test]
    fn under_primary_backup_only_the_appointed_primary_coordinates() {
        let plan = FailoverPlan {
            replicas: vec![vec![0, 1], vec![1, 2]],
            keys: 100,
            promotion_delay: SimDuration::ZERO,
            failback: Failback::Stay,
        };
        let mut p = Primaries::new(3, Some(plan));
        assert!(!p.coordinated(0, 10));
        assert!(p.coordinated(1, 10), "range 0's primary is 0");
        assert!(!p.coordinated(1, 60));
        p.appointed(0, 1);
        assert!(p.coordinated(0, 10), "0 was deposed");
        p.crashed(0);
        assert!(p.coordinated(0, 10), "a restart appoints no one");
        assert!(!p.coordinated(1, 10));
    }
}
