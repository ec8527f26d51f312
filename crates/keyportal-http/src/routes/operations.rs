//! Which operations each REST handler asks `authorize` about (design §2.11). The binary
//! crate's `route_coverage` test fails when a handler registered in `routes/` has no row here,
//! or a row names a handler that no longer exists.

use keyportal_domain::authz::OperationKind as K;

/// `module::handler` → the operations it asks about (an empty list: the route reads no
/// protected resource, such as the health check or a stylesheet). `SignIn` marks routes whose
/// caller is the key or the credentials it presents: `/verify` and the proxies decide a key
/// in the key table (its privileges, item access and referrers), the token routes a password
/// or a client secret.
pub const ROUTE_OPERATIONS: &[(&str, &[K])] = &[
    ("admin::admin_root", &[K::Administer]),
    ("admin::create_user", &[K::CreateMember]),
    ("apps::app_info", &[K::ViewItem, K::ManageCredential]),
    (
        "apps::app_info_in_folder",
        &[K::ViewItem, K::ManageCredential],
    ),
    ("apps::get_app", &[K::ViewItem, K::ManageCredential]),
    ("apps::register_app", &[K::ViewItem, K::RegisterApp]),
    ("apps::unregister_app", &[K::ViewItem, K::ManageCredential]),
    ("apps::update_app", &[K::ViewItem, K::ManageCredential]),
    ("content::create_folder", &[K::ManageFolders]),
    (
        "key_controls::check_access",
        &[K::ViewItem, K::ManageCredential],
    ),
    (
        "key_controls::refusals",
        &[K::ViewItem, K::ManageCredential],
    ),
    (
        "key_controls::roll_api_key",
        &[K::ViewItem, K::ManageCredential],
    ),
    ("content::group_content", &[K::ViewGroup, K::ViewItem]),
    ("content::delete_folder", &[K::ManageFolders]),
    (
        "content::list_folder",
        &[
            K::ListContent,
            K::LearnMemberExists,
            K::ViewAllContent,
            K::ViewItem,
        ],
    ),
    (
        "content::list_root",
        &[
            K::ListContent,
            K::LearnMemberExists,
            K::ViewAllContent,
            K::ViewItem,
        ],
    ),
    (
        "events::credential_events",
        &[K::ViewItem, K::ViewCredentialEvents],
    ),
    (
        "events::event_settings",
        &[K::ViewOrgEvents, K::ManageSecuritySettings],
    ),
    ("events::org_events", &[K::ViewOrgEvents]),
    ("groups::add_users", &[K::ViewGroup, K::ManageGroupMembers]),
    ("groups::create_group", &[K::CreateGroup]),
    ("groups::delete_group", &[K::ViewGroup, K::DeleteGroup]),
    ("groups::get_group", &[K::ViewGroup]),
    ("groups::group_users", &[K::ViewGroup, K::ListGroupMembers]),
    ("groups::join_group", &[K::ViewGroup, K::JoinGroup]),
    ("groups::leave_group", &[K::ViewGroup, K::LeaveGroup]),
    (
        "groups::remove_users",
        &[K::ViewGroup, K::ManageGroupMembers],
    ),
    ("groups::search_groups", &[K::Search, K::ViewGroup]),
    ("groups::update_group", &[K::ViewGroup, K::UpdateGroup]),
    (
        "items::add_item_in_folder",
        &[K::AddItem, K::ShareItemAccess],
    ),
    ("items::add_item_root", &[K::AddItem, K::ShareItemAccess]),
    ("items::delete_item", &[K::ViewItem, K::DeleteItem]),
    ("items::delete_item_by_id", &[K::ViewItem, K::DeleteItem]),
    (
        "items::delete_item_in_folder",
        &[K::ViewItem, K::DeleteItem],
    ),
    ("items::get_item", &[K::ViewItem]),
    ("items::item_status", &[K::ViewItem]),
    ("items::item_status_in_folder", &[K::ViewItem]),
    ("items::update_item", &[K::ViewItem, K::UpdateItem]),
    (
        "items::update_item_in_folder",
        &[K::ViewItem, K::UpdateItem],
    ),
    ("legacy::invalidate", &[K::ViewItem, K::ManageLegacyKey]),
    ("legacy::list", &[K::ListCredentials, K::ListAllLegacyKeys]),
    (
        "legacy::migrate",
        &[K::ViewItem, K::ManageLegacyKey, K::RegisterApp],
    ),
    ("legacy::retire", &[K::ManageSecuritySettings]),
    ("mod::health::health", &[]),
    ("mod::health::ready", &[]),
    ("mod::openapi_json::serve", &[]),
    ("mod::root::info", &[K::DescribePortal]),
    ("mod::root::root", &[K::DescribePortal]),
    // Whoever holds a key may report it: the key presented is the authority, as a password
    // is for generateToken (nothing else is read or shown).
    ("mod::leaks::revoke_leaked_keys", &[K::SignIn]),
    ("mod::secret_scanning::github", &[K::SignIn]),
    ("mod::tokens::generate_token", &[K::SignIn]),
    ("mod::tokens::oauth_token", &[K::SignIn]),
    (
        "mod::tokens::revoke_token",
        &[K::SignIn, K::ViewItem, K::ManageCredential],
    ),
    ("oauth::authorize", &[K::SignIn]),
    ("oauth::signin", &[K::SignIn]),
    ("oauth::stylesheet", &[]),
    ("portal::community_self", &[K::DescribePortal]),
    ("portal::portal_users", &[K::ListMembers]),
    ("portal::portal_users_by_id", &[K::ListMembers]),
    ("portal::portals_by_id", &[K::DescribePortal]),
    (
        "proxy::delete_location_service",
        &[K::ManageLocationServices],
    ),
    ("proxy::forward_item", &[K::SignIn, K::ViewItem]),
    ("proxy::forward_service", &[K::SignIn]),
    (
        "proxy::list_location_services",
        &[K::ManageLocationServices],
    ),
    ("proxy::set_item_proxy", &[K::ViewItem, K::ManageCredential]),
    ("proxy::set_location_service", &[K::ManageLocationServices]),
    (
        "proxy::show_item_proxy",
        &[K::ViewItem, K::ManageCredential],
    ),
    ("proxy::show_location_service", &[K::ManageLocationServices]),
    ("roles::create_role", &[K::CreateRole]),
    ("roles::delete_role", &[K::DeleteRole]),
    ("roles::get_privileges", &[K::ViewRoles]),
    ("roles::get_role", &[K::ViewRoles]),
    ("roles::list_roles", &[K::ViewRoles]),
    ("roles::set_privileges", &[K::ChangeRolePrivileges]),
    ("roles::update_role", &[K::RenameRole]),
    ("search::search_items", &[K::Search, K::ViewItem]),
    ("sharing::item_groups", &[K::ViewItem, K::ViewGroup]),
    (
        "sharing::share",
        &[K::ControlSharing, K::ShareItemAccess, K::ShareItemToGroup],
    ),
    (
        "sharing::share_in_folder",
        &[K::ControlSharing, K::ShareItemAccess, K::ShareItemToGroup],
    ),
    (
        "sharing::share_items",
        &[K::ControlSharing, K::ShareItemAccess, K::ShareItemToGroup],
    ),
    (
        "sharing::share_owned",
        &[K::ControlSharing, K::ShareItemAccess, K::ShareItemToGroup],
    ),
    (
        "sharing::unshare",
        &[K::UnshareItem, K::ControlSharing, K::ShareItemToGroup],
    ),
    (
        "sharing::unshare_in_folder",
        &[K::UnshareItem, K::ControlSharing, K::ShareItemToGroup],
    ),
    (
        "sharing::unshare_items",
        &[K::UnshareItem, K::ControlSharing, K::ShareItemToGroup],
    ),
    (
        "sharing::unshare_owned",
        &[K::UnshareItem, K::ControlSharing, K::ShareItemToGroup],
    ),
    (
        "usage::credential_usage",
        &[K::ViewItem, K::ManageCredential],
    ),
    ("usage::limits", &[K::ViewItem, K::ManageCredential]),
    ("usage::org_usage", &[K::ViewOrgUsage]),
    (
        "usage::usage_settings",
        &[K::ViewSettings, K::ManageSecuritySettings],
    ),
    ("users::delete_user", &[K::DeleteMember]),
    ("users::disable_user", &[K::DisableMember]),
    ("users::enable_user", &[K::EnableMember]),
    (
        "users::get_user",
        &[K::ViewMember, K::ViewMemberDetails, K::ViewGroup],
    ),
    ("users::search_users", &[K::Search, K::ViewMember]),
    ("users::update_user_role", &[K::ChangeMemberRole]),
    ("users::update_user_type", &[K::ChangeMemberUserType]),
    ("verify::verify_get", &[K::SignIn]),
    ("verify::verify_post", &[K::SignIn]),
    ("proxy::show_allow_list", &[K::ManageProxyAllowList]),
    ("proxy::update_allow_list", &[K::ManageProxyAllowList]),
];
