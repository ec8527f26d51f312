//! Proxied items and location services: their settings, with upstream credentials sealed by
//! the service (never logged or put in an error message).

use async_trait::async_trait;
use keyportal_domain::proxy::{ProxySettings, ProxyTarget};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::rows::{
    corrupt, flag, flag_value, int, is_foreign_key_violation, json_list, opt_text, parse_json_list,
    require_row, text,
};
use super::SqlStore;
use crate::{ProxyStore, StoreError, StoreResult, StoredProxy};

const COLUMNS: &str = "kind, name, item_id, enabled, url, privilege, allowed_referrers, \
                       rate_limit_per_key, timeout_seconds, max_body_bytes, header_names, \
                       query_names, sealed_secrets, modified";

/// `excluded` names the row that failed to insert, in SQLite and PostgreSQL alike.
const UPDATE_ON_CONFLICT: &str = "ON CONFLICT (kind, name) DO UPDATE SET \
     item_id = excluded.item_id, enabled = excluded.enabled, url = excluded.url, \
     privilege = excluded.privilege, allowed_referrers = excluded.allowed_referrers, \
     rate_limit_per_key = excluded.rate_limit_per_key, \
     timeout_seconds = excluded.timeout_seconds, max_body_bytes = excluded.max_body_bytes, \
     header_names = excluded.header_names, query_names = excluded.query_names, \
     sealed_secrets = excluded.sealed_secrets, modified = excluded.modified";

fn proxy_from_row(row: &AnyRow) -> StoreResult<StoredProxy> {
    let kind = text(row, "kind")?;
    let name = text(row, "name")?;
    let target = ProxyTarget::from_parts(&kind, &name)
        .ok_or_else(|| corrupt("kind/name", "not a proxy target"))?;
    let rate = row.try_get::<Option<i64>, _>("rate_limit_per_key")?;
    let rate_limit_per_key = rate
        .map(|r| u32::try_from(r).map_err(|_| corrupt("rate_limit_per_key", "out of range")))
        .transpose()?;
    let timeout_seconds = u32::try_from(int(row, "timeout_seconds")?)
        .map_err(|_| corrupt("timeout_seconds", "out of range"))?;
    let max_body_bytes = u64::try_from(int(row, "max_body_bytes")?)
        .map_err(|_| corrupt("max_body_bytes", "negative"))?;
    Ok(StoredProxy {
        settings: ProxySettings {
            target,
            enabled: flag(row, "enabled")?,
            url: text(row, "url")?,
            privilege: opt_text(row, "privilege")?,
            allowed_referrers: parse_json_list(row, "allowed_referrers")?,
            rate_limit_per_key,
            timeout_seconds,
            max_body_bytes,
            header_names: parse_json_list(row, "header_names")?,
            query_names: parse_json_list(row, "query_names")?,
            modified: int(row, "modified")?,
        },
        sealed_secrets: opt_text(row, "sealed_secrets")?,
    })
}

#[async_trait]
impl ProxyStore for SqlStore {
    async fn put_proxy(&self, proxy: &StoredProxy) -> StoreResult<()> {
        let s = &proxy.settings;
        let item_id = match &s.target {
            ProxyTarget::Item(id) => Some(id.clone()),
            ProxyTarget::Service(_) => None,
        };
        let max_body_bytes = i64::try_from(s.max_body_bytes)
            .map_err(|_| StoreError::Conflict("maxBodyBytes does not fit 63 bits".into()))?;
        let sql = format!(
            "INSERT INTO proxies ({COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) {UPDATE_ON_CONFLICT}"
        );
        sqlx::query(&sql)
            .bind(s.target.kind())
            .bind(s.target.name())
            .bind(item_id)
            .bind(flag_value(s.enabled))
            .bind(&s.url)
            .bind(s.privilege.clone())
            .bind(json_list(&s.allowed_referrers)?)
            .bind(s.rate_limit_per_key.map(i64::from))
            .bind(i64::from(s.timeout_seconds))
            .bind(max_body_bytes)
            .bind(json_list(&s.header_names)?)
            .bind(json_list(&s.query_names)?)
            .bind(proxy.sealed_secrets.clone())
            .bind(s.modified)
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

    async fn get_proxy(&self, target: &ProxyTarget) -> StoreResult<Option<StoredProxy>> {
        let sql = format!("SELECT {COLUMNS} FROM proxies WHERE kind = $1 AND name = $2");
        let row = sqlx::query(&sql)
            .bind(target.kind())
            .bind(target.name())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(proxy_from_row).transpose()
    }

    async fn list_proxies(&self) -> StoreResult<Vec<StoredProxy>> {
        let sql = format!("SELECT {COLUMNS} FROM proxies");
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        let mut proxies = rows
            .iter()
            .map(proxy_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        // Sorted here, not in SQL: PostgreSQL collations would order names differently.
        proxies.sort_by(|a, b| a.settings.target.cmp(&b.settings.target));
        Ok(proxies)
    }

    async fn delete_proxy(&self, target: &ProxyTarget) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM proxies WHERE kind = $1 AND name = $2")
            .bind(target.kind())
            .bind(target.name())
            .execute(self.pool())
            .await?;
        require_row(result)
    }
}
