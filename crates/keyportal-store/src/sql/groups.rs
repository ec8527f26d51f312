//! Groups, their memberships, and the items shared with them.

use async_trait::async_trait;
use keyportal_domain::group::{Group, GroupAccess, MemberType};
use sqlx::any::AnyRow;

use super::record_index::{index_group, unindex_group};
use super::rows::{
    corrupt, count, flag, flag_value, int, is_foreign_key_violation, is_unique_violation,
    json_list, parse_json_list, require_row, text,
};
use super::SqlStore;
use crate::{GroupPage, GroupSearch, GroupStore, StoreError, StoreResult};

pub(super) const COLUMNS: &str =
    "id, owner, org_id, title, access, tags, description, snippet, phone, \
                       sort_field, sort_order, is_invitation_only, is_view_only, auto_join, \
                       created, modified";

pub(super) fn group_from_row(row: &AnyRow) -> StoreResult<Group> {
    let access = text(row, "access")?;
    Ok(Group {
        id: text(row, "id")?,
        owner: text(row, "owner")?,
        org_id: text(row, "org_id")?,
        title: text(row, "title")?,
        access: GroupAccess::parse(&access)
            .map_err(|_| corrupt("groups.access", &format!("unknown access {access}")))?,
        tags: parse_json_list(row, "tags")?,
        description: text(row, "description")?,
        snippet: text(row, "snippet")?,
        phone: text(row, "phone")?,
        sort_field: text(row, "sort_field")?,
        sort_order: text(row, "sort_order")?,
        is_invitation_only: flag(row, "is_invitation_only")?,
        is_view_only: flag(row, "is_view_only")?,
        auto_join: flag(row, "auto_join")?,
        created: int(row, "created")?,
        modified: int(row, "modified")?,
    })
}

fn member_type(row: &AnyRow) -> StoreResult<MemberType> {
    let raw = text(row, "member_type")?;
    MemberType::parse(&raw)
        .ok_or_else(|| corrupt("memberships.member_type", &format!("unknown type {raw}")))
}

#[async_trait]
impl GroupStore for SqlStore {
    async fn create_group(&self, group: &Group) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO groups (id, owner, org_id, title, access, tags, description, snippet, \
             phone, sort_field, sort_order, is_invitation_only, is_view_only, auto_join, \
             created, modified) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&group.id)
        .bind(&group.owner)
        .bind(&group.org_id)
        .bind(&group.title)
        .bind(group.access.as_str())
        .bind(json_list(&group.tags)?)
        .bind(&group.description)
        .bind(&group.snippet)
        .bind(&group.phone)
        .bind(&group.sort_field)
        .bind(&group.sort_order)
        .bind(flag_value(group.is_invitation_only))
        .bind(flag_value(group.is_view_only))
        .bind(flag_value(group.auto_join))
        .bind(group.created)
        .bind(group.modified)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("a group with id {} already exists", group.id))
            } else if is_foreign_key_violation(&e) {
                StoreError::Conflict(format!("there is no user named {}", group.owner))
            } else {
                e.into()
            }
        })?;
        sqlx::query(
            "INSERT INTO memberships (group_id, username, member_type) VALUES ($1, $2, $3)",
        )
        .bind(&group.id)
        .bind(&group.owner)
        .bind(MemberType::Owner.as_str())
        .execute(&mut *tx)
        .await?;
        index_group(&mut tx, group).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_group(&self, id: &str) -> StoreResult<Option<Group>> {
        let sql = format!("SELECT {COLUMNS} FROM groups WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(group_from_row).transpose()
    }

    /// Replaces every field (matched by id). Memberships are not touched: a change of owner
    /// is recorded with `set_membership` by the caller.
    async fn update_group(&self, group: &Group) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query(
            "UPDATE groups SET owner = $1, org_id = $2, title = $3, access = $4, tags = $5, \
             description = $6, snippet = $7, phone = $8, sort_field = $9, sort_order = $10, \
             is_invitation_only = $11, is_view_only = $12, auto_join = $13, created = $14, \
             modified = $15 WHERE id = $16",
        )
        .bind(&group.owner)
        .bind(&group.org_id)
        .bind(&group.title)
        .bind(group.access.as_str())
        .bind(json_list(&group.tags)?)
        .bind(&group.description)
        .bind(&group.snippet)
        .bind(&group.phone)
        .bind(&group.sort_field)
        .bind(&group.sort_order)
        .bind(flag_value(group.is_invitation_only))
        .bind(flag_value(group.is_view_only))
        .bind(flag_value(group.auto_join))
        .bind(group.created)
        .bind(group.modified)
        .bind(&group.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::Conflict(format!("there is no user named {}", group.owner))
            } else {
                e.into()
            }
        })?;
        require_row(result)?;
        index_group(&mut tx, group).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_group(&self, id: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for sql in [
            "DELETE FROM shares WHERE group_id = $1",
            "DELETE FROM memberships WHERE group_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        unindex_group(&mut tx, id).await?;
        let result = sqlx::query("DELETE FROM groups WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        require_row(result)?;
        tx.commit().await?;
        Ok(())
    }

    /// Oldest first (sorted here so both backends agree on ties).
    async fn list_groups(&self) -> StoreResult<Vec<Group>> {
        let sql = format!("SELECT {COLUMNS} FROM groups");
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        let mut groups = rows
            .iter()
            .map(group_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        groups.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(groups)
    }

    async fn search_groups(&self, search: &GroupSearch<'_>) -> StoreResult<GroupPage> {
        self.search_groups_page(search).await
    }

    async fn count_groups_owned_by(&self, owner: &str) -> StoreResult<usize> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM groups WHERE owner = $1")
            .bind(owner)
            .fetch_one(self.pool())
            .await?;
        count(&row, "n")
    }

    /// Ordered by group id.
    async fn memberships_of(&self, username: &str) -> StoreResult<Vec<(String, MemberType)>> {
        let rows = sqlx::query("SELECT group_id, member_type FROM memberships WHERE username = $1")
            .bind(username)
            .fetch_all(self.pool())
            .await?;
        let mut memberships = rows
            .iter()
            .map(|row| Ok((text(row, "group_id")?, member_type(row)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        memberships.sort();
        Ok(memberships)
    }

    /// The owner first, then by username (byte order, the same on both backends).
    async fn members_of(&self, group_id: &str) -> StoreResult<Vec<(String, MemberType)>> {
        let rows = sqlx::query("SELECT username, member_type FROM memberships WHERE group_id = $1")
            .bind(group_id)
            .fetch_all(self.pool())
            .await?;
        let mut members = rows
            .iter()
            .map(|row| Ok((text(row, "username")?, member_type(row)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        members.sort_by(|a, b| {
            let owner = |m: &(String, MemberType)| m.1 != MemberType::Owner;
            (owner(a), &a.0).cmp(&(owner(b), &b.0))
        });
        Ok(members)
    }

    /// `NotFound` when the group or the user does not exist.
    async fn set_membership(
        &self,
        group_id: &str,
        username: &str,
        member_type: MemberType,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO memberships (group_id, username, member_type) VALUES ($1, $2, $3) \
             ON CONFLICT (group_id, username) DO UPDATE SET member_type = excluded.member_type",
        )
        .bind(group_id)
        .bind(username)
        .bind(member_type.as_str())
        .execute(self.pool())
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::NotFound
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// `NotFound` when the user is not a member.
    async fn remove_membership(&self, group_id: &str, username: &str) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM memberships WHERE group_id = $1 AND username = $2")
            .bind(group_id)
            .bind(username)
            .execute(self.pool())
            .await?;
        require_row(result)
    }

    /// Sorted ids.
    async fn items_shared_with(&self, group_id: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT item_id FROM shares WHERE group_id = $1")
            .bind(group_id)
            .fetch_all(self.pool())
            .await?;
        let mut ids = rows
            .iter()
            .map(|row| text(row, "item_id"))
            .collect::<StoreResult<Vec<_>>>()?;
        ids.sort();
        Ok(ids)
    }
}
