//! Ordering: how a replica decides between writes of the same key, and the clock that
//! stamps them.

pub mod arrival;
pub mod lww;
