//! A key that expires a minute ahead, checked by the background task every second.

use std::time::Duration;

use serde_json::json;

use super::{eventually, mint, register};
use crate::harness::TestServer;
use crate::tuned_on_both_backends;

fn check_expiry_every_second(config: &mut keyportal::config::ServeConfig) {
    config.events.expiry_interval = Duration::from_secs(1);
}

tuned_on_both_backends!(
    a_key_expiring_in_a_minute_is_warned_then_expired,
    false,
    check_expiry_every_second,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, client_id, secret) = register(&s, &admin, "admin", "Expiring").await;
        let expires = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
            + 60_000;
        let dated = s
            .post(
                &format!("content/users/admin/items/{item}/update"),
                Some(&admin),
                &[("apiToken1ExpirationDate", &expires.to_string())],
            )
            .await;
        assert!(dated.get("error").is_none(), "{dated}");
        mint(&s, Some(&admin), &client_id, &secret, "1", false).await;
        // Every lead time (30, 7, 1 days) is crossed at once: one warning, for the smallest.
        let expiring = eventually(&s, &admin, "key.expiring", Duration::from_secs(30)).await;
        assert_eq!(expiring.len(), 1, "{expiring:?}");
        let e = &expiring[0];
        assert_eq!(
            (
                e["itemId"].clone(),
                e["slot"].clone(),
                e["actorKind"].clone()
            ),
            (json!(item), json!(1), json!("system"))
        );
        assert_eq!(
            (
                e["details"]["expires"].clone(),
                e["details"]["daysLeft"].clone(),
                e["details"]["leadDays"].clone()
            ),
            (json!(expires), json!(1), json!(1))
        );
        let expired = eventually(&s, &admin, "key.expired", Duration::from_secs(120)).await;
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0]["details"]["daysLeft"], 0);
        // Later checks add nothing.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let all = s
            .get(
                &format!("content/users/admin/items/{item}/events"),
                Some(&admin),
                &[("types", "key.expiring,key.expired")],
            )
            .await;
        assert_eq!(all["total"], 2, "{all}");
    }
);
