//! Every operation the REST API, the web portal and the CLI expose, with the facts about the
//! resource each decision needs.

use crate::group::{Group, GroupAccess, MemberType};
use crate::item::{Item, ItemAccess};
use crate::privilege::PrivilegeSet;

/// One thing a caller asks to do. Listing operations are decided once for the listing and
/// then item by item with `ViewItem`/`ViewGroup`.
#[derive(Debug, Clone, Copy)]
pub enum Operation<'a> {
    // --- open to everyone (the answer is filtered, or authenticates the caller itself)
    /// `generateToken`, the OAuth sign-in and token routes, `client_credentials`.
    SignIn,
    /// `portals/self`, `info`, the root, `community/self` (what the caller is).
    DescribePortal,
    /// `search` and `community/groups`: results filtered by `ViewItem`/`ViewGroup`.
    Search,

    // --- items and content
    ViewItem {
        item: &'a Item,
        groups: &'a [String],
    },
    /// A member's content listing (`content/users/{u}`), filtered by `ViewItem`.
    ListContent {
        owner: &'a str,
    },
    /// Every item of `owner` (and their folders) without filtering.
    ViewAllContent {
        owner: &'a str,
        org_id: &'a str,
    },
    /// Whether a key learns that `username` exists (design: keys get the same answer for an
    /// existing and a missing member unless a privilege covers members).
    LearnMemberExists {
        username: &'a str,
    },
    AddItem {
        owner: &'a str,
    },
    ManageFolders {
        owner: &'a str,
    },
    UpdateItem {
        item: &'a Item,
    },
    DeleteItem {
        item: &'a Item,
    },
    /// Changing an item's sharing at all (share/unshare entry check).
    ControlSharing {
        item: &'a Item,
    },
    ShareItemAccess {
        item: &'a Item,
        target: ItemAccess,
    },
    ShareItemToGroup {
        item: &'a Item,
        group: &'a Group,
        membership: Option<MemberType>,
    },
    /// `unshare`: entry check; each group is then decided by `ControlSharing` or
    /// `ShareItemToGroup` (members remove the shares they could have made).
    UnshareItem {
        item: &'a Item,
    },

    // --- groups
    CreateGroup {
        access: GroupAccess,
    },
    ViewGroup {
        group: &'a Group,
    },
    UpdateGroup {
        group: &'a Group,
        membership: Option<MemberType>,
        new_access: Option<GroupAccess>,
    },
    DeleteGroup {
        group: &'a Group,
    },
    ManageGroupMembers {
        group: &'a Group,
        membership: Option<MemberType>,
    },
    /// `groups/{id}/users`: who belongs to a group the caller sees.
    ListGroupMembers {
        group: &'a Group,
    },
    JoinGroup {
        group: &'a Group,
    },
    LeaveGroup {
        group: &'a Group,
    },

    // --- members
    ViewMember {
        username: &'a str,
        org_id: &'a str,
    },
    ViewMemberDetails {
        username: &'a str,
        org_id: &'a str,
    },
    ListMembers,
    /// `createUser` / `keyportal user add`: `granted` is the new member's effective privileges.
    CreateMember {
        granted: &'a PrivilegeSet,
    },
    /// `held` is what the member holds now, `granted` what they would hold after the change.
    ChangeMemberRole {
        username: &'a str,
        held: &'a PrivilegeSet,
        granted: &'a PrivilegeSet,
    },
    ChangeMemberUserType {
        username: &'a str,
        held: &'a PrivilegeSet,
        granted: &'a PrivilegeSet,
    },
    DisableMember {
        username: &'a str,
        held: &'a PrivilegeSet,
    },
    EnableMember {
        username: &'a str,
        held: &'a PrivilegeSet,
    },
    DeleteMember {
        username: &'a str,
        held: &'a PrivilegeSet,
    },
    SetPassword {
        username: &'a str,
        held: &'a PrivilegeSet,
    },

    // --- roles
    ViewRoles,
    CreateRole {
        privileges: &'a PrivilegeSet,
    },
    /// Replacing a custom role's privileges (`current` → `privileges`).
    ChangeRolePrivileges {
        current: &'a PrivilegeSet,
        privileges: &'a PrivilegeSet,
    },
    RenameRole {
        privileges: &'a PrivilegeSet,
    },
    DeleteRole {
        privileges: &'a PrivilegeSet,
    },

    // --- developer credentials (registration, keys, limits, usage, proxy settings)
    RegisterApp {
        item: &'a Item,
    },
    /// Reading a registration (with its client secret, which mints keys), changing it or
    /// unregistering it. `held`: the catalog privileges the credential carries now; `granted`:
    /// those it would carry after the change (empty when the privileges do not change).
    ManageCredential {
        item: &'a Item,
        held: &'a PrivilegeSet,
        granted: &'a PrivilegeSet,
    },
    ListCredentials,
    ListAllCredentials,
    ManageLegacyKey {
        item: &'a Item,
    },
    ImportLegacyKeys,
    ListAllLegacyKeys,
    ViewOrgUsage,
    /// A credential's events (its audit trail): whoever manages the credential.
    ViewCredentialEvents {
        item: &'a Item,
    },
    /// The organization's events and event settings: administrators.
    ViewOrgEvents,
    /// Reading the organization's settings (the billing cycle's first day): any signed-in caller.
    ViewSettings,
    /// Organization security settings: billing day, legacy retirement, proxy allow-list.
    ManageSecuritySettings,
    ManageLocationServices,
    /// Reading and changing the proxy upstream allow-list (design §2.13): administrators,
    /// never with a key.
    ManageProxyAllowList,
    /// `portaladmin`: any administrative privilege.
    Administer,
}

/// The operation without its resource: what the table test enumerates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OperationKind {
    SignIn,
    DescribePortal,
    Search,
    ViewItem,
    ListContent,
    ViewAllContent,
    LearnMemberExists,
    AddItem,
    ManageFolders,
    UpdateItem,
    DeleteItem,
    ControlSharing,
    ShareItemAccess,
    ShareItemToGroup,
    UnshareItem,
    CreateGroup,
    ViewGroup,
    UpdateGroup,
    DeleteGroup,
    ManageGroupMembers,
    ListGroupMembers,
    JoinGroup,
    LeaveGroup,
    ViewMember,
    ViewMemberDetails,
    ListMembers,
    CreateMember,
    ChangeMemberRole,
    ChangeMemberUserType,
    DisableMember,
    EnableMember,
    DeleteMember,
    SetPassword,
    ViewRoles,
    CreateRole,
    ChangeRolePrivileges,
    RenameRole,
    DeleteRole,
    RegisterApp,
    ManageCredential,
    ListCredentials,
    ListAllCredentials,
    ManageLegacyKey,
    ImportLegacyKeys,
    ListAllLegacyKeys,
    ViewOrgUsage,
    ViewCredentialEvents,
    ViewOrgEvents,
    ViewSettings,
    ManageSecuritySettings,
    ManageLocationServices,
    ManageProxyAllowList,
    Administer,
}

impl Operation<'_> {
    pub fn kind(&self) -> OperationKind {
        use OperationKind as K;
        match self {
            Operation::SignIn => K::SignIn,
            Operation::DescribePortal => K::DescribePortal,
            Operation::Search => K::Search,
            Operation::ViewItem { .. } => K::ViewItem,
            Operation::ListContent { .. } => K::ListContent,
            Operation::ViewAllContent { .. } => K::ViewAllContent,
            Operation::LearnMemberExists { .. } => K::LearnMemberExists,
            Operation::AddItem { .. } => K::AddItem,
            Operation::ManageFolders { .. } => K::ManageFolders,
            Operation::UpdateItem { .. } => K::UpdateItem,
            Operation::DeleteItem { .. } => K::DeleteItem,
            Operation::ControlSharing { .. } => K::ControlSharing,
            Operation::ShareItemAccess { .. } => K::ShareItemAccess,
            Operation::ShareItemToGroup { .. } => K::ShareItemToGroup,
            Operation::UnshareItem { .. } => K::UnshareItem,
            Operation::CreateGroup { .. } => K::CreateGroup,
            Operation::ViewGroup { .. } => K::ViewGroup,
            Operation::UpdateGroup { .. } => K::UpdateGroup,
            Operation::DeleteGroup { .. } => K::DeleteGroup,
            Operation::ManageGroupMembers { .. } => K::ManageGroupMembers,
            Operation::ListGroupMembers { .. } => K::ListGroupMembers,
            Operation::JoinGroup { .. } => K::JoinGroup,
            Operation::LeaveGroup { .. } => K::LeaveGroup,
            Operation::ViewMember { .. } => K::ViewMember,
            Operation::ViewMemberDetails { .. } => K::ViewMemberDetails,
            Operation::ListMembers => K::ListMembers,
            Operation::CreateMember { .. } => K::CreateMember,
            Operation::ChangeMemberRole { .. } => K::ChangeMemberRole,
            Operation::ChangeMemberUserType { .. } => K::ChangeMemberUserType,
            Operation::DisableMember { .. } => K::DisableMember,
            Operation::EnableMember { .. } => K::EnableMember,
            Operation::DeleteMember { .. } => K::DeleteMember,
            Operation::SetPassword { .. } => K::SetPassword,
            Operation::ViewRoles => K::ViewRoles,
            Operation::CreateRole { .. } => K::CreateRole,
            Operation::ChangeRolePrivileges { .. } => K::ChangeRolePrivileges,
            Operation::RenameRole { .. } => K::RenameRole,
            Operation::DeleteRole { .. } => K::DeleteRole,
            Operation::RegisterApp { .. } => K::RegisterApp,
            Operation::ManageCredential { .. } => K::ManageCredential,
            Operation::ListCredentials => K::ListCredentials,
            Operation::ListAllCredentials => K::ListAllCredentials,
            Operation::ManageLegacyKey { .. } => K::ManageLegacyKey,
            Operation::ImportLegacyKeys => K::ImportLegacyKeys,
            Operation::ListAllLegacyKeys => K::ListAllLegacyKeys,
            Operation::ViewOrgUsage => K::ViewOrgUsage,
            Operation::ViewCredentialEvents { .. } => K::ViewCredentialEvents,
            Operation::ViewOrgEvents => K::ViewOrgEvents,
            Operation::ViewSettings => K::ViewSettings,
            Operation::ManageSecuritySettings => K::ManageSecuritySettings,
            Operation::ManageLocationServices => K::ManageLocationServices,
            Operation::ManageProxyAllowList => K::ManageProxyAllowList,
            Operation::Administer => K::Administer,
        }
    }
}

impl OperationKind {
    /// Every operation, for the table test and the route coverage tests.
    pub const ALL: &'static [OperationKind] = &[
        OperationKind::SignIn,
        OperationKind::DescribePortal,
        OperationKind::Search,
        OperationKind::ViewItem,
        OperationKind::ListContent,
        OperationKind::ViewAllContent,
        OperationKind::LearnMemberExists,
        OperationKind::AddItem,
        OperationKind::ManageFolders,
        OperationKind::UpdateItem,
        OperationKind::DeleteItem,
        OperationKind::ControlSharing,
        OperationKind::ShareItemAccess,
        OperationKind::ShareItemToGroup,
        OperationKind::UnshareItem,
        OperationKind::CreateGroup,
        OperationKind::ViewGroup,
        OperationKind::UpdateGroup,
        OperationKind::DeleteGroup,
        OperationKind::ManageGroupMembers,
        OperationKind::ListGroupMembers,
        OperationKind::JoinGroup,
        OperationKind::LeaveGroup,
        OperationKind::ViewMember,
        OperationKind::ViewMemberDetails,
        OperationKind::ListMembers,
        OperationKind::CreateMember,
        OperationKind::ChangeMemberRole,
        OperationKind::ChangeMemberUserType,
        OperationKind::DisableMember,
        OperationKind::EnableMember,
        OperationKind::DeleteMember,
        OperationKind::SetPassword,
        OperationKind::ViewRoles,
        OperationKind::CreateRole,
        OperationKind::ChangeRolePrivileges,
        OperationKind::RenameRole,
        OperationKind::DeleteRole,
        OperationKind::RegisterApp,
        OperationKind::ManageCredential,
        OperationKind::ListCredentials,
        OperationKind::ListAllCredentials,
        OperationKind::ManageLegacyKey,
        OperationKind::ImportLegacyKeys,
        OperationKind::ListAllLegacyKeys,
        OperationKind::ViewOrgUsage,
        OperationKind::ViewCredentialEvents,
        OperationKind::ViewOrgEvents,
        OperationKind::ViewSettings,
        OperationKind::ManageSecuritySettings,
        OperationKind::ManageLocationServices,
        OperationKind::ManageProxyAllowList,
        OperationKind::Administer,
    ];
}
