//! `keyportal healthcheck`: exit 0 when the server answers `/health` with 200.

use std::time::Duration;

use super::args::HealthcheckArgs;

pub async fn run(args: HealthcheckArgs) -> Result<(), String> {
    let base = args.url.trim_end_matches('/');
    let url = if base.ends_with("/health") {
        base.to_string()
    } else {
        format!("{base}/health")
    };
    // The server may use a self-signed certificate; a health probe checks liveness, not identity.
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: no answer ({e})"))?;
    if response.status().is_success() {
        println!("ok: {url}");
        Ok(())
    } else {
        Err(format!("{url}: answered {}", response.status()))
    }
}
