//! Security: secrets at rest, tenant isolation, privileges.
pub mod extension_in_public;
pub mod grant_to_public;
pub mod plaintext_sensitive_column;
pub mod rls_policies_not_enforced;
pub mod security_definer_search_path;
pub mod tenant_table_without_rls;
