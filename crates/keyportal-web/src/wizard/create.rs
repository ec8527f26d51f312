//! The wizard's last action: creating the credentials (item, registration, key 1's date and
//! key), undone when a step fails, and the ledger that keeps a repeated "Create" from making a
//! second credential.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::APPLICATION_TYPE;
use keyportal_domain::item::ItemChanges;
use keyportal_service::{RegisterApp, SlotDates};

use super::check::Context;
use super::draft::{expiration_ms, Draft, Step};
use crate::html::{url_encode, Html};
use crate::keys::key_result_body;
use crate::layout::notice;
use crate::pickers::split_referrers;
use crate::request::{message, page, redirect, Session};
use crate::Web;

/// What a draft's "Create" found.
pub(crate) enum Claim {
    /// This request creates the credentials.
    First,
    /// Another request of the same draft is creating them now.
    Busy,
    /// They were created: the item id.
    Done(String),
}

/// The drafts created recently on this node (an hour), so a repeated "Create" does not make a
/// second credential. Only this node's memory: the repeat comes from the same browser session.
#[derive(Default)]
pub(crate) struct DraftLedger {
    /// `draft id → (item id once created, when claimed)`.
    entries: std::sync::Mutex<HashMap<String, (Option<String>, i64)>>,
}

const DRAFT_MEMORY_MS: i64 = 3_600_000;

impl DraftLedger {
    pub(crate) fn claim(&self, draft_id: &str, now: i64) -> Claim {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, (_, at)| now - *at < DRAFT_MEMORY_MS);
        if draft_id.is_empty() {
            return Claim::First;
        }
        match entries.get(draft_id) {
            Some((Some(item), _)) => Claim::Done(item.clone()),
            Some((None, _)) => Claim::Busy,
            None => {
                entries.insert(draft_id.to_string(), (None, now));
                Claim::First
            }
        }
    }

    pub(crate) fn finish(&self, draft_id: &str, item_id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = entries.get_mut(draft_id) {
            entry.0 = Some(item_id.to_string());
        }
    }

    pub(crate) fn release(&self, draft_id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(draft_id);
    }
}

/// Creates the credentials. A failure after the item exists deletes it again, so a retry
/// starts clean; it answers the step to show with the reason.
pub(super) async fn create(
    web: &Web,
    session: &Session,
    draft: &Draft,
    ctx: &Context<'_>,
) -> Result<(String, Response), (Step, String)> {
    let portal = &web.portal;
    let caller = &session.caller;
    let expires = expiration_ms(&draft.expiration, ctx.now).map_err(|m| (Step::Expiration, m))?;
    let folder = match draft.folder.as_str() {
        "" => None,
        "new" => Some(
            portal
                .create_folder(caller, &session.username, &draft.new_folder)
                .await
                .map_err(|e| (Step::Details, message(&e)))?
                .id,
        ),
        id => Some(id.to_string()),
    };
    let changes = ItemChanges {
        title: Some(draft.title.trim().to_string()),
        item_type: Some(APPLICATION_TYPE.to_string()),
        tags: Some(draft.tag_list()),
        description: Some(draft.description.clone()),
        ..ItemChanges::default()
    };
    let item = portal
        .add_item(caller, &session.username, folder.as_deref(), changes, None)
        .await
        .map_err(|e| (Step::Summary, message(&e)))?;
    let id = item.item.id.clone();
    let undo = |text: String| async move {
        if let Err(e) = portal.delete_item(caller, &id).await {
            tracing::warn!(error = %e, "could not remove a half-created credential");
        }
        (Step::Summary, text)
    };
    let registration = RegisterApp {
        item_id: item.item.id.clone(),
        app_type: "multiple".into(),
        redirect_uris: Vec::new(),
        http_referrers: split_referrers(&draft.referrers),
        privileges: draft.all_privileges(),
        is_personal: None,
        allowed_addresses: split_referrers(&draft.addresses),
    };
    let app = match portal.register_app(caller, registration).await {
        Ok(app) => app,
        Err(e) => return Err(undo(message(&e)).await),
    };
    let dates = SlotDates {
        slot1: Some(expires),
        slot2: None,
    };
    if let Err(e) = portal
        .update_item(caller, &item.item.id, ItemChanges::default(), dates)
        .await
    {
        return Err(undo(message(&e)).await);
    }
    let item_url = format!("/home/item/{}", url_encode(&item.item.id));
    if draft.generate == "later" {
        return Ok((
            item.item.id.clone(),
            redirect(&format!(
            "{item_url}?notice={}",
            url_encode(
                "API key credentials created. Generate an API key in Settings when you are ready."
            )
        )),
        ));
    }
    let secret = app.client_secret.expose().to_string();
    match portal
        .mint_api_key(
            &caller.actor(),
            &app.app.client_id,
            &secret,
            KeySlot::One,
            None,
        )
        .await
    {
        Ok(minted) => {
            let mut h = Html::new();
            notice(
                &mut h,
                Some(&format!(
                    "API key credentials \u{201c}{}\u{201d} created.",
                    item.item.title
                )),
                "ok",
            );
            h.append(key_result_body(
                &item,
                KeySlot::One,
                minted.key.expose(),
                expires,
            ));
            Ok((
                item.item.id.clone(),
                page(StatusCode::OK, session.layout("Your new API key").render(h)),
            ))
        }
        // The credentials exist; the key can be generated from the item page.
        Err(e) => Ok((
            item.item.id.clone(),
            redirect(&format!(
                "{item_url}?notice={}",
                url_encode(&format!(
                    "API key credentials created, but the key was not generated: {}",
                    message(&e)
                ))
            )),
        )),
    }
}

#[cfg(test)]
mod ledger_tests {
    use super::*;

    #[test]
    fn a_draft_is_created_once() {
        let ledger = DraftLedger::default();
        assert!(matches!(ledger.claim("d1", 0), Claim::First));
        assert!(matches!(ledger.claim("d1", 1), Claim::Busy));
        ledger.finish("d1", "item1");
        assert!(matches!(ledger.claim("d1", 2), Claim::Done(ref i) if i == "item1"));
        // A failed attempt gives the draft back.
        assert!(matches!(ledger.claim("d2", 3), Claim::First));
        ledger.release("d2");
        assert!(matches!(ledger.claim("d2", 4), Claim::First));
        // Forgotten after an hour.
        assert!(matches!(
            ledger.claim("d1", 2 + DRAFT_MEMORY_MS),
            Claim::First
        ));
    }
}
