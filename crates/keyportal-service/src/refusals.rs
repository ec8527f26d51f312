//! Recent refusals of a credential's keys (issue 14), for the owner and administrators: this
//! node's ring merged with what every node wrote to the shared table; and the batched write
//! of this node's new entries, which the background task calls every second.

use keyportal_domain::time::DAY_MS;
use keyportal_store::StoredRefusal;

use crate::caller::Caller;
use crate::credentials::not_registered;
use crate::error::ServiceResult;
use crate::key_table::{Refusal, REFUSALS_PER_CREDENTIAL};
use crate::Portal;

/// How long refusals stay in the shared table.
pub const REFUSAL_RETENTION_MS: i64 = 30 * DAY_MS;

fn stored(item_id: &str, node: &str, entry: &Refusal) -> StoredRefusal {
    StoredRefusal {
        item_id: item_id.to_string(),
        at: entry.at,
        node: node.to_string(),
        seq: i64::try_from(entry.seq).unwrap_or(i64::MAX),
        slot: entry.slot,
        reason: entry.reason.to_string(),
        referer: entry.referer.clone(),
        address: entry.address.map(|a| a.to_string()).unwrap_or_default(),
        service: entry.service.clone(),
    }
}

impl Portal {
    /// The credential's last refused requests on every node, newest first (at most 100).
    pub async fn key_refusals(
        &self,
        caller: &Caller,
        item_id: &str,
    ) -> ServiceResult<Vec<StoredRefusal>> {
        let shared = self.visible_item(caller, item_id).await?;
        let stored_app = self
            .store
            .get_app_by_item(&shared.item.id)
            .await?
            .ok_or_else(not_registered)?;
        let (stored_app, _) = self.manageable_app(caller, stored_app).await?;
        let item = &stored_app.app.item_id;
        let log = self.key_table.refusals();
        let mut all = self
            .store
            .recent_refusals(item, REFUSALS_PER_CREDENTIAL)
            .await?;
        all.extend(
            log.recent(item)
                .iter()
                .map(|entry| stored(item, log.node(), entry)),
        );
        all.sort_by(|a, b| (b.at, &b.node, b.seq).cmp(&(a.at, &a.node, a.seq)));
        all.dedup_by(|a, b| a.node == b.node && a.seq == b.seq && a.at == b.at);
        all.truncate(REFUSALS_PER_CREDENTIAL);
        Ok(all)
    }

    /// Writes this node's refusals gathered since the last call in one batch; on failure they
    /// are written with the next one.
    pub async fn flush_refusals(&self) -> ServiceResult<usize> {
        let log = self.key_table.refusals();
        let batch = log.take_unflushed();
        if batch.is_empty() {
            return Ok(0);
        }
        let rows: Vec<StoredRefusal> = batch
            .iter()
            .map(|(item, entry)| stored(item, log.node(), entry))
            .collect();
        if let Err(error) = self
            .store
            .add_refusals(&rows, REFUSALS_PER_CREDENTIAL)
            .await
        {
            log.unflush(&batch);
            return Err(error.into());
        }
        Ok(rows.len())
    }

    /// Deletes refusals older than the retention from the shared table.
    pub async fn prune_refusals(&self) -> ServiceResult<u64> {
        Ok(self
            .store
            .prune_refusals(self.now() - REFUSAL_RETENTION_MS)
            .await?)
    }
}
