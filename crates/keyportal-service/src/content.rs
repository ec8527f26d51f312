//! A member's content: folders and the items in them.

use keyportal_domain::authz::{allows, Operation};
use keyportal_domain::ids::{new_hex_id, parse_hex_id, shorten};
use keyportal_domain::item::{validate_folder_title, Folder};
use keyportal_domain::DomainError;

use keyportal_domain::visibility::VisibleItems;
use keyportal_store::FolderListing;

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::items::ItemView;
use crate::Portal;

/// One page of `content/users/{u}[/{folder}]`.
#[derive(Debug, Clone)]
pub struct ContentPage {
    pub username: String,
    pub total: usize,
    /// 1-based.
    pub start: usize,
    pub num: usize,
    /// `-1` when there is no further page.
    pub next_start: i64,
    pub current_folder: Option<Folder>,
    pub items: Vec<ItemView>,
    /// The owner's folders (listed in the root view only).
    pub folders: Vec<Folder>,
}

impl ContentPage {
    fn empty(owner: &str, start: usize, num: usize) -> ContentPage {
        ContentPage {
            username: owner.to_string(),
            total: 0,
            start: start.max(1),
            num: num.clamp(1, 100),
            next_start: -1,
            current_folder: None,
            items: Vec::new(),
            folders: Vec::new(),
        }
    }
}

impl Portal {
    /// Items of `owner` in a folder that the caller may see, one page at a time.
    pub async fn list_content(
        &self,
        caller: &Caller,
        owner: &str,
        folder: Option<&str>,
        start: usize,
        num: usize,
    ) -> ServiceResult<ContentPage> {
        caller.authorize(&Operation::ListContent { owner })?;
        let Some(user) = self.store.get_user(owner).await? else {
            // A key whose privileges do not cover members gets the same answer for a missing
            // member as for one whose content it may not see.
            if !caller.allows(&Operation::LearnMemberExists { username: owner }) {
                return Ok(ContentPage::empty(owner, start, num));
            }
            return Err(ServiceError::not_found(format!(
                "User '{}' does not exist or is inaccessible.",
                shorten(owner)
            )));
        };
        let viewer = caller.viewer();
        let sees_all = allows(
            &viewer,
            &Operation::ViewAllContent {
                owner,
                org_id: &user.org_id,
            },
        );
        let folder_id = self.owned_folder(owner, folder).await?;
        let current_folder = match &folder_id {
            Some(id) => self.store.get_folder(owner, id).await?,
            None => None,
        };
        let folders = if sees_all && folder_id.is_none() {
            self.store.list_folders(owner).await?
        } else {
            Vec::new()
        };
        let (start, num) = (start.max(1), num.clamp(1, 100));
        let visible = VisibleItems::of(&viewer);
        let found = self
            .store
            .list_items_in_folder(&FolderListing {
                owner,
                folder_id: folder_id.as_deref(),
                visible: (!sees_all).then_some(&visible),
                offset: start - 1,
                limit: num,
            })
            .await?;
        let total = found.total;
        let page: Vec<ItemView> = found
            .items
            .into_iter()
            .map(|s| self.view_item(caller, s))
            .collect();
        let next = start + page.len();
        Ok(ContentPage {
            username: user.username,
            total,
            start,
            num,
            next_start: if next <= total { next as i64 } else { -1 },
            current_folder,
            items: page,
            folders,
        })
    }

    /// `createFolder` in the caller's own content.
    pub async fn create_folder(
        &self,
        caller: &Caller,
        owner: &str,
        title: &str,
    ) -> ServiceResult<Folder> {
        caller.authorize(&Operation::ManageFolders { owner })?;
        validate_folder_title(title)?;
        let folder = Folder {
            id: new_hex_id(),
            owner: owner.to_string(),
            title: title.trim().to_string(),
            created: self.now(),
        };
        match self.store.create_folder(&folder).await {
            Ok(()) => Ok(folder),
            Err(keyportal_store::StoreError::Conflict(_)) => Err(DomainError::Conflict(format!(
                "A folder named '{}' already exists.",
                folder.title
            ))
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes an empty folder of the caller's.
    pub async fn delete_folder(
        &self,
        caller: &Caller,
        owner: &str,
        folder: &str,
    ) -> ServiceResult<String> {
        caller.authorize(&Operation::ManageFolders { owner })?;
        let id = parse_hex_id(folder, "folder")?;
        if self.store.get_folder(owner, &id).await?.is_none() {
            return Err(ServiceError::not_found(
                "Folder does not exist or is inaccessible.",
            ));
        }
        match self.store.delete_folder(owner, &id).await {
            Ok(()) => Ok(id),
            Err(keyportal_store::StoreError::Conflict(_)) => Err(DomainError::Conflict(
                "The folder is not empty; move or delete its items first.".into(),
            )
            .into()),
            Err(e) => Err(e.into()),
        }
    }
}
