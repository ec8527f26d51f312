//! Portals, callers and credentials shared by the key-control tests.

use std::sync::Arc;

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::item::ItemChanges;
use keyportal_service::{
    Caller, KeyRequest, ManualClock, Portal, RegisterApp, RequestFacts, TokenClient,
};

use crate::support::portal_on;

pub(crate) const START: i64 = 1_750_000_000_000;
pub(crate) const REFERER: &str = "https://app.example.com";

pub(crate) fn facts() -> RequestFacts {
    RequestFacts {
        referer: Some(REFERER.into()),
        client_ip: Some("127.0.0.1".into()),
    }
}

pub(crate) async fn admin(portal: &Portal) -> Caller {
    let issued = portal
        .generate_token(
            "admin",
            "admin-pass-1",
            TokenClient::Referer(REFERER.into()),
            Some(60 * 24 * 14),
            &facts(),
        )
        .await
        .expect("token");
    portal
        .authenticate(Some(issued.token.expose()), &facts())
        .await
        .expect("admin")
}

pub(crate) struct Credential {
    pub(crate) item_id: String,
    pub(crate) client_id: String,
    pub(crate) secret: String,
}

pub(crate) async fn credential(
    portal: &Portal,
    caller: &Caller,
    privileges: Vec<String>,
) -> Credential {
    let item = portal
        .add_item(
            caller,
            "admin",
            None,
            ItemChanges {
                title: Some("Keys".into()),
                item_type: Some("Application".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("item");
    let view = portal
        .register_app(
            caller,
            RegisterApp {
                item_id: item.item.id.clone(),
                app_type: "multiple".into(),
                privileges,
                ..Default::default()
            },
        )
        .await
        .expect("registered");
    Credential {
        item_id: item.item.id,
        client_id: view.app.client_id.clone(),
        secret: view.client_secret.expose().to_string(),
    }
}

pub(crate) async fn mint(portal: &Portal, c: &Credential, slot: KeySlot) -> String {
    portal
        .mint_api_key(
            &keyportal_domain::events::Actor::system(),
            &c.client_id,
            &c.secret,
            slot,
            Some(true),
        )
        .await
        .expect("minted")
        .key
        .expose()
        .to_string()
}

pub(crate) fn from(address: &str) -> KeyRequest<'_> {
    KeyRequest {
        address: Some(address.parse().expect("address")),
        ..KeyRequest::default()
    }
}

pub(crate) async fn started(dir: &std::path::Path, clock: Arc<ManualClock>) -> Portal {
    let portal = portal_on(dir, clock).await;
    portal
        .bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    portal.load_key_table().await.expect("load");
    portal
}
