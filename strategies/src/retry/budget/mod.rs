//! Retry budgets: how many retries and hedges a client may send, whatever its retry
//! policy wants. Each client holds its own budget (as a gRPC channel or a Finagle client
//! does), set by the `retry_budget` key of a strategy, apart from the retry policy so
//! that any policy can be budgeted.

pub mod none;
pub mod percentage;
pub mod token_bucket;
