//! `tawsim server init` and `tawsim server user add|remove|list` against a
//! real PostgreSQL cluster (see `common/pg.rs`), through the real binary.

#[path = "common/pg.rs"]
mod pg;

use std::process::{Command, Output, Stdio};

use pg::{Cluster, LEAD, LEAD_PASSWORD, TEAM_DB};

const TABLES: [&str; 12] = [
    "assignments",
    "documents",
    "events",
    "layers",
    "marks",
    "meta",
    "people",
    "reviews",
    "schemas",
    "settings",
    "spans",
    "statuses",
];

/// Run `tawsim ARGS` with no terminal; `password` goes in TAWSIM_NEW_PASSWORD.
fn tawsim(args: &[&str], password: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tawsim"));
    command
        .args(args)
        .stdin(Stdio::null())
        .env_remove("PGPASSWORD")
        .env_remove("TAWSIM_NEW_PASSWORD")
        .env("PGPASSFILE", "/nonexistent/pgpass");
    if let Some(password) = password {
        command.env("TAWSIM_NEW_PASSWORD", password);
    }
    command.output().expect("run tawsim")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "tawsim failed ({}):\n{}{}",
        output.status,
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// Everything in schema tawsim and every tawsim row that init could touch.
fn snapshot(cluster: &Cluster) -> Vec<String> {
    let mut lead = cluster.connect(LEAD, LEAD_PASSWORD, TEAM_DB).unwrap();
    let mut out = Vec::new();
    for row in lead
        .query(
            "SELECT relkind::text || ' ' || relname::text FROM pg_class
              WHERE relnamespace = 'tawsim'::regnamespace ORDER BY relname",
            &[],
        )
        .unwrap()
    {
        out.push(row.get(0));
    }
    for row in lead
        .query(
            "SELECT key || '=' || value FROM tawsim.meta ORDER BY key",
            &[],
        )
        .unwrap()
    {
        out.push(row.get(0));
    }
    for row in lead
        .query(
            "SELECT uid::text || ' ' || login || ' ' || role || ' ' || seq FROM tawsim.people
             UNION ALL SELECT uid::text || ' ' || name || ' ' || seq FROM tawsim.layers
             ORDER BY 1",
            &[],
        )
        .unwrap()
    {
        out.push(row.get(0));
    }
    let last: i64 = lead
        .query_one("SELECT last_value FROM tawsim.change_seq", &[])
        .unwrap()
        .get(0);
    out.push(format!("change_seq {last}"));
    out
}

#[test]
fn init_creates_the_schema_and_a_second_init_changes_nothing() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.create_team();
    let url = cluster.lead_url();
    let first = ok(tawsim(&["server", "init", &url], None));
    assert!(
        first.contains(&format!(
            "created the tawsim server schema (version {})",
            tawsim::server::SCHEMA_VERSION
        )),
        "{first}"
    );
    assert!(first.contains("lead owns the schema"), "{first}");
    assert!(
        !first.contains(LEAD_PASSWORD),
        "the password was printed: {first}"
    );

    let mut lead = cluster.connect(LEAD, LEAD_PASSWORD, TEAM_DB).unwrap();
    let tables: Vec<String> = lead
        .query(
            "SELECT c.relname::text FROM pg_class c
              WHERE c.relnamespace = 'tawsim'::regnamespace AND c.relkind = 'r'
                AND c.relrowsecurity AND c.relforcerowsecurity
              ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        tables, TABLES,
        "every table, with forced row-level security"
    );
    let version: String = lead
        .query_one(
            "SELECT value FROM tawsim.meta WHERE key = 'schema_version'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(version, tawsim::server::SCHEMA_VERSION.to_string());
    let (login, role): (String, String) = {
        let row = lead
            .query_one("SELECT login::text, role FROM tawsim.people", &[])
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((login.as_str(), role.as_str()), (LEAD, "admin"));
    let gold: String = lead
        .query_one(
            "SELECT name FROM tawsim.layers WHERE uid = '00000000-0000-7000-8000-000000000001'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(gold, "gold");
    let groups: i64 = lead
        .query_one(
            "SELECT count(*) FROM pg_roles
              WHERE rolname IN ('tawsim_annotator', 'tawsim_reviewer', 'tawsim_admin')
                AND NOT rolcanlogin",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(groups, 3);
    drop(lead);

    let before = snapshot(&cluster);
    let second = ok(tawsim(&["server", "init", &url], None));
    assert!(
        second.contains(&format!(
            "already has the tawsim schema version {}; nothing changed",
            tawsim::server::SCHEMA_VERSION
        )),
        "{second}"
    );
    assert_eq!(snapshot(&cluster), before);
}

#[test]
fn a_server_of_a_newer_version_is_refused_and_left_alone() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.create_team();
    let url = cluster.lead_url();
    ok(tawsim(&["server", "init", &url], None));
    let mut lead = cluster.connect(LEAD, LEAD_PASSWORD, TEAM_DB).unwrap();
    lead.execute(
        "UPDATE tawsim.meta SET value = '7' WHERE key = 'schema_version'",
        &[],
    )
    .unwrap();
    let before = snapshot(&cluster);

    let refused = tawsim(&["server", "init", &url], None);
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(
        message.contains(&format!(
            "the server's schema is version 7, newer than this tawsim knows ({})",
            tawsim::server::SCHEMA_VERSION
        )),
        "{message}"
    );
    assert!(message.contains("nothing was changed"), "{message}");
    assert!(
        message.contains("postgres://lead@127.0.0.1:"),
        "names the server: {message}"
    );
    assert!(
        !message.contains(LEAD_PASSWORD),
        "the password was printed: {message}"
    );
    assert_eq!(snapshot(&cluster), before);

    // A client refuses it too.
    let refused = tawsim(
        &[
            "server",
            "user",
            "add",
            "--server",
            &url,
            "layla",
            "--role",
            "annotator",
        ],
        Some("layla-pw"),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains(&format!(
            "version 7, newer than this tawsim knows ({})",
            tawsim::server::SCHEMA_VERSION
        )),
        "{}",
        stderr(&refused)
    );
    assert_eq!(snapshot(&cluster), before);
}

#[test]
fn init_says_what_the_role_lacks_and_creates_nothing() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.create_team();
    cluster.sql(
        "postgres",
        "CREATE ROLE plain LOGIN PASSWORD 'plain-pw';
         GRANT CREATE ON DATABASE team TO plain;",
    );
    let refused = tawsim(
        &["server", "init", &cluster.url("plain", "plain-pw", TEAM_DB)],
        None,
    );
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(
        message.contains("role plain may not create roles"),
        "{message}"
    );
    assert!(message.contains("CREATEROLE"), "{message}");
    let mut lead = cluster.connect(LEAD, LEAD_PASSWORD, TEAM_DB).unwrap();
    let schema: bool = lead
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'tawsim')",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(!schema, "nothing was created");

    // A wrong password is named as such.
    let refused = tawsim(
        &["server", "init", &cluster.url(LEAD, "wrong", TEAM_DB)],
        None,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("refused to log in role \"lead\""),
        "{}",
        stderr(&refused)
    );
    // No password and no terminal: say where to put one.
    let refused = tawsim(
        &[
            "server",
            "init",
            &cluster.url_without_password(LEAD, TEAM_DB),
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("PGPASSWORD"),
        "{}",
        stderr(&refused)
    );
    // TLS required of a server that offers none: refused, saying so.
    let refused = tawsim(
        &[
            "server",
            "init",
            &format!("{}?sslmode=require", cluster.lead_url()),
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("TLS"), "{}", stderr(&refused));
}

#[test]
fn people_are_added_and_removed_through_the_command_line() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.create_team();
    let url = cluster.lead_url();
    ok(tawsim(&["server", "init", &url], None));

    let added = ok(tawsim(
        &[
            "server",
            "user",
            "add",
            "--server",
            &url,
            "layla",
            "--role",
            "annotator",
        ],
        Some("layla-pw"),
    ));
    assert!(added.contains("added layla as annotator"), "{added}");
    assert!(added.contains("tawsim_annotator"), "{added}");
    assert!(
        !added.contains("layla-pw"),
        "the password was printed: {added}"
    );

    // layla logs in with her password, as herself, an annotator.
    let mut layla = cluster.connect("layla", "layla-pw", TEAM_DB).unwrap();
    let row = layla
        .query_one("SELECT tawsim.me()::text, tawsim.my_role()", &[])
        .unwrap();
    let (uid, role): (String, String) = (row.get(0), row.get(1));
    assert_eq!(role, "annotator");
    assert_eq!(uid.as_bytes()[14], b'7', "a UUID version 7: {uid}");
    assert!(added.contains(&uid), "{added}");
    drop(layla);
    assert!(cluster.connect("layla", "wrong", TEAM_DB).is_err());

    // The password is stored as a SCRAM verifier.
    let mut superuser =
        postgres::Client::connect(&cluster.superuser_url(TEAM_DB), postgres::NoTls).unwrap();
    let stored: String = superuser
        .query_one(
            "SELECT rolpassword FROM pg_authid WHERE rolname = 'layla'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(stored.starts_with("SCRAM-SHA-256$"), "{stored}");

    // Adding her twice is refused; nothing changes.
    let again = tawsim(
        &[
            "server", "user", "add", "--server", &url, "layla", "--role", "admin",
        ],
        Some("x"),
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("there is already a person layla"),
        "{}",
        stderr(&again)
    );
    // No password and no terminal: refused before anything is done.
    let none = tawsim(
        &[
            "server",
            "user",
            "add",
            "--server",
            &url,
            "omar",
            "--role",
            "annotator",
        ],
        None,
    );
    assert_eq!(none.status.code(), Some(1));
    assert!(
        stderr(&none).contains("TAWSIM_NEW_PASSWORD"),
        "{}",
        stderr(&none)
    );
    // An annotator may not manage people.
    let refused = tawsim(
        &[
            "server",
            "user",
            "add",
            "--server",
            &cluster.url("layla", "layla-pw", TEAM_DB),
            "eve",
            "--role",
            "admin",
        ],
        Some("eve-pw"),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("only the server's owner"),
        "{}",
        stderr(&refused)
    );
    assert!(cluster.connect("eve", "eve-pw", TEAM_DB).is_err());
    // An admin may.
    ok(tawsim(
        &[
            "server", "user", "add", "--server", &url, "sara", "--role", "admin",
        ],
        Some("sara-pw"),
    ));
    ok(tawsim(
        &[
            "server",
            "user",
            "add",
            "--server",
            &cluster.url("sara", "sara-pw", TEAM_DB),
            "omar",
            "--role",
            "reviewer",
            "--display-name",
            "عمر",
        ],
        Some("omar-pw"),
    ));
    let mut omar = cluster.connect("omar", "omar-pw", TEAM_DB).unwrap();
    let row = omar
        .query_one(
            "SELECT name, tawsim.my_role() FROM tawsim.people WHERE uid = tawsim.me()",
            &[],
        )
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, String>(1)),
        ("عمر".to_owned(), "reviewer".to_owned())
    );
    drop(omar);

    let list = ok(tawsim(&["server", "user", "list", "--server", &url], None));
    assert!(list.starts_with("4 people on"), "{list}");
    for login in ["lead", "layla", "omar", "sara"] {
        assert!(list.contains(login), "{list}");
    }

    // Removed: she can no longer log in; her row stays, marked.
    let removed = ok(tawsim(
        &["server", "user", "remove", "--server", &url, "layla"],
        None,
    ));
    assert!(removed.contains("removed layla"), "{removed}");
    let error = cluster
        .connect("layla", "layla-pw", TEAM_DB)
        .err()
        .expect("a removed person cannot log in");
    assert!(
        error.to_string().contains("not permitted to log in")
            || format!("{error:?}").contains("not permitted to log in"),
        "{error:?}"
    );
    let mut lead = cluster.connect(LEAD, LEAD_PASSWORD, TEAM_DB).unwrap();
    let row = lead
        .query_one(
            "SELECT uid::text, removed_at FROM tawsim.people WHERE login = 'layla'",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), uid, "her row stays");
    assert!(row.get::<_, Option<String>>(1).is_some(), "marked removed");
    let twice = ok(tawsim(
        &["server", "user", "remove", "--server", &url, "layla"],
        None,
    ));
    assert!(twice.contains("already removed"), "{twice}");
    // The owner cannot be removed.
    let refused = tawsim(
        &["server", "user", "remove", "--server", &url, "lead"],
        None,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("owns this server's schema"),
        "{}",
        stderr(&refused)
    );

    // Added back: the same person, a new password.
    let back = ok(tawsim(
        &[
            "server", "user", "add", "--server", &url, "layla", "--role", "reviewer",
        ],
        Some("layla-new"),
    ));
    assert!(back.contains("is back as reviewer"), "{back}");
    assert!(back.contains(&uid), "{back}");
    let mut layla = cluster.connect("layla", "layla-new", TEAM_DB).unwrap();
    let role: String = layla
        .query_one("SELECT tawsim.my_role()", &[])
        .unwrap()
        .get(0);
    assert_eq!(role, "reviewer");
    assert!(cluster.connect("layla", "layla-pw", TEAM_DB).is_err());
}

#[test]
fn tls_is_used_when_the_server_offers_it_and_checked_with_verify_full() {
    use tawsim::server::{Server, ServerError, ServerUrl};
    let Some(cluster) = Cluster::start_with_tls() else {
        return;
    };
    cluster.create_team();
    let encrypted = |url: &str| -> Result<bool, ServerError> {
        let mut server = Server::connect(&ServerUrl::parse(url)?)?;
        Ok(server
            .client()
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0))
    };
    let base = cluster.lead_url();
    assert!(encrypted(&base).unwrap(), "prefer, the default, encrypts");
    assert!(encrypted(&format!("{base}?sslmode=require")).unwrap());
    assert!(!encrypted(&format!("{base}?sslmode=disable")).unwrap());
    let ca = cluster.ca_cert.as_ref().unwrap().display().to_string();
    for host in ["127.0.0.1", "localhost"] {
        let url = format!(
            "postgres://{LEAD}:{LEAD_PASSWORD}@{host}:{}/{TEAM_DB}?sslmode=verify-full&sslrootcert={ca}",
            cluster.port
        );
        assert!(encrypted(&url).unwrap(), "{url}");
    }
    // A certificate no known authority signed is refused with verify-full.
    let error = encrypted(&format!("{base}?sslmode=verify-full")).unwrap_err();
    assert!(matches!(error, ServerError::Tls { .. }), "{error}");
    assert!(error.to_string().contains("sslrootcert=PATH"), "{error}");
    // The command line works over TLS too.
    ok(tawsim(
        &["server", "init", &format!("{base}?sslmode=require")],
        None,
    ));
}
