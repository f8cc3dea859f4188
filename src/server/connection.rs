//! Connecting to the team server: the URL, TLS through rustls, and the
//! password from the standard places. It opens connections and knows nothing
//! of the schema; it must never print or log a password, and never store one.
//!
//! # URL
//!
//! `postgres://NAME[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]` (or
//! `postgresql://`), as libpq writes it; every parameter of
//! [`postgres::Config`] is accepted (`connect_timeout=…`, `host=/run/postgresql`
//! for a Unix socket, …). The connection's `application_name` is `tawsim`
//! and it gives up after 10 seconds unless `connect_timeout` says otherwise.
//! [`ServerUrl`]'s `Display` shows the URL without its password, for messages.
//!
//! # TLS
//!
//! | `sslmode` | what happens |
//! |---|---|
//! | `disable` | plain TCP |
//! | `prefer` (default) | TLS when the server offers it, plain otherwise |
//! | `require` | TLS or no connection |
//! | `verify-full` | TLS, and the server's certificate must chain to a web PKI root ([`webpki_roots`]) or to the PEM file `sslrootcert=PATH`, for the host name in the URL |
//!
//! As with libpq, `prefer` and `require` encrypt without checking who holds
//! the certificate (Debian's `postgresql` package serves a self-signed one);
//! the handshake's signatures are still checked. TLS is rustls with the
//! `ring` provider, so the build needs no system library. Unix sockets never
//! use TLS.
//!
//! # Password
//!
//! The first of: the URL's password; the environment variable `PGPASSWORD`;
//! the matching line of the password file (`PGPASSFILE`, else `~/.pgpass`:
//! `host:port:database:user:password`, `*` matches anything, `\:` and `\\`
//! escape, a Unix socket matches `localhost`; a file readable by group or
//! others is ignored, as libpq does). When none is known and the server asks
//! for one, [`connect`] fails with [`ServerError::PasswordNeeded`] so that the
//! caller can prompt and try again with [`ServerUrl::set_password`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use postgres::config::{Host, SslMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{ServerError, describe};

/// How long a connection attempt waits unless the URL sets `connect_timeout`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed server URL: where to connect, as whom, and how to check TLS.
/// Its `Display` never shows the password.
#[derive(Clone)]
pub struct ServerUrl {
    /// Everything but the password.
    config: postgres::Config,
    password: Option<Vec<u8>>,
    /// `Some` for `sslmode=verify-full`: check the certificate, with these
    /// extra roots (`sslrootcert`).
    verify: Option<Option<PathBuf>>,
    shown: String,
}

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ServerUrl").field(&self.shown).finish()
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl ServerUrl {
    /// Parse `postgres://NAME@HOST:PORT/DATABASE?…` (see the module
    /// documentation for the parameters tawsim adds).
    pub fn parse(url: &str) -> Result<ServerUrl, ServerError> {
        let url = url.trim();
        let shown = redact(url);
        let bad = |reason: String| ServerError::Url {
            url: shown.clone(),
            reason,
        };
        let Some(rest) = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
        else {
            return Err(bad(
                "a server URL starts with postgres://, e.g. postgres://lead@host:5432/team".into(),
            ));
        };
        let (base, query) = match rest.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (rest, None),
        };
        let mut kept = Vec::new();
        let mut verify = None;
        let mut root_cert = None;
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            match pair.split_once('=') {
                Some(("sslmode", "verify-full")) => verify = Some(()),
                Some(("sslmode", "verify-ca")) => {
                    return Err(bad("sslmode=verify-ca is not supported: use \
                         sslmode=verify-full, which also checks the host name"
                        .into()));
                }
                Some(("sslrootcert", path)) => root_cert = Some(PathBuf::from(path)),
                _ => kept.push(pair),
            }
        }
        if verify.is_some() {
            kept.retain(|pair| !pair.starts_with("sslmode="));
            kept.push("sslmode=require");
        } else if root_cert.is_some() {
            return Err(bad(
                "sslrootcert is used only with sslmode=verify-full; add it".into(),
            ));
        }
        let mut rebuilt = format!("postgres://{base}");
        if !kept.is_empty() {
            rebuilt.push('?');
            rebuilt.push_str(&kept.join("&"));
        }
        let with_password: postgres::Config = rebuilt.parse().map_err(|e: postgres::Error| {
            let mut reason = describe(&e);
            if reason.contains("sslmode") {
                reason.push_str(" (sslmode is disable, prefer, require or verify-full)");
            }
            bad(reason)
        })?;
        let password = with_password.get_password().map(<[u8]>::to_vec);
        let mut config: postgres::Config = redact(&rebuilt)
            .parse()
            .map_err(|e: postgres::Error| bad(describe(&e)))?;
        if config.get_hosts().is_empty() {
            return Err(bad(
                "the URL names no host: write it as postgres://NAME@HOST:5432/DATABASE".into(),
            ));
        }
        if config.get_application_name().is_none() {
            config.application_name("tawsim");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        Ok(ServerUrl {
            config,
            password,
            verify: verify.map(|()| root_cert),
            shown,
        })
    }

    /// The role the URL logs in as (`None`: the server's default, the
    /// operating system's user name).
    pub fn user(&self) -> Option<&str> {
        self.config.get_user()
    }

    /// The database the URL names.
    pub fn dbname(&self) -> Option<&str> {
        self.config.get_dbname()
    }

    /// True when the URL itself holds a password (or one was set).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// Use this password (e.g. one the user typed at a prompt).
    pub fn set_password(&mut self, password: &str) {
        self.password = Some(password.as_bytes().to_vec());
    }

    /// The same server and database, logged in as `user` with `password`
    /// (`None`: found the usual ways when connecting).
    pub fn as_user(&self, user: &str, password: Option<&str>) -> ServerUrl {
        let mut url = self.clone();
        url.config.user(user);
        url.password = password.map(|p| p.as_bytes().to_vec());
        url.shown = replace_user(&self.shown, user);
        url
    }

    /// The host as a person would type it (first host of the URL).
    pub fn host(&self) -> String {
        match self.config.get_hosts().first() {
            Some(Host::Tcp(host)) => host.clone(),
            #[cfg(unix)]
            Some(Host::Unix(path)) => path.display().to_string(),
            None => String::new(),
        }
    }

    /// The port of the first host (5432 when the URL gives none).
    pub fn port(&self) -> u16 {
        self.config.get_ports().first().copied().unwrap_or(5432)
    }

    /// The connection settings with the password filled in from
    /// `PGPASSWORD` or the password file when the URL has none.
    fn resolved(&self) -> postgres::Config {
        let mut config = self.config.clone();
        let password = self.password.clone().or_else(|| {
            std::env::var("PGPASSWORD")
                .ok()
                .filter(|p| !p.is_empty())
                .or_else(|| self.password_from_file())
                .map(String::into_bytes)
        });
        if let Some(password) = password {
            config.password(password);
        }
        config
    }

    fn password_from_file(&self) -> Option<String> {
        let path = std::env::var_os("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".pgpass")))?;
        if !private_file(&path) {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let user = self
            .config
            .get_user()
            .map(str::to_owned)
            .or_else(|| std::env::var("USER").ok())?;
        let host = match self.config.get_hosts().first()? {
            Host::Tcp(host) => host.clone(),
            #[cfg(unix)]
            Host::Unix(_) => "localhost".to_owned(),
        };
        let port = self.port().to_string();
        let dbname = self.config.get_dbname().unwrap_or(&user).to_owned();
        pgpass_lookup(&text, &[&host, &port, &dbname, &user])
    }
}

/// True when the password file may be used: on Unix, not readable or
/// writable by group or others (libpq's rule).
fn private_file(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        match std::fs::metadata(path) {
            Ok(meta) => meta.is_file() && meta.permissions().mode() & 0o077 == 0,
            Err(_) => false,
        }
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The password of the first line of a `.pgpass` text whose four fields
/// match `wanted` (host, port, database, user), `*` matching anything.
fn pgpass_lookup(text: &str, wanted: &[&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_pgpass(line);
        if fields.len() < 5 {
            continue;
        }
        let matches = fields[..4]
            .iter()
            .zip(wanted)
            .all(|(field, want)| field == "*" || field == want);
        if matches {
            return Some(fields[4..].join(":"));
        }
    }
    None
}

/// Split one `.pgpass` line at unescaped colons, undoing `\:` and `\\`.
fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next()
                    && let Some(last) = fields.last_mut()
                {
                    last.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

/// The URL without its password (also a `password=` parameter), for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{user}@{hosts}")
        }
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| !pair.starts_with("password="))
                .collect();
            if kept.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// `shown` (a redacted URL) with its user replaced by `user`.
fn replace_user(shown: &str, user: &str) -> String {
    let Some((scheme, rest)) = shown.split_once("://") else {
        return shown.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let hosts = authority
        .rsplit_once('@')
        .map_or(authority, |(_, hosts)| hosts);
    format!("{scheme}://{user}@{hosts}{tail}")
}

/// Open a connection as the URL says (see the module documentation for the
/// password and TLS).
pub fn connect(url: &ServerUrl) -> Result<postgres::Client, ServerError> {
    let config = url.resolved();
    let tls = tls_connector(url)?;
    config
        .connect(tls)
        .map_err(|error| connect_error(url, error))
}

fn connect_error(url: &ServerUrl, error: postgres::Error) -> ServerError {
    let role = url.user().unwrap_or("(default)").to_owned();
    if let Some(db) = error.as_db_error() {
        use postgres::error::SqlState;
        let code = db.code();
        if *code == SqlState::INVALID_PASSWORD {
            return ServerError::Login {
                role,
                url: url.to_string(),
                message: db.message().to_owned(),
            };
        }
        if *code == SqlState::INVALID_CATALOG_NAME {
            return ServerError::Refused {
                message: format!(
                    "{}: check the database name in the URL, or create it (createdb -E UTF8 \
                     -T template0 NAME)",
                    db.message()
                ),
                url: url.to_string(),
            };
        }
        if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            return ServerError::Login {
                role,
                url: url.to_string(),
                message: db.message().to_owned(),
            };
        }
    }
    let reason = describe(&error);
    if reason.contains("password missing") {
        return ServerError::PasswordNeeded {
            role,
            url: url.to_string(),
        };
    }
    if error.to_string().contains("TLS") {
        let what_to_do = if reason.contains("does not support TLS") {
            "the URL's sslmode asks for TLS and the server offers none: use sslmode=prefer, \
             or turn ssl on in the server's postgresql.conf"
        } else if reason.contains("certificate") {
            "with sslmode=verify-full the server's certificate must chain to a known \
             authority for this host name: give its authority's certificate with \
             sslrootcert=PATH, or use sslmode=require to encrypt without checking"
        } else {
            "check the server's TLS settings"
        };
        return ServerError::Tls {
            url: url.to_string(),
            reason: format!("{reason}; {what_to_do}"),
        };
    }
    ServerError::Unreachable {
        url: url.to_string(),
        reason,
    }
}

/// The rustls connector for the URL's `sslmode`.
fn tls_connector(url: &ServerUrl) -> Result<MakeRustlsConnect, ServerError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls_error = |reason: String| ServerError::Tls {
        url: url.to_string(),
        reason,
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(e.to_string()))?;
    let config = match &url.verify {
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly { provider }))
            .with_no_client_auth(),
        Some(root_cert) => {
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            if let Some(path) = root_cert {
                let certs = CertificateDer::pem_file_iter(path).map_err(|e| {
                    tls_error(format!(
                        "cannot read the root certificate (sslrootcert) {e}: {}",
                        path.display()
                    ))
                })?;
                for cert in certs {
                    let cert = cert.map_err(|e| {
                        tls_error(format!(
                            "the root certificate file is not PEM ({e}): {}",
                            path.display()
                        ))
                    })?;
                    roots.add(cert).map_err(|e| {
                        tls_error(format!(
                            "a certificate in the root certificate file is not usable ({e}): {}",
                            path.display()
                        ))
                    })?;
                }
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

/// libpq's `sslmode=require`: encrypt, check the handshake's signatures, do
/// not check who the certificate belongs to.
#[derive(Debug)]
struct EncryptOnly {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The `sslmode` in force (for messages and tests).
pub fn ssl_mode_name(url: &ServerUrl) -> &'static str {
    match (url.verify.is_some(), url.config.get_ssl_mode()) {
        (true, _) => "verify-full",
        (false, SslMode::Disable) => "disable",
        (false, SslMode::Require) => "require",
        (false, _) => "prefer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_every_password() {
        assert_eq!(
            redact("postgres://lead:s3cret@db.example:5432/team"),
            "postgres://lead@db.example:5432/team"
        );
        assert_eq!(
            redact("postgres://lead:p@ss@host/team?password=x&sslmode=require"),
            "postgres://lead@host/team?sslmode=require"
        );
        assert_eq!(
            redact("postgres://host/team?password=x"),
            "postgres://host/team"
        );
        assert_eq!(
            redact("postgres://lead@host/team"),
            "postgres://lead@host/team"
        );
    }

    #[test]
    fn parse_accepts_the_sslmodes_and_refuses_the_rest() {
        let url = ServerUrl::parse("postgres://lead:pw@127.0.0.1:5433/team").unwrap();
        assert_eq!(url.user(), Some("lead"));
        assert_eq!(url.dbname(), Some("team"));
        assert_eq!(url.port(), 5433);
        assert!(url.has_password());
        assert_eq!(ssl_mode_name(&url), "prefer");
        assert_eq!(url.to_string(), "postgres://lead@127.0.0.1:5433/team");
        for (mode, name) in [
            ("disable", "disable"),
            ("prefer", "prefer"),
            ("require", "require"),
            ("verify-full", "verify-full"),
        ] {
            let url = ServerUrl::parse(&format!("postgres://lead@h/team?sslmode={mode}")).unwrap();
            assert_eq!(ssl_mode_name(&url), name);
        }
        let err = ServerUrl::parse("postgres://lead@h/team?sslmode=verify-ca").unwrap_err();
        assert!(err.to_string().contains("verify-full"), "{err}");
        let err = ServerUrl::parse("mysql://lead@h/team").unwrap_err();
        assert!(err.to_string().contains("postgres://"), "{err}");
        let err = ServerUrl::parse("postgres://lead:pw@h/team?sslmode=maybe").unwrap_err();
        assert!(!err.to_string().contains("pw@"), "{err}");
    }

    #[test]
    fn as_user_keeps_the_server_and_forgets_the_password() {
        let url = ServerUrl::parse("postgres://lead:pw@127.0.0.1:5433/team").unwrap();
        let layla = url.as_user("layla", None);
        assert_eq!(layla.user(), Some("layla"));
        assert!(!layla.has_password());
        assert_eq!(layla.port(), 5433);
        assert_eq!(layla.dbname(), Some("team"));
        assert_eq!(layla.to_string(), "postgres://layla@127.0.0.1:5433/team");
        let omar = url.as_user("omar", Some("x"));
        assert!(omar.has_password());
    }

    #[test]
    fn pgpass_lines_match_field_by_field() {
        let text = "# comment\n\
                    otherhost:5432:team:lead:nope\n\
                    db.example:*:team:lead:pa\\:ss\\\\word\n\
                    *:*:*:*:fallback:with:colons\n";
        assert_eq!(
            pgpass_lookup(text, &["db.example", "5432", "team", "lead"]).as_deref(),
            Some("pa:ss\\word")
        );
        assert_eq!(
            pgpass_lookup(text, &["elsewhere", "1", "x", "y"]).as_deref(),
            Some("fallback:with:colons")
        );
        assert_eq!(pgpass_lookup("a:b:c:d\n", &["a", "b", "c", "d"]), None);
    }
}
