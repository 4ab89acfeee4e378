//! The per-request cost budget: the same check for HTTP requests and operations sent over a
//! WebSocket, before anything runs (ADR 0503).

use std::sync::Arc;

use super::cost::{CostError, CostModel};
use super::errors::{BAD_USER_INPUT, QUERY_TOO_COMPLEX};

#[derive(Debug, Clone)]
pub struct Budget {
    model: Arc<CostModel>,
    signed_in: u64,
    anonymous: u64,
    /// The schema's own depth limit, told first when both are exceeded.
    max_depth: usize,
}

/// Why a request is refused before it runs: its code and a message for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Budget {
    pub fn new(model: CostModel, signed_in: u64, anonymous: u64, max_depth: usize) -> Self {
        Self {
            model: Arc::new(model),
            signed_in,
            anonymous,
            max_depth,
        }
    }

    /// Parses the request's document (kept in `request`, so the executor does not parse it
    /// again) and refuses it when it could cost more than the caller's budget. A document
    /// that does not parse passes: the executor answers it with the parse error.
    pub fn check(
        &self,
        request: &mut async_graphql::Request,
        signed_in: bool,
    ) -> Result<(), Refusal> {
        let Ok(document) = request.parsed_query() else {
            return Ok(());
        };
        let estimate = self.model.estimate(document).map_err(|e| match e {
            CostError::FragmentCycle(_) | CostError::Schema(_) => Refusal {
                code: BAD_USER_INPUT,
                message: e.to_string(),
            },
        })?;
        if estimate.depth > self.max_depth {
            // Refused here, not left to the executor's own depth check, so that no counting
            // difference between the two can let a deep and costly document through.
            return Err(Refusal {
                code: BAD_USER_INPUT,
                message: format!(
                    "the query is nested {} levels deep, more than the {} allowed",
                    estimate.depth, self.max_depth
                ),
            });
        }
        let cost = estimate.cost;
        let (budget, who) = if signed_in {
            (self.signed_in, "signed-in callers")
        } else {
            (self.anonymous, "anonymous callers")
        };
        if cost > budget {
            return Err(Refusal {
                code: QUERY_TOO_COMPLEX,
                message: format!(
                    "this request could cost {cost}, over the budget of {budget} for {who} \
                     (one unit per field per time it can appear in the answer): ask for fewer \
                     fields, aliases or lists"
                ),
            });
        }
        Ok(())
    }

    /// What `query` costs, for tests that keep the shop's queries under budget.
    pub fn cost_of(&self, query: &str) -> Result<u64, String> {
        let document = async_graphql::parser::parse_query(query).map_err(|e| e.to_string())?;
        self.model.cost(&document).map_err(|e| e.to_string())
    }

    pub fn limits(&self) -> (u64, u64) {
        (self.anonymous, self.signed_in)
    }
}
