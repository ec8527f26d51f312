//! `/portaladmin`: the administration root and `security/users/createUser`.

use axum::extract::State;
use axum::Router;
use keyportal_domain::user::UserProfile;
use keyportal_domain::DomainError;
use keyportal_service::NewUser;
use serde_json::json;

use super::get_or_post;
use super::portal::authenticate;
use crate::views::portal::CURRENT_VERSION;
use crate::views::user::user_json;
use crate::wire::{ApiResult, ArcgisRequest};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portaladmin", get_or_post(admin_root))
        .route(
            "/portaladmin/security/users/createUser",
            get_or_post(create_user),
        )
}

/// The Python client probes this to decide whether `gis.admin` is available.
async fn admin_root(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    caller.authorize(&keyportal_domain::authz::Operation::Administer)?;
    Ok(request.reply(json!({
        "version": CURRENT_VERSION,
        "resources": ["security"],
        "currentVersion": CURRENT_VERSION,
    })))
}

async fn create_user(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let p = &request.params;
    if let Some(provider) = p.text("provider") {
        if !provider.eq_ignore_ascii_case("arcgis") {
            return Err(
                DomainError::invalid("Only provider=arcgis accounts can be created.").into(),
            );
        }
    }
    let new = NewUser {
        username: p.required("username")?.to_string(),
        password: p.required("password")?.to_string(),
        profile: UserProfile {
            full_name: p.text("fullname").unwrap_or_default().to_string(),
            first_name: p.text("firstname").unwrap_or_default().to_string(),
            last_name: p.text("lastname").unwrap_or_default().to_string(),
            email: p.text("email").unwrap_or_default().to_string(),
            description: p.text("description").unwrap_or_default().to_string(),
        },
        role: p.text("role").map(str::to_string),
        user_type: p.text("userLicenseTypeId").map(str::to_string),
    };
    let view = state.portal.create_user(&caller, new).await?;
    Ok(request.reply(json!({ "status": "success", "user": user_json(&view) })))
}
