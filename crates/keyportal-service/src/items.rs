//! Items: add, read, update, delete, status.

use keyportal_domain::authz::{authorize, Denial, Operation};
use keyportal_domain::ids::{new_hex_id, parse_hex_id, parse_item_id};
use keyportal_domain::item::{Item, ItemAccess, ItemChanges};
use keyportal_domain::DomainError;
use keyportal_store::SharedItem;

use crate::caller::Caller;
use crate::credentials::SlotDates;
use crate::error::{ServiceError, ServiceResult};
use crate::Portal;

/// An item as a caller sees it.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub item: Item,
    pub group_ids: Vec<String>,
    /// `admin` when the caller administers it without owning it, `update` for the owner.
    pub item_control: Option<&'static str>,
    /// `apiToken1ExpirationDate` and `apiToken2ExpirationDate` of a registered app.
    pub slot_dates: Option<[i64; 2]>,
}

impl ItemView {
    pub fn wire_access(&self) -> &'static str {
        self.item.access.wire(!self.group_ids.is_empty())
    }
}

/// Items are created synchronously, so their status is always `completed`.
#[derive(Debug, Clone)]
pub struct ItemStatus {
    pub item_id: String,
}

fn item_not_found() -> ServiceError {
    DomainError::ItemNotFound.into()
}

impl Portal {
    pub(crate) fn view_item(&self, caller: &Caller, shared: SharedItem) -> ItemView {
        let updatable = caller.allows(&Operation::UpdateItem { item: &shared.item });
        let own = caller.username() == Some(shared.item.owner.as_str());
        let item_control = if own && (updatable || caller.member().is_some()) {
            Some("update")
        } else if updatable {
            Some("admin")
        } else {
            None
        };
        ItemView {
            item: shared.item,
            group_ids: shared.group_ids,
            item_control,
            slot_dates: None,
        }
    }

    /// Adds the slot dates of registered apps (clients read them as item fields).
    pub(crate) async fn with_slot_dates(&self, mut view: ItemView) -> ServiceResult<ItemView> {
        let registered = view.item.item_type == keyportal_domain::credential::APPLICATION_TYPE
            && view
                .item
                .type_keywords
                .iter()
                .any(|k| k == keyportal_domain::credential::REGISTERED_APP_KEYWORD);
        if registered {
            if let Some(stored) = self.store.get_app_by_item(&view.item.id).await? {
                view.slot_dates = Some([
                    stored.app.slots[0].expiration,
                    stored.app.slots[1].expiration,
                ]);
            }
        }
        Ok(view)
    }

    /// The item if the caller may see it; unknown and invisible items look the same.
    pub(crate) async fn visible_item(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<SharedItem> {
        let id = parse_item_id(id)?;
        let shared = self.store.get_item(&id).await?.ok_or_else(item_not_found)?;
        caller.authorize(&Operation::ViewItem {
            item: &shared.item,
            groups: &shared.group_ids,
        })?;
        Ok(shared)
    }

    /// The item for an operation on it, decided in the order clients expect: sign-in first,
    /// then an item the caller cannot see answered as missing, then the operation itself.
    pub(crate) async fn item_for(
        &self,
        caller: &Caller,
        id: &str,
        operation: impl for<'a> Fn(&'a Item) -> Operation<'a>,
    ) -> ServiceResult<SharedItem> {
        let id = parse_item_id(id)?;
        let shared = self.store.get_item(&id).await?.ok_or_else(item_not_found)?;
        let viewer = caller.viewer();
        let decision = authorize(&viewer, &operation(&shared.item));
        if decision == Err(Denial::SignInRequired) {
            return Err(ServiceError::TokenRequired);
        }
        authorize(
            &viewer,
            &Operation::ViewItem {
                item: &shared.item,
                groups: &shared.group_ids,
            },
        )?;
        decision?;
        Ok(shared)
    }

    /// Validates a folder id from the URL and checks it belongs to `owner`.
    pub(crate) async fn owned_folder(
        &self,
        owner: &str,
        folder: Option<&str>,
    ) -> ServiceResult<Option<String>> {
        match folder.filter(|f| !f.is_empty() && *f != "/") {
            None => Ok(None),
            Some(folder) => {
                let id = parse_hex_id(folder, "folder")?;
                match self.store.get_folder(owner, &id).await? {
                    Some(f) => Ok(Some(f.id)),
                    None => Err(ServiceError::not_found(
                        "Folder does not exist or is inaccessible.",
                    )),
                }
            }
        }
    }

    /// `addItem`: a new item in the caller's root folder or one of their folders.
    pub async fn add_item(
        &self,
        caller: &Caller,
        owner: &str,
        folder: Option<&str>,
        changes: ItemChanges,
        access: Option<ItemAccess>,
    ) -> ServiceResult<ItemView> {
        caller.authorize(&Operation::AddItem { owner })?;
        changes.validate(true)?;
        let folder_id = self.owned_folder(owner, folder).await?;
        let user =
            self.store.get_user(owner).await?.ok_or_else(|| {
                ServiceError::not_found("User does not exist or is inaccessible.")
            })?;
        let now = self.now();
        let mut item = Item {
            id: new_hex_id(),
            owner: owner.to_string(),
            org_id: user.org_id,
            folder_id,
            title: String::new(),
            item_type: String::new(),
            type_keywords: Vec::new(),
            tags: Vec::new(),
            description: String::new(),
            snippet: String::new(),
            url: String::new(),
            access: ItemAccess::Private,
            properties: None,
            extra: Default::default(),
            created: now,
            modified: now,
        };
        changes.apply_to(&mut item, now);
        if let Some(access) = access.filter(|a| *a != ItemAccess::Private) {
            caller.authorize(&Operation::ShareItemAccess {
                item: &item,
                target: access,
            })?;
            item.access = access;
        }
        self.store.insert_item(&item).await?;
        Ok(self.view_item(
            caller,
            SharedItem {
                item,
                group_ids: Vec::new(),
            },
        ))
    }

    /// `content/items/{id}`.
    pub async fn get_item(&self, caller: &Caller, id: &str) -> ServiceResult<ItemView> {
        let shared = self.visible_item(caller, id).await?;
        self.with_slot_dates(self.view_item(caller, shared)).await
    }

    /// `…/items/{id}/update`: only the fields sent change.
    pub async fn update_item(
        &self,
        caller: &Caller,
        id: &str,
        changes: ItemChanges,
        slot_dates: SlotDates,
    ) -> ServiceResult<ItemView> {
        let mut shared = self
            .item_for(caller, id, |item| Operation::UpdateItem { item })
            .await?;
        changes.validate(false)?;
        let before = shared.item.clone();
        changes.apply_to(&mut shared.item, self.now());
        // Slot dates are checked before anything is written, so a refused date changes nothing.
        self.apply_slot_dates(caller, &mut shared.item, slot_dates)
            .await?;
        let events = self
            .credential_item_events(caller, &before, &shared.item)
            .await?;
        self.store
            .update_item_recorded(&shared.item, &events)
            .await?;
        self.item_changed(&shared.item.id).await?;
        Ok(self.view_item(caller, shared))
    }

    /// `…/items/{id}/delete`.
    pub async fn delete_item(&self, caller: &Caller, id: &str) -> ServiceResult<String> {
        let shared = self
            .item_for(caller, id, |item| Operation::DeleteItem { item })
            .await?;
        // Deleting credentials kills their keys first (design §2.6).
        self.destroy_app(&shared.item.id, &caller.actor()).await?;
        self.destroy_legacy_key(&shared.item.id).await?;
        self.store.delete_item(&shared.item.id).await?;
        self.item_changed(&shared.item.id).await?;
        Ok(shared.item.id)
    }

    /// `…/items/{id}/status`: the caller must be able to change the item.
    pub async fn item_status(&self, caller: &Caller, id: &str) -> ServiceResult<ItemStatus> {
        let shared = self
            .item_for(caller, id, |item| Operation::ViewItem { item, groups: &[] })
            .await?;
        Ok(ItemStatus {
            item_id: shared.item.id,
        })
    }

    /// Checks that the owner named in an item URL is the item's owner, as ArcGIS does.
    pub fn check_url_owner(&self, view_owner: &str, url_owner: &str) -> ServiceResult<()> {
        if view_owner == url_owner {
            Ok(())
        } else {
            Err(item_not_found())
        }
    }
}
