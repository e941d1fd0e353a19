//! The engine, which knows nothing of clusters: simulated time, the event queue, seeded
//! random streams, distributions, the trace hash, keyed deadlines and the numerics the
//! model and the validation share.

pub mod deadlines;
pub mod dist;
pub mod math;
pub mod queue;
pub mod rng;
pub mod time;
pub mod trace;
