//! People of the team server: each is a PostgreSQL login role, member of the
//! group role of their role (`tawsim_annotator`, `tawsim_reviewer`,
//! `tawsim_admin`), and a row of `tawsim.people` with a UUID v7 uid that
//! their work carries. Adding and removing go through the functions
//! `tawsim.add_person` and `tawsim.remove_person` (see [`super::schema`]),
//! which only the owner and admins may call; this module checks the input,
//! turns the password into a SCRAM-SHA-256 verifier on this machine (the
//! clear password never reaches the server, its logs or its statistics) and
//! reports. It must not delete anything: a removed person can no longer log
//! in, and their work stays.

use std::fmt;

use uuid::Uuid;

use super::{ServerError, is_permission_denied, sql_error};

/// What a person may do (see the policies in [`super::schema`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Annotator,
    Reviewer,
    Admin,
}

impl Role {
    /// The word stored in `tawsim.people.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Annotator => "annotator",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    /// Parse the stored word.
    pub fn parse(word: &str) -> Option<Role> {
        match word {
            "annotator" => Some(Role::Annotator),
            "reviewer" => Some(Role::Reviewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The PostgreSQL group role a person of this role is a member of.
    pub fn group(self) -> &'static str {
        match self {
            Role::Annotator => "tawsim_annotator",
            Role::Reviewer => "tawsim_reviewer",
            Role::Admin => "tawsim_admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row of `tawsim.people`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub uid: Uuid,
    /// Their PostgreSQL login role.
    pub login: String,
    /// Display name (the login unless given).
    pub name: String,
    pub role: Role,
    pub created_at: String,
    /// When they were removed; `None` while they may log in.
    pub removed_at: Option<String>,
}

/// The result of adding a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedPerson {
    pub uid: Uuid,
    /// True when the person had been removed and is back (same uid, so
    /// their earlier work is theirs again).
    pub restored: bool,
}

/// Check a login before asking the server: a letter, then up to 62
/// letters, digits, `_`, `.` or `-` (ASCII, so it can be written in a URL
/// as it is); not `pg_…` or `tawsim_…`, which PostgreSQL and tawsim reserve.
pub fn check_login(login: &str) -> Result<(), ServerError> {
    let mut chars = login.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !first_ok || !rest_ok || login.len() > 63 {
        return Err(ServerError::Invalid(format!(
            "{login:?} cannot be a login: use a letter, then up to 62 ASCII letters, digits, \
             _ . or - (e.g. layla or omar.k)"
        )));
    }
    if login.starts_with("pg_") || login.starts_with("tawsim_") {
        return Err(ServerError::Invalid(format!(
            "{login:?} cannot be a login: names starting with pg_ or tawsim_ are reserved"
        )));
    }
    Ok(())
}

/// Add `login` as a person of `role` with `password` (or bring back a
/// removed person with a new password and role): creates the login role in
/// the role's group and the `tawsim.people` row with a fresh UUID v7.
pub(crate) fn add(
    client: &mut postgres::Client,
    url: &str,
    login: &str,
    display_name: Option<&str>,
    role: Role,
    password: &str,
) -> Result<AddedPerson, ServerError> {
    check_login(login)?;
    if password.is_empty() {
        return Err(ServerError::Invalid(format!(
            "the password for {login} is empty: give one"
        )));
    }
    let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
    let uid = Uuid::now_v7();
    let row = client
        .query_one(
            "SELECT person, restored FROM tawsim.add_person($1, $2, $3, $4, $5)",
            &[&uid, &login, &display_name, &role.as_str(), &verifier],
        )
        .map_err(|e| management_error(&format!("add {login}"), url, e))?;
    Ok(AddedPerson {
        uid: row.get(0),
        restored: row.get(1),
    })
}

/// Remove `login`: their role may no longer log in and leaves its group;
/// `tawsim.people.removed_at` is set. Nothing they made is touched. `false`
/// when they were removed already.
pub(crate) fn remove(
    client: &mut postgres::Client,
    url: &str,
    login: &str,
) -> Result<bool, ServerError> {
    client
        .query_one("SELECT tawsim.remove_person($1)", &[&login])
        .map(|row| row.get(0))
        .map_err(|e| management_error(&format!("remove {login}"), url, e))
}

/// Everyone who is or was a person, by login.
pub(crate) fn list(client: &mut postgres::Client, url: &str) -> Result<Vec<Person>, ServerError> {
    let rows = client
        .query(
            "SELECT uid, login::text, name, role, created_at, removed_at
               FROM tawsim.people ORDER BY login",
            &[],
        )
        .map_err(|e| sql_error("list the people", url, e))?;
    rows.iter().map(|row| person(row, url)).collect()
}

/// The live person the connection logs in as.
pub(crate) fn me(client: &mut postgres::Client, url: &str) -> Result<Option<Person>, ServerError> {
    let row = client
        .query_opt(
            "SELECT uid, login::text, name, role, created_at, removed_at
               FROM tawsim.people WHERE uid = tawsim.me()",
            &[],
        )
        .map_err(|e| sql_error("find who this login is", url, e))?;
    row.map(|row| person(&row, url)).transpose()
}

fn person(row: &postgres::Row, url: &str) -> Result<Person, ServerError> {
    let word: String = row.get(3);
    let role = Role::parse(&word).ok_or_else(|| ServerError::NotTawsim {
        what: format!("tawsim.people has a role {word:?}"),
        url: url.to_owned(),
    })?;
    Ok(Person {
        uid: row.get(0),
        login: row.get(1),
        name: row.get(2),
        role,
        created_at: row.get(4),
        removed_at: row.get(5),
    })
}

/// A refused `add_person`/`remove_person`: permission denied means the URL's
/// role is neither the owner nor an admin.
fn management_error(during: &str, url: &str, error: postgres::Error) -> ServerError {
    let denied = is_permission_denied(&error)
        && error
            .as_db_error()
            .is_some_and(|db| db.message().starts_with("permission denied"));
    if denied {
        return ServerError::Refused {
            message: format!(
                "cannot {during}: {}; only the server's owner (the role that ran `tawsim \
                 server init`) and admins manage people, so put one of them in the URL",
                super::describe(&error)
            ),
            url: url.to_owned(),
        };
    }
    if let Some(db) = error.as_db_error() {
        return ServerError::Refused {
            message: format!("cannot {during}: {}", super::describe(&error))
                + if db.code() == &postgres::error::SqlState::UNDEFINED_FUNCTION {
                    "; is this a tawsim server? run `tawsim server init URL` first"
                } else {
                    ""
                },
            url: url.to_owned(),
        };
    }
    sql_error(during, url, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_checked_before_the_server_sees_them() {
        for good in ["layla", "omar.k", "sara_2", "A-b"] {
            assert!(check_login(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "2omar",
            "ليلى",
            "a b",
            "x;drop",
            "pg_monitor",
            "tawsim_admin",
            &"a".repeat(64),
        ] {
            let err = check_login(bad).unwrap_err();
            assert!(err.to_string().contains("login"), "{bad}: {err}");
        }
    }

    #[test]
    fn roles_round_trip_and_name_their_group() {
        for role in [Role::Annotator, Role::Reviewer, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(role.group(), format!("tawsim_{role}"));
        }
        assert_eq!(Role::parse("owner"), None);
    }
}
