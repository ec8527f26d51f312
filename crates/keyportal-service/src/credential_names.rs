//! Names for the usage keys a usage report shows: client ids of API key credentials and item
//! ids of legacy keys. Looked up for the keys of the report only, a few queries per 500 keys,
//! so a page of an organization with a million imported keys reads what it shows.

use std::collections::{HashMap, HashSet};

use keyportal_domain::authz::Operation;

use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::Portal;

/// What a usage key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialName {
    /// The usage key: a credential's client id or a legacy key's item id.
    pub key: String,
    pub title: String,
    pub owner: String,
    pub item_id: String,
}

/// A legacy key's name when its item is gone.
const LEGACY_TITLE: &str = "Legacy API key";

impl Portal {
    /// Names of those of `keys` that are credentials or legacy keys the caller may list (their
    /// own; all for administrators). Keys of deleted credentials, and of others' credentials
    /// for members, have no name; the answer is in no particular order.
    pub async fn credential_names(
        &self,
        caller: &Caller,
        keys: &[String],
    ) -> ServiceResult<Vec<CredentialName>> {
        caller.authorize(&Operation::ListCredentials)?;
        let all_apps = caller.allows(&Operation::ListAllCredentials);
        let all_legacy = caller.allows(&Operation::ListAllLegacyKeys);
        let own = |owner: &str| caller.username() == Some(owner);

        let mut named: Vec<CredentialName> = Vec::new();
        let apps = self.store.apps_by_client_ids(keys).await?;
        let app_keys: HashSet<&str> = apps.iter().map(|app| app.client_id.as_str()).collect();
        let rest: Vec<String> = keys
            .iter()
            .filter(|key| !app_keys.contains(key.as_str()))
            .cloned()
            .collect();
        for app in apps.iter().filter(|app| all_apps || own(&app.owner)) {
            named.push(CredentialName {
                key: app.client_id.clone(),
                title: String::new(),
                owner: app.owner.clone(),
                item_id: app.item_id.clone(),
            });
        }
        for key in self.store.legacy_keys_by_ids(&rest).await? {
            if all_legacy || own(&key.owner) {
                named.push(CredentialName {
                    key: key.item_id.clone(),
                    title: LEGACY_TITLE.to_string(),
                    owner: key.owner,
                    item_id: key.item_id,
                });
            }
        }

        let item_ids: Vec<String> = named.iter().map(|n| n.item_id.clone()).collect();
        let titles: HashMap<String, String> = self
            .store
            .item_titles(&item_ids)
            .await?
            .into_iter()
            .collect();
        for name in &mut named {
            if let Some(title) = titles.get(&name.item_id) {
                name.title = title.clone();
            }
        }
        Ok(named)
    }
}
