//! Routing: which server an attempt goes to. Every router skips servers the clients'
//! view suspects and answers `None` when no server is acceptable.
//!
//! Load-aware routers (round-robin, random, least-outstanding, power-of-d, peak-ewma,
//! error-rate) spread attempts; routers by key (modulo, consistent-hash, rendezvous,
//! jump-hash, maglev, bounded-load) send a key to the same server while the view allows,
//! which keeps server caches warm, and fail over along the key's own list of replicas.
//! Primary/backup sends a key to its range's current primary, which the monitor promotes.

pub mod bounded_load;
pub mod candidates;
pub mod consistent_hash;
pub mod error_rate;
pub mod hash;
pub mod jump_hash;
pub mod least_outstanding;
pub mod maglev;
pub mod modulo;
pub mod peak_ewma;
pub mod power_of_d;
pub mod primary_backup;
pub mod random;
pub mod rendezvous;
pub mod round_robin;
#[cfg(test)]
pub mod testing;
