//! Every fetch records who the credential is (`GET /api/Agent/me`) in the snapshot's
//! `auditor.agent`, so an offline self-check knows it as a live one does; when Halo does not say,
//! `auditor.agent_unknown` says why and the fetch goes on. Snapshots without either still load.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use halo_sim::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, Fault, FaultKind, Server, SimConfig,
};
use serde_json::Value;

fn fetch(server: &Server, dir: &Path, scope: &str) -> Value {
    let out = dir.join("snap.json");
    let output = Command::cargo_bin("halo-audit")
        .unwrap()
        .env("NO_COLOR", "1")
        .env("HALO_URL", server.url())
        .env("HALO_CLIENT_ID", DEMO_CLIENT_ID)
        .env("HALO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("HALO_TENANT", DEMO_TENANT)
        .env_remove("HALO_AUTH_URL")
        .env_remove("HALO_AUDIT_CONFIG")
        .current_dir(dir)
        .args(["fetch", "--rate", "off", "--scope", scope, "-o"])
        .arg(&out)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

#[test]
fn the_credentials_agent_is_recorded_at_fetch_time_in_both_scopes() {
    let mut config = SimConfig::demo();
    config.objects.agents.push(serde_json::json!({
        "id": 901, "name": "Audit Reader", "isdisabled": false, "isapiagent": true,
        "is_admin": true, "roles": [], "teams": [], "claims": []
    }));
    config.auditor_agent_id = Some(901);
    let server = Server::start(config).unwrap();
    for scope in ["all", "integrations"] {
        let dir = tempfile::tempdir().unwrap();
        let doc = fetch(&server, dir.path(), scope);
        assert_eq!(
            doc["auditor"]["agent"],
            serde_json::json!({"id": 901, "name": "Audit Reader"}),
            "{scope}: {}",
            doc["auditor"]
        );
        assert!(doc["auditor"].get("agent_unknown").is_none());
        assert_eq!(doc["auditor"]["client_id"], DEMO_CLIENT_ID);
    }
}

#[test]
fn an_agent_me_halo_will_not_answer_is_recorded_as_unknown_and_the_fetch_goes_on() {
    let mut config = SimConfig::demo();
    config.faults = vec![Fault::new("/api/Agent/me", FaultKind::Forbidden)];
    let server = Server::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let doc = fetch(&server, dir.path(), "all");
    assert!(doc["auditor"].get("agent").is_none(), "{}", doc["auditor"]);
    assert_eq!(
        doc["auditor"]["agent_unknown"],
        "/api/Agent/me answered 403"
    );
    assert_eq!(doc["objects"]["agents"].as_array().unwrap().len(), 40);

    // A snapshot written before the agent was recorded (the bundled demo) still loads, and so
    // does one that records it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let demo = std::fs::read_to_string(root.join("fixtures/demo/snapshot.json")).unwrap();
    assert!(!demo.contains("\"agent_unknown\"") && !demo.contains("\"agent\": {"));
    for path in [
        root.join("fixtures/demo/snapshot.json"),
        dir.path().join("snap.json"),
    ] {
        let output = Command::cargo_bin("halo-audit")
            .unwrap()
            .env("NO_COLOR", "1")
            .args(["snapshot", "show"])
            .arg(&path)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
