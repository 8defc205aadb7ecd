//! The operations the emulator implements: each names its spec `operationId` and its
//! handler; the method and path template are clerk-core's operation table's. Every
//! other spec operation answers 501 `emulator_unsupported`.

use std::sync::OnceLock;

use clerk_core::Operation;

use crate::api::{Handler, Route};
use crate::{instance, machine, organizations, sessions, users};

/// Implemented operations by `operationId`, in matching order (of two equally specific
/// matches, the later wins).
static IMPLEMENTED: &[(&str, Handler)] = &[
    ("GetJWKS", sessions::jwks),
    ("GetClientList", sessions::list_clients),
    ("GetClient", sessions::get_client),
    ("CreateEmailAddress", users::create_email_address),
    ("GetEmailAddress", users::get_email_address),
    ("DeleteEmailAddress", users::delete_email_address),
    ("UpdateEmailAddress", users::update_email_address),
    ("CreatePhoneNumber", users::create_phone_number),
    ("GetPhoneNumber", users::get_phone_number),
    ("DeletePhoneNumber", users::delete_phone_number),
    ("UpdatePhoneNumber", users::update_phone_number),
    ("GetSessionList", sessions::list_sessions),
    ("createSession", sessions::create_session),
    ("GetSession", sessions::get_session),
    ("RefreshSession", sessions::refresh_session),
    ("RevokeSession", sessions::revoke_session),
    ("CreateSessionToken", sessions::create_session_token),
    (
        "CreateSessionTokenFromTemplate",
        sessions::create_session_token_from_template,
    ),
    ("GetUserList", users::list_users),
    ("CreateUser", users::create_user),
    ("GetUsersCount", users::count_users),
    ("GetUser", users::get_user),
    ("UpdateUser", users::update_user),
    ("DeleteUser", users::delete_user),
    ("BanUser", users::ban_user),
    ("UnbanUser", users::unban_user),
    ("UsersBan", users::users_ban),
    ("UsersUnban", users::users_unban),
    ("LockUser", users::lock_user),
    ("UnlockUser", users::unlock_user),
    ("SetUserProfileImage", users::set_profile_image),
    ("DeleteUserProfileImage", users::delete_profile_image),
    ("UpdateUserMetadata", users::merge_user_metadata),
    ("ReplaceUserMetadata", users::replace_user_metadata),
    ("UsersGetOrganizationMemberships", users::user_memberships),
    (
        "UsersGetOrganizationInvitations",
        organizations::user_organization_invitations,
    ),
    ("VerifyPassword", users::verify_password),
    ("CreateInvitation", instance::create_invitation),
    ("ListInvitations", instance::list_invitations),
    ("CreateBulkInvitations", instance::create_invitations_bulk),
    ("RevokeInvitation", instance::revoke_invitation),
    ("ListAllowlistIdentifiers", instance::list_allowlist),
    (
        "CreateAllowlistIdentifier",
        instance::create_allowlist_identifier,
    ),
    (
        "DeleteAllowlistIdentifier",
        instance::delete_allowlist_identifier,
    ),
    ("ListBlocklistIdentifiers", instance::list_blocklist),
    (
        "CreateBlocklistIdentifier",
        instance::create_blocklist_identifier,
    ),
    (
        "DeleteBlocklistIdentifier",
        instance::delete_blocklist_identifier,
    ),
    ("UpdateInstanceAuthConfig", instance::update_auth_config),
    (
        "UpdateProductionInstanceDomain",
        instance::update_production_domain,
    ),
    ("CreateActorToken", instance::create_actor_token),
    ("RevokeActorToken", instance::revoke_actor_token),
    ("ListDomains", instance::list_domains),
    ("AddDomain", instance::add_domain),
    ("DeleteDomain", instance::delete_domain),
    ("UpdateDomain", instance::update_domain),
    ("GetInstance", instance::get_instance),
    ("UpdateInstance", instance::update_instance),
    ("UpdateInstanceRestrictions", instance::update_restrictions),
    (
        "GetInstanceOrganizationSettings",
        instance::get_organization_settings,
    ),
    (
        "UpdateInstanceOrganizationSettings",
        instance::update_organization_settings,
    ),
    ("ListJWTTemplates", instance::list_jwt_templates),
    ("CreateJWTTemplate", instance::create_jwt_template),
    ("GetJWTTemplate", instance::get_jwt_template),
    ("UpdateJWTTemplate", instance::update_jwt_template),
    ("DeleteJWTTemplate", instance::delete_jwt_template),
    ("ListOrganizations", organizations::list_organizations),
    ("CreateOrganization", organizations::create_organization),
    ("GetOrganization", organizations::get_organization),
    ("UpdateOrganization", organizations::update_organization),
    ("DeleteOrganization", organizations::delete_organization),
    (
        "MergeOrganizationMetadata",
        organizations::merge_organization_metadata,
    ),
    (
        "ReplaceOrganizationMetadata",
        organizations::replace_organization_metadata,
    ),
    ("UploadOrganizationLogo", organizations::upload_logo),
    ("DeleteOrganizationLogo", organizations::delete_logo),
    (
        "CreateOrganizationInvitation",
        organizations::create_organization_invitation,
    ),
    (
        "ListOrganizationInvitations",
        organizations::list_organization_invitations,
    ),
    (
        "CreateOrganizationInvitationBulk",
        organizations::create_organization_invitations_bulk,
    ),
    (
        "ListPendingOrganizationInvitations",
        organizations::list_pending_organization_invitations,
    ),
    (
        "GetOrganizationInvitation",
        organizations::get_organization_invitation,
    ),
    (
        "RevokeOrganizationInvitation",
        organizations::revoke_organization_invitation,
    ),
    (
        "CreateOrganizationMembership",
        organizations::create_membership,
    ),
    (
        "ListOrganizationMemberships",
        organizations::list_organization_memberships,
    ),
    (
        "UpdateOrganizationMembership",
        organizations::update_membership,
    ),
    (
        "DeleteOrganizationMembership",
        organizations::delete_membership,
    ),
    (
        "UpdateOrganizationMembershipMetadata",
        organizations::merge_membership_metadata,
    ),
    (
        "InstanceGetOrganizationMemberships",
        organizations::list_all_memberships,
    ),
    ("ListRedirectURLs", instance::list_redirect_urls),
    ("CreateRedirectURL", instance::create_redirect_url),
    ("GetRedirectURL", instance::get_redirect_url),
    ("DeleteRedirectURL", instance::delete_redirect_url),
    ("CreateSignInToken", instance::create_sign_in_token),
    ("RevokeSignInToken", instance::revoke_sign_in_token),
    ("CreateTestingToken", instance::create_testing_token),
    ("createApiKey", machine::create_api_key),
    ("getApiKeys", machine::list_api_keys),
    ("getApiKey", machine::get_api_key),
    ("updateApiKey", machine::update_api_key),
    ("deleteApiKey", machine::delete_api_key),
    ("getApiKeySecret", machine::get_api_key_secret),
    ("revokeApiKey", machine::revoke_api_key),
    ("verifyApiKey", machine::verify_api_key),
    ("verifyM2MToken", machine::verify_unknown_machine_token),
    (
        "verifyOAuthAccessToken",
        machine::verify_unknown_machine_token,
    ),
];

/// The implemented routes, resolved against clerk-core's operation table once (the
/// emulator resolves them when it starts).
///
/// # Panics
///
/// When an `operationId` of [`IMPLEMENTED`] is not in the table (a spec change that
/// dropped or renamed it); the `every_route_is_an_operation_of_the_table` test names it.
pub fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        IMPLEMENTED
            .iter()
            .map(|&(operation_id, handler)| Route {
                operation: operation(operation_id).unwrap_or_else(|| {
                    panic!(
                        "emulator route {operation_id} is not an operation of clerk-core's table"
                    )
                }),
                handler,
            })
            .collect()
    })
}

/// The table's operation with exactly this `operationId`.
fn operation(operation_id: &str) -> Option<&'static Operation> {
    clerk_core::operations::find(operation_id).filter(|op| op.operation_id == operation_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_an_operation_of_the_table() {
        let missing: Vec<&str> = IMPLEMENTED
            .iter()
            .map(|(operation_id, _)| *operation_id)
            .filter(|operation_id| operation(operation_id).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "not in clerk-core's operation table: {missing:?}"
        );
        let mut ids: Vec<&str> = IMPLEMENTED.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(
            ids.len(),
            IMPLEMENTED.len(),
            "an operationId is routed twice"
        );
        assert_eq!(routes().len(), IMPLEMENTED.len());
    }
}
