//! `keyportal credential …`: the credential operations of the REST API, run as the system
//! operator through the same `Portal` methods. Every change publishes its change notice, so a
//! running server (and every other node) applies it within its sync interval.

mod args;
mod create;
mod keys;
mod limits;
mod roll;
mod show;
mod update;

pub use args::{CredentialArgs, CredentialCommand};

use keyportal_domain::credential::AppRegistration;
use keyportal_domain::ids::is_hex_id;
use keyportal_domain::secret::SecretString;
use keyportal_http::views::app::app_json;
use keyportal_service::{AppView, Caller, CredentialSummary, Portal};
use serde_json::{json, Value};

use super::outcome::{CommandResult, Failure};
use super::user::open_portal;

/// A credential as `oauth2/apps/{client_id}` answers it, with its title and owner, and
/// without the client secret (the CLI mints keys itself; the secret stays sealed).
pub(crate) fn credential_json(title: &str, app: &AppRegistration, now: i64) -> Value {
    let view = AppView {
        app: app.clone(),
        client_secret: SecretString::new(String::new()),
        now,
    };
    let mut value = app_json(&view);
    if let Some(fields) = value.as_object_mut() {
        fields.remove("client_secret");
        fields.insert("title".into(), json!(title));
        fields.insert("owner".into(), json!(app.owner));
    }
    value
}

/// A credential by item id (32 hex digits) or client id, read directly (no scan of every
/// credential), with its title and the view that holds its sealed secret opened.
pub(crate) async fn resolve(
    portal: &Portal,
    caller: &Caller,
    id: &str,
) -> Result<(CredentialSummary, AppView), Failure> {
    let id = id.trim();
    let view = if is_hex_id(id) {
        portal.app_info(caller, id).await?
    } else {
        portal.app_by_id(caller, id).await?
    };
    let title = portal.get_item(caller, &view.app.item_id).await?.item.title;
    let summary = CredentialSummary {
        title,
        app: view.app.clone(),
    };
    Ok((summary, view))
}

pub async fn run(args: CredentialArgs) -> CommandResult {
    let (portal, caller) = open_portal(args.storage).await?;
    let out = args.output;
    let (portal, caller) = (&portal, &caller);
    match args.command {
        CredentialCommand::List => show::list(portal, caller, out).await,
        CredentialCommand::Show { id } => show::show(portal, caller, &id, out).await,
        CredentialCommand::Create(create) => create::run(portal, create, out).await,
        CredentialCommand::Update(update) => update::run(portal, caller, update, out).await,
        CredentialCommand::Delete { id } => update::delete(portal, caller, &id, out).await,
        CredentialCommand::Generate(slot) => keys::mint(portal, caller, slot, false, out).await,
        CredentialCommand::Regenerate(slot) => keys::mint(portal, caller, slot, true, out).await,
        CredentialCommand::Invalidate(slot) => keys::invalidate(portal, caller, slot, out).await,
        CredentialCommand::Limits(limits) => limits::run(portal, caller, limits, out).await,
        CredentialCommand::Roll(roll) => roll::run(portal, caller, roll, out).await,
    }
}
