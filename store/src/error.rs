//! The store's error type and the mapping of database errors (unique violations) onto it.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or is not in the given realm).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was violated; the message is fit to show to the operator.
    #[error("{0}")]
    Conflict(&'static str),
    /// The row was changed by someone else since it was read (optimistic concurrency).
    #[error("the record was changed by someone else; reload and try again")]
    Stale,
    /// The database cannot be reached or opened.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The schema migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
}

/// Unique indexes whose violation is a user-facing conflict:
/// (index name for PostgreSQL, column list in SQLite's message, message).
const UNIQUE_RULES: &[(&str, &str, &str)] = &[
    (
        "client_realm_client_id_key",
        "client.realm_id, client.client_id",
        "a client with this client id already exists in this realm",
    ),
    (
        "realm_name_key",
        "realm.name",
        "a realm with this name already exists",
    ),
    (
        "client_key_thumbprint_key",
        "index 'client_key_thumbprint_key'",
        "this key is already registered for this client",
    ),
    (
        "client_key_kid_key",
        "index 'client_key_kid_key'",
        "another key of this client already has this kid",
    ),
    (
        "client_scope_realm_name_key",
        "client_scope.realm_id, client_scope.name",
        "a client scope with this name already exists in this realm",
    ),
    (
        "identity_provider_realm_alias_key",
        "identity_provider.realm_id, identity_provider.alias",
        "an identity provider with this alias already exists in this realm",
    ),
    (
        "federated_binding_subject_key",
        "federated_binding.realm_id, federated_binding.idp_row_id, federated_binding.subject",
        "another binding of this realm already accepts this provider's tokens with this subject",
    ),
    (
        "federated_binding_expr_key",
        "federated_binding.realm_id, federated_binding.idp_row_id, federated_binding.claims_expr",
        "another binding of this realm already accepts this provider's tokens with this expression",
    ),
    (
        "federated_binding_label_key",
        "federated_binding.client_row_id, federated_binding.label",
        "this client already has a binding with this label",
    ),
    (
        "operator_username_key",
        "operator.username",
        "an operator with this username already exists",
    ),
];

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => return StoreError::NotFound,
            sqlx::Error::Database(db_err) if db_err.is_unique_violation() => {
                let constraint = db_err.constraint();
                let message = db_err.message();
                for (index, sqlite_columns, text) in UNIQUE_RULES {
                    let by_name = constraint == Some(*index);
                    // SQLite reports "UNIQUE constraint failed: table.col, table.col".
                    let by_columns = constraint.is_none()
                        && message
                            .strip_prefix("UNIQUE constraint failed: ")
                            .is_some_and(|cols| cols == *sqlite_columns);
                    if by_name || by_columns {
                        return StoreError::Conflict(text);
                    }
                }
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                return StoreError::Unavailable(one_line(&err.to_string()));
            }
            _ => {}
        }
        StoreError::Db(err)
    }
}

/// Collapses a multi-line error message into one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
