//! The team server: one PostgreSQL database (15 or newer) that every
//! annotator's, reviewer's and admin's local project syncs with. There is no
//! server program of our own: the schema, the accounts (PostgreSQL login
//! roles) and who may read and write what (grants and row-level security)
//! live in PostgreSQL, which enforces them whatever client connects.
//!
//! This module is the only code that speaks PostgreSQL. It holds the SQL of
//! the server schema, its migrations, grants and policies ([`schema`], where
//! every table, role and policy is specified), the management of people
//! ([`people`]) and connections ([`connection`]), and the server side of the
//! sync: guarded pushes and pulls by `seq` ([`sync`]). It must not know
//! about the local SQLite store or egui; the sync protocol ([`crate::sync`])
//! builds on [`Server`] and holds no SQL of its own.
//!
//! # Setting up a server
//!
//! ```text
//! createdb team                                             # as a role that may create roles
//! tawsim server init postgres://lead@db.example:5432/team   # schema tawsim, roles, policies
//! tawsim server user add --server postgres://lead@db.example:5432/team layla --role annotator
//! ```
//!
//! The role in `init`'s URL ("the lead") becomes the owner of the schema and
//! an admin person; it must be allowed to create roles (`CREATEROLE`) and
//! schemas in the database. Nobody but the owner can alter the schema.
//!
//! # Versions
//!
//! The schema version is the row `schema_version` of `tawsim.meta`
//! ([`schema::SCHEMA_VERSION`]). [`Server::open`] refuses a server of another
//! version, naming both and what to do; `init` migrates an older server and
//! refuses a newer one, changing nothing.
//!
//! # Errors
//!
//! [`ServerError`] says what went wrong and what to do; the URL (without its
//! password) comes last. Refusals by PostgreSQL keep the server's message,
//! detail and hint.

use postgres::error::SqlState;
use thiserror::Error;
use uuid::Uuid;

pub mod connection;
pub mod people;
pub mod schema;
pub mod sync;

pub use connection::{ServerUrl, connect};
pub use people::{AddedPerson, Person, Role};
pub use schema::{InitReport, SCHEMA_VERSION};

/// The `pg_advisory_xact_lock` key that every write to a table with a `seq`
/// takes (in the trigger that stamps `seq`), and that a push takes first:
/// see "Change order" in [`schema`]. The bytes of "tawsim" then 1.
pub const PUSH_LOCK_KEY: i64 = 0x0074_6177_7369_6d01;

/// The advisory lock key `init` holds so that two inits run one after the other.
pub const INIT_LOCK_KEY: i64 = 0x0074_6177_7369_6d02;

/// What went wrong talking to the team server.
#[derive(Debug, Error)]
pub enum ServerError {
    #[error("{reason}: {url}")]
    Url { url: String, reason: String },
    #[error(
        "cannot reach the team server ({reason}); check that it runs and that the host and port are right: {url}"
    )]
    Unreachable { url: String, reason: String },
    #[error("TLS to the team server: {reason}: {url}")]
    Tls { url: String, reason: String },
    #[error(
        "the server wants a password for role {role:?} and none was given: put it in PGPASSWORD or ~/.pgpass, or type it when asked: {url}"
    )]
    PasswordNeeded { role: String, url: String },
    #[error(
        "the server refused to log in role {role:?}: {message}; check the name and password: {url}"
    )]
    Login {
        role: String,
        url: String,
        message: String,
    },
    #[error(
        "this database has no tawsim server schema yet: run `tawsim server init URL` as the role that is to own it: {url}"
    )]
    NotInitialised { url: String },
    #[error(
        "role {role:?} is not a person of this tawsim server (it has no access to the schema tawsim): an admin adds people with `tawsim server user add`: {url}"
    )]
    NotAPerson { role: String, url: String },
    #[error("{what}; this is not a tawsim server schema, so tawsim leaves it alone: {url}")]
    NotTawsim { what: String, url: String },
    #[error(
        "the server's schema is version {found}, newer than this tawsim knows ({known}): use a newer tawsim with this server; nothing was changed: {url}"
    )]
    Newer { found: i64, known: i64, url: String },
    #[error(
        "the server's schema is version {found}, older than this tawsim ({known}): the server's owner runs `tawsim server init URL` to migrate it: {url}"
    )]
    Older { found: i64, known: i64, url: String },
    #[error("{message}: {url}")]
    Refused { message: String, url: String },
    /// A statement failed; `error` is PostgreSQL's (its SQLSTATE for
    /// callers that act on it), already described in `message`.
    #[error("{during}: {message}: {url}")]
    Sql {
        during: String,
        message: String,
        url: String,
        error: postgres::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

/// A PostgreSQL error as a person reads it: the server's message with its
/// detail and hint, or the client library's description.
pub fn describe(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = db.message().to_owned();
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        if let Some(hint) = db.hint() {
            text.push_str(&format!("; {hint}"));
        }
        return text;
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// An open connection to an initialised team server, logged in as one role.
pub struct Server {
    client: postgres::Client,
    url: ServerUrl,
}

impl Server {
    /// Connect without looking at the schema (what `init` needs).
    pub fn connect(url: &ServerUrl) -> Result<Server, ServerError> {
        let client = connection::connect(url)?;
        Ok(Server {
            client,
            url: url.clone(),
        })
    }

    /// Connect and check that the server's schema is the version this build
    /// speaks ([`SCHEMA_VERSION`]); refuses any other, and a role that is
    /// not a person of the server.
    pub fn open(url: &ServerUrl) -> Result<Server, ServerError> {
        let mut server = Server::connect(url)?;
        server.check_version()?;
        Ok(server)
    }

    /// The URL this connection was opened with (its `Display` has no password).
    pub fn url(&self) -> &ServerUrl {
        &self.url
    }

    /// The connection itself, for the sync protocol's statements.
    pub fn client(&mut self) -> &mut postgres::Client {
        &mut self.client
    }

    /// The server's schema version: `None` when the database has no schema
    /// `tawsim` yet.
    pub fn schema_version(&mut self) -> Result<Option<i64>, ServerError> {
        let url = self.url.to_string();
        schema::installed_version(&mut self.client, &url).map(|state| match state {
            schema::Installed::Absent => None,
            schema::Installed::Version(v) => Some(v),
        })
    }

    /// Refuse a server whose schema is not [`SCHEMA_VERSION`].
    pub fn check_version(&mut self) -> Result<(), ServerError> {
        let url = self.url.to_string();
        match self.schema_version()? {
            None => Err(ServerError::NotInitialised { url }),
            Some(found) if found > SCHEMA_VERSION => Err(ServerError::Newer {
                found,
                known: SCHEMA_VERSION,
                url,
            }),
            Some(found) if found < SCHEMA_VERSION => Err(ServerError::Older {
                found,
                known: SCHEMA_VERSION,
                url,
            }),
            Some(_) => Ok(()),
        }
    }

    /// Create the server schema, or migrate an older one (see [`schema`]).
    pub fn init(&mut self) -> Result<InitReport, ServerError> {
        let url = self.url.to_string();
        schema::init(&mut self.client, &url, Uuid::now_v7())
    }

    /// The person this connection logs in as (`None`: the role is not a
    /// person of this server, or was removed).
    pub fn me(&mut self) -> Result<Option<Person>, ServerError> {
        let url = self.url.to_string();
        people::me(&mut self.client, &url)
    }

    /// Everyone who is or was a person of the server, by login.
    pub fn people(&mut self) -> Result<Vec<Person>, ServerError> {
        let url = self.url.to_string();
        people::list(&mut self.client, &url)
    }

    /// Add `login` as a person of `role` with `password` (or bring back a
    /// removed person, with the same uid): a login role in the role's group
    /// and a `tawsim.people` row with a fresh UUID v7. The password leaves
    /// this machine only as a SCRAM-SHA-256 verifier. Only the owner and
    /// admins may.
    pub fn add_person(
        &mut self,
        login: &str,
        display_name: Option<&str>,
        role: Role,
        password: &str,
    ) -> Result<AddedPerson, ServerError> {
        let url = self.url.to_string();
        people::add(&mut self.client, &url, login, display_name, role, password)
    }

    /// Remove a person: their login role may no longer log in and leaves
    /// its group, `removed_at` is set, and nothing they made is touched.
    /// `false` when they were removed already. Only the owner and admins
    /// may; the owner cannot be removed.
    pub fn remove_person(&mut self, login: &str) -> Result<bool, ServerError> {
        let url = self.url.to_string();
        people::remove(&mut self.client, &url, login)
    }

    /// Begin a push: a transaction holding the push lock
    /// ([`PUSH_LOCK_KEY`]) from its first statement, so that the `seq` values
    /// of its rows are all greater than those of every transaction that
    /// committed before it, and all smaller than those of every later one.
    pub fn begin_push(&mut self) -> Result<postgres::Transaction<'_>, ServerError> {
        let url = self.url.to_string();
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| sql_error("begin a push", &url, e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK_KEY])
            .map_err(|e| sql_error("take the push lock", &url, e))?;
        Ok(tx)
    }
}

/// A failed statement: what we were doing, the server's words, the URL.
pub(crate) fn sql_error(during: &str, url: &str, source: postgres::Error) -> ServerError {
    ServerError::Sql {
        during: during.to_owned(),
        message: describe(&source),
        url: url.to_owned(),
        error: source,
    }
}

/// True when the error is PostgreSQL's "permission denied" (SQLSTATE 42501).
pub(crate) fn is_permission_denied(error: &postgres::Error) -> bool {
    error.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE)
}
