//! A throwaway PostgreSQL cluster for the server tests: `initdb` and
//! `pg_ctl` from the newest PostgreSQL (15 or newer) under
//! `/usr/lib/postgresql/*/bin`, in a temporary directory, with a Unix socket
//! directory of its own and a free TCP port on 127.0.0.1, password (SCRAM)
//! logins over TCP so that logging in as a person is real. Run as root, the
//! server runs as `postgres` (or a `tawsim-pg` user made for it). The cluster
//! is stopped (`pg_ctl stop -m immediate`) when the [`Cluster`] is dropped,
//! also when the test panics.
//!
//! [`Cluster::start_with_tls`] also turns TLS on, with a certificate for
//! `localhost` and `127.0.0.1` signed by a throwaway authority.
//!
//! Without PostgreSQL, [`Cluster::start`] prints one line to stderr and
//! returns `None`, so the tests pass as skipped; with
//! `TAWSIM_REQUIRE_POSTGRES=1` (as `.ci/run` sets) it panics instead.
#![allow(dead_code)]

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Once;

/// The cluster's superuser.
pub const SUPERUSER: &str = "pgsuper";
const SUPERUSER_PASSWORD: &str = "pgsuper-pw";

/// The team lead of the tests: may create roles, owns database `team`.
pub const LEAD: &str = "lead";
pub const LEAD_PASSWORD: &str = "lead-pw";
pub const TEAM_DB: &str = "team";

const REQUIRE_VAR: &str = "TAWSIM_REQUIRE_POSTGRES";

/// A running PostgreSQL cluster, stopped on drop.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    run_as: Option<String>,
    pub port: u16,
    /// The server's `-o` options of `pg_ctl start` (port, socket, settings),
    /// for [`Cluster::start_again`] and [`Cluster::restart`].
    options: String,
    /// With TLS on: the certificate of the authority that signed the
    /// server's certificate (for `localhost` and `127.0.0.1`).
    pub ca_cert: Option<PathBuf>,
}

impl Cluster {
    /// Start a new cluster, or say why not (once per test binary) and
    /// return `None`.
    pub fn start() -> Option<Cluster> {
        Cluster::start_with(false)
    }

    /// The same with TLS on, its certificate made with the `openssl`
    /// program (which Debian's `postgresql` package brings along).
    pub fn start_with_tls() -> Option<Cluster> {
        Cluster::start_with(true)
    }

    fn start_with(tls: bool) -> Option<Cluster> {
        match Cluster::try_start(tls) {
            Ok(cluster) => Some(cluster),
            Err(reason) => {
                if std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1") {
                    panic!("{REQUIRE_VAR}=1 and no PostgreSQL server could be started: {reason}");
                }
                static SAID: Once = Once::new();
                SAID.call_once(|| {
                    // Straight to the file descriptor: the test harness
                    // captures eprintln! of passing tests.
                    let _ = writeln!(
                        std::io::stderr(),
                        "skipped server tests ({}): {reason}",
                        env!("CARGO_CRATE_NAME")
                    );
                });
                None
            }
        }
    }

    fn try_start(tls: bool) -> Result<Cluster, String> {
        let bin = newest_postgres()?;
        let run_as = server_user()?;
        let dir = tempfile::Builder::new()
            .prefix("tawsim-pg-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        let sock = dir.path().join("sock");
        std::fs::create_dir(&sock).map_err(|e| format!("cannot make {}: {e}", sock.display()))?;
        let pwfile = dir.path().join("pwfile");
        std::fs::write(&pwfile, SUPERUSER_PASSWORD)
            .map_err(|e| format!("cannot write {}: {e}", pwfile.display()))?;
        if let Some(user) = &run_as {
            let (uid, gid) = ids_of(user)?;
            for path in [dir.path(), &sock, &pwfile] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid))
                    .map_err(|e| format!("cannot give {} to {user}: {e}", path.display()))?;
            }
        }
        let mut cluster = Cluster {
            dir,
            bin,
            run_as,
            port: 0,
            options: String::new(),
            ca_cert: None,
        };
        let data = cluster.data();
        cluster.run_tool(
            "initdb",
            &[
                "-D",
                path_str(&data)?,
                "-U",
                SUPERUSER,
                &format!("--pwfile={}", path_str(&pwfile)?),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
        )?;
        if tls {
            cluster.ca_cert = Some(cluster.make_certificates()?);
        }
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let options = format!(
                "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                 -c shared_buffers=16MB -c max_connections=50 -c ssl={}",
                path_str(&sock)?,
                if tls { "on" } else { "off" }
            );
            let log = cluster.dir.path().join("server.log");
            match cluster.run_tool(
                "pg_ctl",
                &[
                    "-D",
                    path_str(&data)?,
                    "-l",
                    path_str(&log)?,
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    &options,
                    "start",
                ],
            ) {
                Ok(_) => {
                    cluster.port = port;
                    cluster.options = options;
                    return Ok(cluster);
                }
                Err(error) => {
                    let log = std::fs::read_to_string(&log).unwrap_or_default();
                    last_error = format!("{error}\n{log}");
                }
            }
        }
        Err(format!("pg_ctl start failed five times: {last_error}"))
    }

    /// A certificate authority in the temporary directory and a server
    /// certificate it signed, in the data directory where PostgreSQL looks
    /// (`server.crt`, `server.key`). Returns the authority's certificate.
    fn make_certificates(&self) -> Result<PathBuf, String> {
        let dir = self.dir.path();
        let data = self.data();
        let (ca_key, ca_cert) = (dir.join("ca.key"), dir.join("ca.crt"));
        let (key, csr, cert) = (
            data.join("server.key"),
            dir.join("server.csr"),
            data.join("server.crt"),
        );
        let ext = dir.join("server.ext");
        std::fs::write(
            &ext,
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .map_err(|e| format!("cannot write {}: {e}", ext.display()))?;
        let openssl = |args: &[&str]| -> Result<(), String> {
            let out = Command::new("openssl")
                .args(args)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("cannot run openssl (install the openssl package): {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "openssl {} failed: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            Ok(())
        };
        openssl(&[
            "req",
            "-new",
            "-x509",
            "-days",
            "2",
            "-nodes",
            "-subj",
            "/CN=tawsim test CA",
            "-keyout",
            path_str(&ca_key)?,
            "-out",
            path_str(&ca_cert)?,
        ])?;
        openssl(&[
            "req",
            "-new",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            path_str(&key)?,
            "-out",
            path_str(&csr)?,
        ])?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            path_str(&csr)?,
            "-CA",
            path_str(&ca_cert)?,
            "-CAkey",
            path_str(&ca_key)?,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            path_str(&ext)?,
            "-out",
            path_str(&cert)?,
        ])?;
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot protect {}: {e}", key.display()))?;
        if let Some(user) = &self.run_as {
            let (uid, gid) = ids_of(user)?;
            for path in [&key, &cert] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid))
                    .map_err(|e| format!("cannot give {} to {user}: {e}", path.display()))?;
            }
        }
        Ok(ca_cert)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Run a PostgreSQL program (as the server's user when we are root).
    fn run_tool(&self, tool: &str, args: &[&str]) -> Result<Output, String> {
        let program = self.bin.join(tool);
        let mut command = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        let output = command
            .output()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        if !output.status.success() {
            return Err(format!(
                "{} {} failed ({}): {}{}",
                program.display(),
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(output)
    }

    /// Stop the server (`pg_ctl stop -m fast`: sessions are ended, the
    /// clients' connections cut), as a server that goes away does.
    pub fn stop(&self) {
        let data = self.data();
        self.run_tool(
            "pg_ctl",
            &["-D", path_str(&data).unwrap(), "-m", "fast", "-w", "stop"],
        )
        .unwrap_or_else(|e| panic!("stopping the test cluster: {e}"));
    }

    /// Start the stopped server again, on the same port.
    pub fn start_again(&self) {
        let data = self.data();
        let log = self.dir.path().join("server.log");
        self.run_tool(
            "pg_ctl",
            &[
                "-D",
                path_str(&data).unwrap(),
                "-l",
                path_str(&log).unwrap(),
                "-w",
                "-t",
                "60",
                "-o",
                &self.options,
                "start",
            ],
        )
        .unwrap_or_else(|e| panic!("starting the test cluster again: {e}"));
    }

    /// `pg_ctl restart -m fast`: every session is ended, the server comes
    /// back on the same port.
    pub fn restart(&self) {
        let data = self.data();
        let log = self.dir.path().join("server.log");
        self.run_tool(
            "pg_ctl",
            &[
                "-D",
                path_str(&data).unwrap(),
                "-l",
                path_str(&log).unwrap(),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                "-o",
                &self.options,
                "restart",
            ],
        )
        .unwrap_or_else(|e| panic!("restarting the test cluster: {e}"));
    }

    /// What the server wrote to its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// `postgres://USER:PASSWORD@127.0.0.1:PORT/DB`.
    pub fn url(&self, user: &str, password: &str, db: &str) -> String {
        format!("postgres://{user}:{password}@127.0.0.1:{}/{db}", self.port)
    }

    /// The same without a password.
    pub fn url_without_password(&self, user: &str, db: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/{db}", self.port)
    }

    /// The superuser's URL for database `db`.
    pub fn superuser_url(&self, db: &str) -> String {
        self.url(SUPERUSER, SUPERUSER_PASSWORD, db)
    }

    /// The lead's URL for the team database (see [`Cluster::create_team`]).
    pub fn lead_url(&self) -> String {
        self.url(LEAD, LEAD_PASSWORD, TEAM_DB)
    }

    /// Log in over TCP with a password, with the plain `postgres` crate.
    pub fn connect(
        &self,
        user: &str,
        password: &str,
        db: &str,
    ) -> Result<postgres::Client, postgres::Error> {
        postgres::Client::connect(&self.url(user, password, db), postgres::NoTls)
    }

    /// Run SQL as the superuser in database `db`.
    pub fn sql(&self, db: &str, sql: &str) {
        let mut client = self
            .connect(SUPERUSER, SUPERUSER_PASSWORD, db)
            .unwrap_or_else(|e| panic!("superuser login to {db}: {e}"));
        client
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}\n{e:?}"));
    }

    /// The lead (a role that may create roles but is no superuser) and the
    /// database `team` they own: what `tawsim server init` needs.
    pub fn create_team(&self) {
        self.sql(
            "postgres",
            &format!("CREATE ROLE {LEAD} LOGIN CREATEROLE PASSWORD '{LEAD_PASSWORD}'"),
        );
        self.sql(
            "postgres",
            &format!("CREATE DATABASE {TEAM_DB} OWNER {LEAD} ENCODING 'UTF8' TEMPLATE template0"),
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.port == 0 {
            return;
        }
        let data = self.data();
        let Some(data) = data.to_str() else { return };
        if let Err(error) = self.run_tool("pg_ctl", &["-D", data, "-m", "immediate", "-w", "stop"])
        {
            let _ = writeln!(std::io::stderr(), "stopping the test cluster: {error}");
        }
    }
}

fn path_str(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("not UTF-8: {}", path.display()))
}

/// `/usr/lib/postgresql/N/bin` of the highest N >= 15 with initdb and pg_ctl.
fn newest_postgres() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let missing = || {
        "no PostgreSQL 15 or newer under /usr/lib/postgresql (install the postgresql package)"
            .to_owned()
    };
    let entries = std::fs::read_dir(root).map_err(|_| missing())?;
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (major >= 15 && bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
                .then_some((major, bin))
        })
        .max_by_key(|(major, _)| *major)
        .map(|(_, bin)| bin)
        .ok_or_else(missing)
}

/// `None` when we are not root; else the unprivileged user to run the
/// server as (`postgres`, or `tawsim-pg`, made if need be).
fn server_user() -> Result<Option<String>, String> {
    use std::os::unix::fs::MetadataExt as _;
    let euid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .map_err(|e| format!("cannot tell who we are: {e}"))?;
    if euid != 0 {
        return Ok(None);
    }
    for user in ["postgres", "tawsim-pg"] {
        if ids_of(user).is_ok() {
            return Ok(Some(user.to_owned()));
        }
    }
    let made = Command::new("useradd")
        .args([
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            "tawsim-pg",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run useradd: {e}"))?;
    // Another test may have made it meanwhile.
    if ids_of("tawsim-pg").is_ok() {
        return Ok(Some("tawsim-pg".to_owned()));
    }
    Err(format!(
        "running as root, and cannot make a user to run PostgreSQL as: {}",
        String::from_utf8_lossy(&made.stderr)
    ))
}

fn ids_of(user: &str) -> Result<(u32, u32), String> {
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, user])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run id: {e}"))?;
        if !out.status.success() {
            return Err(format!("no user {user}"));
        }
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|e| format!("id {flag} {user}: {e}"))
    };
    Ok((id("-u")?, id("-g")?))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free TCP port on 127.0.0.1: {e}"))
}
