//! Which operations each web portal page asks `authorize` about, through the same `Portal`
//! methods as the REST API (design §2.11). The binary crate's `route_coverage` test fails when
//! a page registered in this crate has no row here, or a row names a page that is gone.

use keyportal_domain::authz::OperationKind as K;

/// `module::handler` → the operations it asks about (empty: static assets).
pub const ROUTE_OPERATIONS: &[(&str, &[K])] = &[
    (
        "activity::item_activity",
        &[K::ViewItem, K::ViewCredentialEvents],
    ),
    ("activity::org_activity", &[K::ViewOrgEvents]),
    (
        "content::content",
        &[K::ListContent, K::ViewAllContent, K::Search, K::ViewItem],
    ),
    ("content::create_folder", &[K::ManageFolders]),
    (
        "credential_addresses::addresses_get",
        &[K::ViewItem, K::ManageCredential],
    ),
    (
        "credential_addresses::addresses_post",
        &[K::ViewItem, K::ManageCredential],
    ),
    (
        "credential_edit::items_get",
        &[K::ViewItem, K::ManageCredential, K::Search],
    ),
    (
        "credential_edit::items_post",
        &[K::ViewItem, K::ManageCredential, K::Search],
    ),
    (
        "credential_edit::privileges_get",
        &[K::ViewItem, K::ManageCredential],
    ),
    (
        "credential_edit::privileges_post",
        &[K::ViewItem, K::ManageCredential],
    ),
    (
        "credential_referrers::referrers_get",
        &[K::ViewItem, K::ManageCredential],
    ),
    (
        "credential_referrers::referrers_post",
        &[K::ViewItem, K::ManageCredential],
    ),
    // The leak notice: shown to whoever manages the credential or legacy key.
    (
        "item::item_page",
        &[K::ViewItem, K::ManageCredential, K::ManageLegacyKey],
    ),
    ("item_delete::confirm", &[K::ViewItem, K::DeleteItem]),
    ("item_delete::delete", &[K::ViewItem, K::DeleteItem]),
    (
        "key_access::test_access",
        &[K::ViewItem, K::ManageCredential],
    ),
    ("key_roll::roll", &[K::ViewItem, K::ManageCredential]),
    (
        "key_roll::roll_confirm",
        &[K::ViewItem, K::ManageCredential],
    ),
    ("keys::key_action", &[K::ViewItem, K::ManageCredential]),
    ("keys::key_confirm", &[K::ViewItem, K::ManageCredential]),
    ("lib::css", &[]),
    ("lib::home", &[]),
    ("lib::js", &[]),
    ("new_item::developer_credentials", &[K::DescribePortal]),
    ("new_item::new_item", &[K::DescribePortal]),
    ("oauth_credentials::create", &[K::AddItem, K::RegisterApp]),
    ("oauth_credentials::form_page", &[K::DescribePortal]),
    (
        "oauth_settings::redirects_page",
        &[K::ViewItem, K::ManageCredential],
    ),
    (
        "oauth_settings::save_redirects",
        &[K::ViewItem, K::ManageCredential],
    ),
    (
        "oauth_settings::secret_page",
        &[K::ViewItem, K::ManageCredential],
    ),
    (
        "oauth_settings::show_secret",
        &[K::ViewItem, K::ManageCredential, K::SignIn],
    ),
    ("org::member::change_role", &[K::ChangeMemberRole]),
    ("org::member::change_type", &[K::ChangeMemberUserType]),
    ("org::member::confirm", &[K::ViewMemberDetails]),
    (
        "org::member::confirmed",
        &[K::DisableMember, K::DeleteMember],
    ),
    ("org::new_member::create_member", &[K::CreateMember]),
    ("org::member::enable", &[K::EnableMember]),
    (
        "org::member::member",
        &[K::ViewMember, K::ViewMemberDetails, K::ViewRoles],
    ),
    ("org::members::members", &[K::ListMembers, K::ViewRoles]),
    ("org::new_member::new_member", &[K::ViewRoles]),
    ("org::proxy_allow_list::add", &[K::ManageProxyAllowList]),
    ("org::proxy_allow_list::remove", &[K::ManageProxyAllowList]),
    ("org::proxy_allow_list::show", &[K::ManageProxyAllowList]),
    ("org::roles::confirm_delete", &[K::ViewRoles]),
    ("org::roles::delete", &[K::DeleteRole]),
    ("org::roles::new_role", &[K::ViewRoles]),
    ("org::roles::role", &[K::ViewRoles]),
    ("org::roles::roles", &[K::ViewRoles, K::ListMembers]),
    ("org::roles::save_new_role", &[K::CreateRole]),
    (
        "org::roles::save_role",
        &[K::RenameRole, K::ChangeRolePrivileges],
    ),
    ("signin::signin", &[K::SignIn]),
    ("signin::signin_page", &[]),
    ("signin::signout", &[K::SignIn]),
    ("usage::item_usage", &[K::ViewItem, K::ManageCredential]),
    ("usage::item_usage_csv", &[K::ViewItem, K::ManageCredential]),
    (
        "usage::org_usage",
        &[K::ViewOrgUsage, K::ListCredentials, K::ListAllCredentials],
    ),
    ("usage::org_usage_csv", &[K::ViewOrgUsage]),
    (
        "wizard::start",
        &[K::DescribePortal, K::ListContent, K::Search],
    ),
    (
        "wizard::step_post",
        &[
            K::ListContent,
            K::Search,
            K::AddItem,
            K::RegisterApp,
            K::ManageCredential,
        ],
    ),
];
