//! `POST /webhooks/{secret}`: a flow's trigger; the body is any payload, the answer the execution.

use serde::{Deserialize, Serialize};

/// The accepted trigger (202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Accepted {
    /// The execution that runs the flow; follow it with the executions API.
    pub execution_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::round_trip;
    use serde_json::json;

    #[test]
    fn the_answer_as_the_service_sends_it() {
        let accepted: Accepted = round_trip(json!({"execution_id": "exe_1"}));
        assert_eq!(accepted.execution_id, "exe_1");
    }
}
