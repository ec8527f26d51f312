//! The audit trail over the service: who the actor of a caller is, recording events that
//! change nothing else (sign-ins, quotas), and reading a credential's or the organization's
//! events. Events that record a change are built by the operation that makes it and written
//! by the store in that change's transaction (`*_recorded` methods).

use keyportal_domain::authz::Operation;
use keyportal_domain::credential::APPLICATION_TYPE;
use keyportal_domain::events::{Actor, ActorKind, Event, EventFilter, EventType};
use keyportal_domain::ids::parse_item_id;
use keyportal_domain::item::Item;
use keyportal_domain::time::DAY_MS;

use crate::caller::{Caller, RequestFacts};
use crate::error::ServiceResult;
use crate::key_table::GrantKind;
use crate::search::{page_of, Page};
use crate::Portal;

/// The most events one page holds.
pub const MAX_EVENT_PAGE: usize = 100;

impl Caller {
    /// Who this caller is in an event: a member (`user`), a key acting for its owner
    /// (`key`; legacy keys too), an app token (`app`), the operator (`system`), or nobody
    /// signed in (`public`); with the client address of the request.
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Anonymous => Actor {
                name: None,
                kind: ActorKind::Public,
                address: None,
            },
            Caller::Member(m) => Actor {
                name: Some(m.user.username.clone()),
                kind: ActorKind::User,
                address: m.address.map(|a| a.to_string()),
            },
            Caller::Key(key) => Actor {
                name: Some(key.grant.owner().to_string()),
                kind: match key.grant.kind {
                    GrantKind::AppToken => ActorKind::App,
                    _ => ActorKind::Key,
                },
                address: key.address.map(|a| a.to_string()),
            },
            Caller::System { .. } => Actor::system(),
        }
    }
}

/// Paging of an event listing: 1-based `start`, `num` at most [`MAX_EVENT_PAGE`].
#[derive(Debug, Clone, Copy)]
pub struct EventPaging {
    pub start: usize,
    pub num: usize,
}

impl Portal {
    /// Appends events that record no other change (sign-ins, quotas, expiry notices).
    /// Returns the ids written (an event whose `once` key was taken is not).
    pub(crate) async fn record(&self, events: &[Event]) -> ServiceResult<Vec<String>> {
        Ok(self.store.append_events(events).await?)
    }

    /// `signin.failed`: by nobody signed in, from the request's address. The username tried
    /// is named only when it is a member's (a password typed into the username field must
    /// not land in the audit trail).
    pub(crate) async fn record_signin_failure(
        &self,
        username: &str,
        facts: &RequestFacts,
        reason: &str,
    ) -> ServiceResult<()> {
        let actor = Actor {
            name: None,
            kind: ActorKind::Public,
            address: facts.address().map(|a| a.to_string()),
        };
        let mut failed =
            Event::new(EventType::SigninFailed, &actor, self.now()).detail("reason", reason);
        if self.store.get_user(username).await?.is_some() {
            failed = failed.member(username);
        }
        self.record(std::slice::from_ref(&failed)).await?;
        Ok(())
    }

    /// `credential.updated` when an item update changes a credential's title, description
    /// or snippet (other items record nothing).
    pub(crate) async fn credential_item_events(
        &self,
        caller: &Caller,
        before: &Item,
        after: &Item,
    ) -> ServiceResult<Vec<Event>> {
        let fields = [
            ("title", &before.title, &after.title),
            ("description", &before.description, &after.description),
            ("snippet", &before.snippet, &after.snippet),
        ];
        let changed: Vec<(&str, &String)> = fields
            .iter()
            .filter(|(_, b, a)| b != a)
            .map(|(name, _, a)| (*name, *a))
            .collect();
        if changed.is_empty() || after.item_type != APPLICATION_TYPE {
            return Ok(Vec::new());
        }
        let Some(stored) = self.store.get_app_by_item(&after.id).await? else {
            return Ok(Vec::new());
        };
        let mut event = self
            .event(EventType::CredentialUpdated, caller)
            .credential(&after.id, Some(&stored.app.client_id))
            .member(&stored.app.owner)
            .detail(
                "changed",
                changed.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
            );
        for (name, value) in changed {
            event = event.detail(name, value.clone());
        }
        Ok(vec![event])
    }

    /// An event of `kind` by the caller, now.
    pub(crate) fn event(&self, kind: EventType, caller: &Caller) -> Event {
        Event::new(kind, &caller.actor(), self.now())
    }

    /// `content/users/{u}/items/{id}/events`: a credential's events, for whoever manages it.
    pub async fn credential_events(
        &self,
        caller: &Caller,
        item_id: &str,
        mut filter: EventFilter,
        paging: EventPaging,
    ) -> ServiceResult<Page<Event>> {
        let id = parse_item_id(item_id)?;
        let shared = self
            .item_for(caller, &id, |item| Operation::ViewCredentialEvents { item })
            .await?;
        filter.item_id = Some(shared.item.id);
        self.events_page(&filter, paging).await
    }

    /// `portals/self/events`: the organization's events, for administrators.
    pub async fn org_events(
        &self,
        caller: &Caller,
        filter: EventFilter,
        paging: EventPaging,
    ) -> ServiceResult<Page<Event>> {
        caller.authorize(&Operation::ViewOrgEvents)?;
        self.events_page(&filter, paging).await
    }

    async fn events_page(
        &self,
        filter: &EventFilter,
        paging: EventPaging,
    ) -> ServiceResult<Page<Event>> {
        let start = paging.start.max(1);
        let num = paging.num.min(MAX_EVENT_PAGE);
        let page = self.store.list_events(filter, start - 1, num).await?;
        Ok(page_of("", page.events, page.total, start, num))
    }

    /// Deletes events older than `retention_days` (the background task; `None` keeps every
    /// event). Returns how many.
    pub async fn prune_events(&self, retention_days: Option<u32>) -> ServiceResult<u64> {
        let Some(days) = retention_days else {
            return Ok(0);
        };
        let before = self.now() - i64::from(days) * DAY_MS;
        Ok(self.store.prune_events(before).await?)
    }
}
