//! The team server takes accepted suggestions: version 2 of its schema
//! lets a span's origin be `suggested`, and `tawsim server init` migrates a
//! version-1 server to it, keeping its spans (a real PostgreSQL cluster, see
//! `common/pg.rs`; skipped where PostgreSQL is not installed).

#[path = "common/pg.rs"]
mod pg;

use std::process::Command;

use pg::{Cluster, LEAD, LEAD_PASSWORD, TEAM_DB};

fn init(url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(["server", "init", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_version_1_server_is_migrated_and_then_takes_suggested_spans() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.create_team();
    let url = cluster.lead_url();
    init(&url);
    let mut lead = cluster.connect(LEAD, LEAD_PASSWORD, TEAM_DB).unwrap();
    // Back to version 1 as an older tawsim left it: its origin CHECK, its version.
    lead.batch_execute(
        "ALTER TABLE tawsim.spans DROP CONSTRAINT spans_origin_check;
         ALTER TABLE tawsim.spans ADD CONSTRAINT spans_origin_check
             CHECK (origin IN ('manual', 'imported'));
         UPDATE tawsim.meta SET value = '1' WHERE key = 'schema_version';",
    )
    .unwrap();
    let insert =
        "INSERT INTO tawsim.spans (uid, doc, layer, annotator, start, \"end\", label, text,
                                      origin, created_at, updated_at)
                  VALUES (gen_random_uuid(), $1, '00000000-0000-7000-8000-000000000001',
                          (SELECT uid FROM tawsim.people WHERE login = 'lead'), 0, 4, 'PLACE',
                          'إدلب', $2, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')";
    let sha = tawsim::store::sha256_hex("إدلب".as_bytes());
    lead.execute(
        "INSERT INTO tawsim.documents (sha256, title, text, source, meta, char_len, imported_at)
         VALUES ($1, 't', 'إدلب', 's', '{}', 4, '2026-01-01T00:00:00.000Z')",
        &[&sha],
    )
    .unwrap();
    let refused = lead.execute(insert, &[&sha, &"suggested"]);
    drop(lead);

    let out = init(&url);
    assert!(
        out.contains(&format!(
            "from version 1 to {}",
            tawsim::server::SCHEMA_VERSION
        )),
        "{out}"
    );
    let mut lead = cluster.connect(LEAD, LEAD_PASSWORD, TEAM_DB).unwrap();
    let version: String = lead
        .query_one(
            "SELECT value FROM tawsim.meta WHERE key = 'schema_version'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(version, tawsim::server::SCHEMA_VERSION.to_string());
    let check: String = lead
        .query_one(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint
              WHERE conname = 'spans_origin_check'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(check.contains("suggested"), "{check}");
    let error = refused.expect_err("version 1 refuses origin suggested");
    assert!(
        format!("{error:?}").contains("spans_origin_check"),
        "{error:?}"
    );
    lead.execute(insert, &[&sha, &"suggested"])
        .expect("version 2 takes origin suggested");
}
