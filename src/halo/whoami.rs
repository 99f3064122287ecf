//! `GET /api/Agent/me`: the agent the auditing credential acts as. Every fetch asks it once and
//! records the answer in the snapshot (`auditor.agent`); a live `self-check` asks it too. Halo
//! answers with the agent the API application logs in as.
//!
//! Owns: that one request and reading the agent's id and name from the answer. It stores nothing.

use std::sync::Arc;

use serde_json::Value;

use super::client::{ApiError, Client};
use super::{FetchError, Settings};

/// Who the credential is, as far as Halo says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The agent the credential acts as, with Halo's answer (the agent object).
    Agent {
        id: i64,
        name: String,
        object: Value,
    },
    /// Halo did not say; why.
    Unknown { reason: String },
}

/// Asks Halo which agent the credential acts as (a token request and one `GET`).
///
/// # Errors
/// [`FetchError`] when no token can be obtained or the runtime cannot start; an answer that names
/// no agent (403, 404, an unexpected body) is [`Identity::Unknown`], not an error.
pub fn whoami(settings: &Settings) -> Result<Identity, FetchError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FetchError::Setup {
            detail: e.to_string(),
        })?;
    runtime.block_on(async {
        let client = Client::new(Arc::new(settings.clone()))?;
        identify(&client).await
    })
}

/// `GET /api/Agent/me` with a client that is already set up (a fetch records it this way).
///
/// # Errors
/// As [`whoami`].
pub(super) async fn identify(client: &Client) -> Result<Identity, FetchError> {
    match client.get_json("GET /api/Agent/me", "/Agent/me", &[]).await {
        Ok(value) => Ok(identity(&value)),
        Err(ApiError::Fatal(e)) => Err(*e),
        Err(ApiError::Status { status, .. }) => Ok(Identity::Unknown {
            reason: format!("/api/Agent/me answered {status}"),
        }),
        Err(other) => Ok(Identity::Unknown {
            reason: format!("/api/Agent/me could not be read ({})", describe(&other)),
        }),
    }
}

fn describe(error: &ApiError) -> String {
    match error {
        ApiError::Malformed { detail } => format!("malformed answer: {detail}"),
        ApiError::Transport { detail, .. } => detail.clone(),
        ApiError::RateLimited { .. } => "rate limited".to_owned(),
        ApiError::Redirect { status, .. } => format!("redirected ({status})"),
        ApiError::Unauthorized => "unauthorised".to_owned(),
        ApiError::TooLarge { limit } => format!("answer larger than {limit} bytes"),
        ApiError::Status { status, .. } => status.to_string(),
        ApiError::Fatal(e) => e.to_string(),
    }
}

/// The agent's id and name from Halo's answer.
fn identity(value: &Value) -> Identity {
    let id = value.get("id").and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    });
    let name = value.get("name").and_then(Value::as_str);
    match (id, name) {
        (Some(id), Some(name)) if id > 0 => Identity::Agent {
            id,
            name: name.to_owned(),
            object: value.clone(),
        },
        _ => Identity::Unknown {
            reason: "/api/Agent/me named no agent".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_names_the_agent_or_says_it_does_not() {
        for answer in [
            serde_json::json!({"id": 12, "name": "Audit API"}),
            serde_json::json!({"id": "12", "name": "Audit API"}),
        ] {
            assert!(
                matches!(identity(&answer), Identity::Agent { id: 12, ref name, .. } if name == "Audit API"),
                "{answer}"
            );
        }
        assert!(matches!(
            identity(&serde_json::json!({"id": -1})),
            Identity::Unknown { .. }
        ));
        assert!(matches!(
            identity(&serde_json::json!([])),
            Identity::Unknown { .. }
        ));
    }
}
