//! Routing: which server an attempt goes to. Every router skips servers the clients'
//! view suspects and answers `None` when no server is acceptable.

pub mod primary_backup;
pub mod random;
pub mod round_robin;
