//! The table test: every operation against every caller kind. `OperationKind::ALL` and the
//! exhaustive `match` in `sample` mean a new operation does not compile without its row.

use serde_json::Map;

use super::*;
use crate::group::{Group, GroupAccess, MemberType};
use crate::item::{Item, ItemAccess};
use crate::privilege::{names, PrivilegeSet, CATALOG};
use crate::role::built_in_role;
use crate::visibility::{KeyScope, Viewer};

const ORG: &str = "org1";
const ITEM_ID: &str = "11111111111111111111111111111111";

/// The callers in the table's column order.
const CALLERS: &[&str] = &[
    "anonymous",
    "owner",
    "member",
    "admin",
    "delegate",
    "pkey-min",
    "pkey-full",
    "app-key",
    "legacy-key",
    "app-token",
    "system",
];

fn user_privileges() -> PrivilegeSet {
    built_in_role("org_user").expect("org_user").privileges
}

fn all_privileges() -> PrivilegeSet {
    CATALOG.iter().map(|p| p.string).collect()
}

/// A member whose custom role delegates user and role administration, and nothing else admin.
fn delegate_privileges() -> PrivilegeSet {
    let mut set = user_privileges();
    for p in [
        names::ADMIN_VIEW_USERS,
        names::ADMIN_UPDATE_USERS,
        names::ADMIN_DELETE_USERS,
        names::ADMIN_INVITE_USERS,
        names::ADMIN_DISABLE_USERS,
        names::ADMIN_CHANGE_USER_ROLES,
        names::ADMIN_MANAGE_LICENSES,
        names::ADMIN_MANAGE_ROLES,
    ] {
        set.insert(p);
    }
    set
}

fn caller(name: &str) -> Viewer {
    let member = |username: &str, privileges: PrivilegeSet| Viewer {
        kind: CallerKind::Member,
        username: Some(username.into()),
        org_id: Some(ORG.into()),
        privileges,
        group_ids: Default::default(),
        key_scope: None,
    };
    let key = |kind: CallerKind, privileges: PrivilegeSet| Viewer {
        kind,
        username: (kind == CallerKind::PersonalKey).then(|| "owner".to_string()),
        org_id: Some(ORG.into()),
        privileges,
        group_ids: Default::default(),
        key_scope: Some(KeyScope {
            owner: "owner".into(),
            items: vec![ITEM_ID.into()],
        }),
    };
    let geocode: PrivilegeSet = ["premium:user:geocode"].into_iter().collect();
    match name {
        "anonymous" => Viewer::anonymous(),
        "owner" => {
            let mut v = member("owner", user_privileges());
            v.group_ids.insert("g".repeat(32));
            v
        }
        "member" => member("member", user_privileges()),
        "admin" => member("admin", all_privileges()),
        "delegate" => member("delegate", delegate_privileges()),
        "pkey-min" => {
            let mut v = key(
                CallerKind::PersonalKey,
                [names::VIEW_ORG_USERS].into_iter().collect(),
            );
            v.key_scope = Some(KeyScope {
                owner: "owner".into(),
                items: vec![],
            });
            v
        }
        "pkey-full" => key(CallerKind::PersonalKey, user_privileges()),
        "app-key" => key(CallerKind::AppKey, geocode),
        "legacy-key" => key(CallerKind::LegacyKey, geocode),
        "app-token" => key(CallerKind::AppToken, geocode),
        "system" => Viewer {
            kind: CallerKind::System,
            username: None,
            org_id: Some(ORG.into()),
            privileges: all_privileges(),
            group_ids: Default::default(),
            key_scope: None,
        },
        other => panic!("unknown caller {other}"),
    }
}

/// The resources every sample operation touches: the owner's private item and org group.
struct Fixture {
    item: Item,
    group: Group,
    user_set: PrivilegeSet,
    admin_set: PrivilegeSet,
    none: PrivilegeSet,
}

fn fixture() -> Fixture {
    Fixture {
        item: Item {
            id: ITEM_ID.into(),
            owner: "owner".into(),
            org_id: ORG.into(),
            folder_id: None,
            title: "t".into(),
            item_type: "Application".into(),
            type_keywords: vec![],
            tags: vec![],
            description: String::new(),
            snippet: String::new(),
            url: String::new(),
            access: ItemAccess::Private,
            properties: None,
            extra: Map::new(),
            created: 0,
            modified: 0,
        },
        group: Group {
            id: "g".repeat(32),
            owner: "owner".into(),
            org_id: ORG.into(),
            title: "g".into(),
            access: GroupAccess::Org,
            tags: vec![],
            description: String::new(),
            snippet: String::new(),
            phone: String::new(),
            sort_field: "title".into(),
            sort_order: "asc".into(),
            is_invitation_only: false,
            is_view_only: false,
            auto_join: false,
            created: 0,
            modified: 0,
        },
        user_set: user_privileges(),
        admin_set: all_privileges(),
        none: PrivilegeSet::new(),
    }
}

/// One operation of each kind on the fixture. Grants are of a full administrator's
/// privileges; members and roles changed hold an ordinary user's.
fn sample<'a>(
    kind: OperationKind,
    f: &'a Fixture,
    membership: Option<MemberType>,
) -> Operation<'a> {
    use OperationKind as K;
    let (item, group) = (&f.item, &f.group);
    let (held, granted) = (&f.user_set, &f.admin_set);
    match kind {
        K::SignIn => Operation::SignIn,
        K::DescribePortal => Operation::DescribePortal,
        K::Search => Operation::Search,
        K::ViewItem => Operation::ViewItem { item, groups: &[] },
        K::ListContent => Operation::ListContent { owner: "owner" },
        K::ViewAllContent => Operation::ViewAllContent {
            owner: "owner",
            org_id: ORG,
        },
        K::LearnMemberExists => Operation::LearnMemberExists { username: "member" },
        K::AddItem => Operation::AddItem { owner: "owner" },
        K::ManageFolders => Operation::ManageFolders { owner: "owner" },
        K::UpdateItem => Operation::UpdateItem { item },
        K::DeleteItem => Operation::DeleteItem { item },
        K::ControlSharing => Operation::ControlSharing { item },
        K::ShareItemAccess => Operation::ShareItemAccess {
            item,
            target: ItemAccess::Org,
        },
        K::ShareItemToGroup => Operation::ShareItemToGroup {
            item,
            group,
            membership,
        },
        K::UnshareItem => Operation::UnshareItem { item },
        K::CreateGroup => Operation::CreateGroup {
            access: GroupAccess::Private,
        },
        K::ViewGroup => Operation::ViewGroup { group },
        K::UpdateGroup => Operation::UpdateGroup {
            group,
            membership,
            new_access: None,
        },
        K::DeleteGroup => Operation::DeleteGroup { group },
        K::ManageGroupMembers => Operation::ManageGroupMembers { group, membership },
        K::ListGroupMembers => Operation::ListGroupMembers { group },
        K::JoinGroup => Operation::JoinGroup { group },
        K::LeaveGroup => Operation::LeaveGroup { group },
        K::ViewMember => Operation::ViewMember {
            username: "member",
            org_id: ORG,
        },
        K::ViewMemberDetails => Operation::ViewMemberDetails {
            username: "member",
            org_id: ORG,
        },
        K::ListMembers => Operation::ListMembers,
        K::CreateMember => Operation::CreateMember { granted },
        K::ChangeMemberRole => Operation::ChangeMemberRole {
            username: "member",
            held,
            granted,
        },
        K::ChangeMemberUserType => Operation::ChangeMemberUserType {
            username: "member",
            held,
            granted,
        },
        K::DisableMember => Operation::DisableMember {
            username: "member",
            held,
        },
        K::EnableMember => Operation::EnableMember {
            username: "member",
            held,
        },
        K::DeleteMember => Operation::DeleteMember {
            username: "member",
            held,
        },
        K::SetPassword => Operation::SetPassword {
            username: "member",
            held,
        },
        K::ViewRoles => Operation::ViewRoles,
        K::CreateRole => Operation::CreateRole {
            privileges: granted,
        },
        K::ChangeRolePrivileges => Operation::ChangeRolePrivileges {
            current: held,
            privileges: granted,
        },
        K::RenameRole => Operation::RenameRole { privileges: held },
        K::DeleteRole => Operation::DeleteRole { privileges: held },
        K::RegisterApp => Operation::RegisterApp { item },
        K::ManageCredential => Operation::ManageCredential {
            item,
            held: &f.none,
            granted: &f.none,
        },
        K::ListCredentials => Operation::ListCredentials,
        K::ListAllCredentials => Operation::ListAllCredentials,
        K::ManageLegacyKey => Operation::ManageLegacyKey { item },
        K::ImportLegacyKeys => Operation::ImportLegacyKeys,
        K::ListAllLegacyKeys => Operation::ListAllLegacyKeys,
        K::ViewOrgUsage => Operation::ViewOrgUsage,
        K::ViewCredentialEvents => Operation::ViewCredentialEvents { item },
        K::ViewOrgEvents => Operation::ViewOrgEvents,
        K::ViewSettings => Operation::ViewSettings,
        K::ManageSecuritySettings => Operation::ManageSecuritySettings,
        K::ManageLocationServices => Operation::ManageLocationServices,
        K::ManageProxyAllowList => Operation::ManageProxyAllowList,
        K::Administer => Operation::Administer,
    }
}

/// A = allowed, S = sign-in required, H = hidden (answered as missing), F = forbidden.
fn outcome(result: Result<(), Denial>) -> char {
    match result {
        Ok(()) => 'A',
        Err(Denial::SignInRequired) => 'S',
        Err(Denial::Hidden(_)) => 'H',
        Err(Denial::Forbidden { .. }) => 'F',
    }
}

/// Columns, in groups: anonymous | the owner, another member | an administrator, a delegated
/// administrator (user and role management only) | the owner's personal keys with only
/// `viewOrgUsers`, and with a user's privileges and item access | app key, legacy key, app token
/// | the CLI operator.
#[rustfmt::skip]
const TABLE: &[(OperationKind, &str)] = {
    use OperationKind as K;
    //  anonymous | owner member | admin delegate | personal keys min full | app-key legacy app-token | system
    &[
    (K::SignIn, "A AA AA AA AAA A"),
    (K::DescribePortal, "A AA AA AA AAA A"),
    (K::Search, "A AA AA AA AAA A"),
    (K::ViewItem, "H AH AH HA AAA A"),
    (K::ListContent, "S AA AA AA AAA A"),
    (K::ViewAllContent, "S AF AF FF FFF A"),
    (K::LearnMemberExists, "A AA AA AA HHH A"),
    (K::AddItem, "S AF FF FA FFF A"),
    (K::ManageFolders, "S AF FF FA FFF A"),
    (K::UpdateItem, "S AF AF FA FFF A"),
    (K::DeleteItem, "S AF AF FA FFF A"),
    (K::ControlSharing, "S AF AF FA FFF A"),
    (K::ShareItemAccess, "S AF AF FA FFF A"),
    (K::ShareItemToGroup, "S AF AF FF FFF A"),
    (K::UnshareItem, "S AA AA AA AAA A"),
    (K::CreateGroup, "S AA AA FF FFF A"),
    (K::ViewGroup, "H AA AA HA HHH A"),
    (K::UpdateGroup, "S AF AF FA FFF A"),
    (K::DeleteGroup, "S AF AF FA FFF A"),
    (K::ManageGroupMembers, "S AF AF FA FFF A"),
    (K::ListGroupMembers, "S AA AA AA FFF A"),
    (K::JoinGroup, "S AA AA FF FFF A"),
    (K::LeaveGroup, "S AA AA FF FFF A"),
    (K::ViewMember, "H AA AA AA HHH A"),
    (K::ViewMemberDetails, "F FA AA FF FFF A"),
    (K::ListMembers, "S FF AA FF FFF A"),
    (K::CreateMember, "S FF AF FF FFF A"),
    (K::ChangeMemberRole, "S FF AF FF FFF A"),
    (K::ChangeMemberUserType, "S FF AF FF FFF A"),
    (K::DisableMember, "S FF AA FF FFF A"),
    (K::EnableMember, "S FF AA FF FFF A"),
    (K::DeleteMember, "S FF AA FF FFF A"),
    (K::SetPassword, "S FA AA FF FFF A"),
    (K::ViewRoles, "S FF AA FF FFF A"),
    (K::CreateRole, "S FF AF FF FFF A"),
    (K::ChangeRolePrivileges, "S FF AF FF FFF A"),
    (K::RenameRole, "S FF AA FF FFF A"),
    (K::DeleteRole, "S FF AA FF FFF A"),
    (K::RegisterApp, "S AF FF FF FFF F"),
    (K::ManageCredential, "S AF AF FF FFF A"),
    (K::ListCredentials, "S AA AA FF FFF A"),
    (K::ListAllCredentials, "S FF AF FF FFF A"),
    (K::ManageLegacyKey, "S AF AF FF FFF A"),
    (K::ImportLegacyKeys, "F FF FF FF FFF A"),
    (K::ListAllLegacyKeys, "S FF AF FF FFF A"),
    (K::ViewOrgUsage, "S FF AA FF FFF A"),
    (K::ViewCredentialEvents, "S AF AF FF FFF A"),
    (K::ViewOrgEvents, "S FF AF FF FFF A"),
    (K::ViewSettings, "S AA AA AA AAA A"),
    (K::ManageSecuritySettings, "S FF AF FF FFF A"),
    (K::ManageLocationServices, "S FF AF FF FFF A"),
    (K::ManageProxyAllowList, "S FF AF FF FFF A"),
    (K::Administer, "S FF AA FF FFF A"),
    ]
};

fn actual_row(kind: OperationKind, f: &Fixture) -> String {
    CALLERS
        .iter()
        .map(|name| {
            let viewer = caller(name);
            let membership = (*name == "owner").then_some(MemberType::Owner);
            outcome(authorize(&viewer, &sample(kind, f, membership)))
        })
        .collect()
}

#[test]
fn every_operation_against_every_caller_kind() {
    let f = fixture();
    let mut wrong = Vec::new();
    for kind in OperationKind::ALL {
        let actual = actual_row(*kind, &f);
        match TABLE.iter().find(|(k, _)| k == kind) {
            Some((_, expected)) if expected.replace(' ', "") == actual => {}
            Some((_, expected)) => {
                wrong.push(format!("{kind:?}: expected {expected}, got {actual}"))
            }
            None => wrong.push(format!(
                "(OperationKind::{kind:?}, \"{actual}\"), // no row"
            )),
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    assert_eq!(
        TABLE.len(),
        OperationKind::ALL.len(),
        "one row per operation"
    );
}

#[test]
fn a_delegated_administrator_grants_only_what_they_hold() {
    let delegate = caller("delegate");
    let own = delegate_privileges();
    let mut wider = own.clone();
    wider.insert(names::ADMIN_MANAGE_SECURITY);
    assert!(authorize(&delegate, &Operation::CreateRole { privileges: &own }).is_ok());
    assert!(authorize(&delegate, &Operation::CreateRole { privileges: &wider }).is_err());
    // Adding a privilege to the role they hold, then assigning it to themself.
    let change = Operation::ChangeRolePrivileges {
        current: &own,
        privileges: &wider,
    };
    assert!(authorize(&delegate, &change).is_err());
    let assign = Operation::ChangeMemberRole {
        username: "delegate",
        held: &own,
        granted: &wider,
    };
    let Err(Denial::Forbidden { reason }) = authorize(&delegate, &assign) else {
        panic!("self-promotion must be refused");
    };
    assert!(reason.contains(names::ADMIN_MANAGE_SECURITY), "{reason}");
    // Creating an administrator account with only inviteUsers.
    let mut inviter = caller("member");
    inviter.privileges.insert(names::ADMIN_INVITE_USERS);
    assert!(authorize(
        &inviter,
        &Operation::CreateMember {
            granted: &all_privileges()
        }
    )
    .is_err());
    assert!(authorize(
        &inviter,
        &Operation::CreateMember {
            granted: &user_privileges()
        }
    )
    .is_ok());
}

#[test]
fn a_delegated_administrator_cannot_act_on_someone_above_them() {
    let delegate = caller("delegate");
    let admin = all_privileges();
    for op in [
        Operation::DisableMember {
            username: "admin",
            held: &admin,
        },
        Operation::DeleteMember {
            username: "admin",
            held: &admin,
        },
        Operation::SetPassword {
            username: "admin",
            held: &admin,
        },
        Operation::ChangeMemberRole {
            username: "admin",
            held: &admin,
            granted: &user_privileges(),
        },
    ] {
        assert!(authorize(&delegate, &op).is_err(), "{:?}", op.kind());
    }
}

#[test]
fn someone_elses_credential_is_managed_only_by_who_holds_what_it_carries() {
    let f = fixture();
    // A content administrator: a user's privileges plus updating every item.
    let mut editor = caller("member");
    editor.privileges.insert(names::ADMIN_VIEW_ITEMS);
    editor.privileges.insert(names::ADMIN_UPDATE_ITEMS);
    let high: PrivilegeSet = [names::ADMIN_CHANGE_USER_ROLES].into_iter().collect();
    let low: PrivilegeSet = [names::CREATE_ITEM].into_iter().collect();
    let manage = |held, granted| Operation::ManageCredential {
        item: &f.item,
        held,
        granted,
    };
    // Its secret would mint keys acting with changeUserRoles: refused, naming it.
    let Err(Denial::Forbidden { reason }) = authorize(&editor, &manage(&high, &f.none)) else {
        panic!("reading a credential above the caller must be refused");
    };
    assert!(reason.contains(names::ADMIN_CHANGE_USER_ROLES), "{reason}");
    assert!(authorize(&editor, &manage(&low, &f.none)).is_ok());
    assert!(
        authorize(&editor, &manage(&low, &high)).is_err(),
        "widening"
    );
    // The owner manages their own credential even when demoted below it, and grants only
    // what they hold; a full administrator and the CLI manage anything.
    let owner = caller("owner");
    assert!(authorize(&owner, &manage(&high, &f.none)).is_ok());
    assert!(authorize(&owner, &manage(&low, &high)).is_err());
    assert!(authorize(&caller("admin"), &manage(&high, &f.admin_set)).is_ok());
    assert!(authorize(&caller("system"), &manage(&high, &f.admin_set)).is_ok());
}

#[test]
fn a_personal_key_is_never_the_owner_without_a_covering_privilege() {
    let f = fixture();
    let key = caller("pkey-min");
    for op in [
        Operation::DeleteGroup { group: &f.group },
        Operation::UpdateItem { item: &f.item },
        Operation::ViewAllContent {
            owner: "owner",
            org_id: ORG,
        },
        Operation::SetPassword {
            username: "owner",
            held: &f.user_set,
        },
    ] {
        assert!(authorize(&key, &op).is_err(), "{:?}", op.kind());
    }
    // An app key of the same owner never acts as them, whatever it holds.
    let mut app = caller("app-key");
    app.privileges = user_privileges();
    assert!(authorize(&app, &Operation::AddItem { owner: "owner" }).is_err());
    assert!(authorize(&app, &Operation::DeleteGroup { group: &f.group }).is_err());
}
