//! No budget: every retry and hedge the retry policy wants is sent.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use sim_core::config::ConfigError;
use sim_core::strategy::{RetryBudget, RetryBudgetSpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::RetryBudget,
    name: "none",
    summary: "no limit: every retry the policy wants is sent",
    params: &[],
    build: Builder::RetryBudget(build),
};

#[derive(Clone, Debug, Default)]
pub struct Unlimited;

fn build(_p: &mut Params) -> Result<Arc<dyn RetryBudgetSpec>, ConfigError> {
    Ok(Arc::new(Unlimited))
}

impl RetryBudgetSpec for Unlimited {
    fn build(&self) -> Option<Box<dyn RetryBudget>> {
        None
    }

    fn describe(&self) -> String {
        crate::params::bare(KIND.name)
    }
}
