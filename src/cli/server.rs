//! `tawsim server init` and `tawsim server user add|remove|list`: set up a
//! team server and manage its people. The work is done by
//! [`crate::server`]; this module parses, asks for passwords on a terminal
//! and prints what was done. It never prints a password, and a URL only
//! without its password.

use std::io::IsTerminal as _;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};

use crate::server::{InitReport, Role, SCHEMA_VERSION, Server, ServerError, ServerUrl};

/// The environment variable `user add` reads the new person's password from
/// when there is no terminal to ask on.
pub const NEW_PASSWORD_VAR: &str = "TAWSIM_NEW_PASSWORD";

#[derive(Args, Debug)]
pub struct ServerArgs {
    #[command(subcommand)]
    pub command: ServerCommand,
}

#[derive(Subcommand, Debug)]
pub enum ServerCommand {
    /// Create the tawsim schema on a PostgreSQL database (15 or newer), or
    /// migrate an older one. URL names a role that may create roles and
    /// schemas; it becomes the schema's owner and an admin.
    #[command(after_help = "Example:
  createdb team
  tawsim server init postgres://lead@db.example:5432/team")]
    Init(InitArgs),
    /// Manage the people of a team server.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// postgres://NAME[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require|verify-full]
    #[arg(value_name = "URL")]
    pub url: String,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a person: a PostgreSQL login role in the group of their role, and
    /// their row on the server. The password is asked for on a terminal,
    /// else read from TAWSIM_NEW_PASSWORD.
    #[command(after_help = "Examples:
  tawsim server user add --server postgres://lead@db.example/team layla --role annotator
  TAWSIM_NEW_PASSWORD=… tawsim server user add --server URL sara --role reviewer")]
    Add(UserAddArgs),
    /// Remove a person: their role can no longer log in; their work stays.
    #[command(after_help = "Example:
  tawsim server user remove --server postgres://lead@db.example/team omar")]
    Remove(UserRemoveArgs),
    /// List the people of the server.
    #[command(after_help = "Example:
  tawsim server user list --server postgres://lead@db.example/team")]
    List(UserListArgs),
}

#[derive(Args, Debug)]
pub struct UserAddArgs {
    /// The server, as its owner or an admin.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// What the person may do.
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// The name shown for them. Default: the login.
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    /// Their login (a PostgreSQL role name: a letter, then letters, digits, _ . -).
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Args, Debug)]
pub struct UserRemoveArgs {
    /// The server, as its owner or an admin.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// Their login.
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Args, Debug)]
pub struct UserListArgs {
    /// The server.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleArg {
    Annotator,
    Reviewer,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Annotator => Role::Annotator,
            RoleArg::Reviewer => Role::Reviewer,
            RoleArg::Admin => Role::Admin,
        }
    }
}

pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    match args.command {
        ServerCommand::Init(args) => init(args),
        ServerCommand::User(UserCommand::Add(args)) => user_add(args),
        ServerCommand::User(UserCommand::Remove(args)) => user_remove(args),
        ServerCommand::User(UserCommand::List(args)) => user_list(args),
    }
}

/// Connect; when the server wants a password nobody gave, ask on the
/// terminal (if there is one) and try once more.
pub(super) fn connect(url: &str) -> anyhow::Result<Server> {
    let mut url = ServerUrl::parse(url)?;
    match Server::connect(&url) {
        Err(ServerError::PasswordNeeded { role, .. }) if std::io::stdin().is_terminal() => {
            let password = rpassword::prompt_password(format!("Password of {role} on {url}: "))
                .context("reading the password from the terminal")?;
            url.set_password(&password);
            Ok(Server::connect(&url)?)
        }
        result => Ok(result?),
    }
}

fn init(args: InitArgs) -> anyhow::Result<()> {
    let mut server = connect(&args.url)?;
    let url = server.url().clone();
    match server.init()? {
        InitReport::Created { version, owner } => {
            println!(
                "created the tawsim server schema (version {version}) on {url}: group roles \
                 tawsim_annotator, tawsim_reviewer, tawsim_admin; {owner} owns the schema and is \
                 an admin"
            );
            println!(
                "next: tawsim server user add --server {url} NAME --role annotator|reviewer|admin"
            );
        }
        InitReport::Current { version } => {
            println!(
                "the server at {url} already has the tawsim schema version {version}; nothing changed"
            );
        }
        InitReport::Migrated { from, to } => {
            println!("migrated the tawsim server schema at {url} from version {from} to {to}");
        }
    }
    Ok(())
}

fn user_add(args: UserAddArgs) -> anyhow::Result<()> {
    crate::server::people::check_login(&args.name)?;
    let role = Role::from(args.role);
    let password = new_password(&args.name)?;
    let mut server = connect(&args.server)?;
    server.check_version()?;
    let added = server.add_person(&args.name, args.display_name.as_deref(), role, &password)?;
    let url = server.url().clone();
    if added.restored {
        println!(
            "{} was removed before and is back as {role} (person {}, same as before): their \
             login role may log in again with the new password, in group {}",
            args.name,
            added.uid,
            role.group()
        );
    } else {
        println!(
            "added {} as {role} on {url}: login role {} with the given password, in group {}; \
             person {}",
            args.name,
            args.name,
            role.group(),
            added.uid
        );
    }
    println!(
        "they connect with postgres://{}@{}:{}/{}",
        args.name,
        url.host(),
        url.port(),
        url.dbname().unwrap_or(&args.name)
    );
    Ok(())
}

/// The new person's password: asked twice on a terminal, else from
/// [`NEW_PASSWORD_VAR`].
fn new_password(login: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("New password for {login}: "))
            .context("reading the new password from the terminal")?;
        let again = rpassword::prompt_password("The same again: ")
            .context("reading the new password from the terminal")?;
        if first != again {
            bail!("the two passwords differ; nothing was changed");
        }
        if first.is_empty() {
            bail!("the password is empty; nothing was changed");
        }
        return Ok(first);
    }
    match std::env::var(NEW_PASSWORD_VAR) {
        Ok(password) if !password.is_empty() => Ok(password),
        _ => bail!(
            "no password for {login}: there is no terminal to ask on, so set \
             {NEW_PASSWORD_VAR}; nothing was changed"
        ),
    }
}

fn user_remove(args: UserRemoveArgs) -> anyhow::Result<()> {
    let mut server = connect(&args.server)?;
    server.check_version()?;
    let url = server.url().clone();
    if server.remove_person(&args.name)? {
        println!(
            "removed {} from {url}: the login role can no longer log in and left its tawsim \
             group; everything they made stays on the server",
            args.name
        );
    } else {
        println!(
            "{} was already removed from {url}; nothing changed",
            args.name
        );
    }
    Ok(())
}

fn user_list(args: UserListArgs) -> anyhow::Result<()> {
    let mut server = connect(&args.server)?;
    server.check_version()?;
    let people = server.people()?;
    if args.json {
        let out: Vec<serde_json::Value> = people
            .iter()
            .map(|p| {
                serde_json::json!({
                    "uid": p.uid.to_string(),
                    "login": p.login,
                    "name": p.name,
                    "role": p.role.as_str(),
                    "created_at": p.created_at,
                    "removed_at": p.removed_at,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let live = people.iter().filter(|p| p.removed_at.is_none()).count();
    println!(
        "{live} people on {} (schema version {SCHEMA_VERSION})",
        server.url()
    );
    for p in &people {
        let removed = p
            .removed_at
            .as_deref()
            .map(|at| format!("  removed {at}"))
            .unwrap_or_default();
        println!(
            "{:<20} {:<9} {}  {}{removed}",
            p.login, p.role, p.uid, p.name
        );
    }
    Ok(())
}
