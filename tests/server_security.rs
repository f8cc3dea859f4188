//! The server enforces who may read and write what: people log in with
//! plain SQL (the `postgres` crate, no tawsim code) to a real PostgreSQL
//! cluster (see `common/pg.rs`) and try each forbidden thing; the server
//! refuses every one, and the allowed things work.

#[path = "common/pg.rs"]
mod pg;

use pg::{Cluster, LEAD, LEAD_PASSWORD, TEAM_DB};
use postgres::Client;
use tawsim::server::{Role, Server, ServerUrl};

const T0: &str = "2026-11-30T14:48:29.152Z";
const T1: &str = "2026-11-30T15:00:00.000Z";

/// The Arabic fixture articles: (title, text).
const DOC1: (&str, &str) = ("إدلب", "قصفت الطائرات مدينة إدلب صباح الأحد");
const DOC2: (&str, &str) = ("حماة", "وصل المراقبون إلى حماة يوم الاثنين");
const DOC3: (&str, &str) = ("حلب", "أعلنت اللجنة في حلب عن هدنة جديدة");

struct Team {
    cluster: Cluster,
    /// sha256 of DOC1, DOC2, DOC3.
    docs: [String; 3],
    layla: String,
    omar: String,
    sara: String,
    /// Layers (uid text) of layla and omar.
    layla_layer: String,
    omar_layer: String,
    /// Omar's spans on DOC1, DOC2, DOC3.
    omar_spans: [String; 3],
    imported_layer: String,
}

/// A server with annotators layla (A) and omar (B) and reviewer sara;
/// DOC1 and DOC2 assigned to both, DOC3 to omar only; blind annotation on;
/// each annotator has a layer, omar has a span on every document, and an
/// imported layer has a span on DOC2.
fn team() -> Option<Team> {
    let cluster = Cluster::start()?;
    cluster.create_team();
    let url = ServerUrl::parse(&cluster.lead_url()).unwrap();
    let mut server = Server::connect(&url).unwrap();
    server.init().unwrap();
    let mut uids = Vec::new();
    for (login, role) in [
        ("layla", Role::Annotator),
        ("omar", Role::Annotator),
        ("sara", Role::Reviewer),
    ] {
        let added = server
            .add_person(login, None, role, &format!("{login}-pw"))
            .unwrap();
        uids.push(added.uid.to_string());
    }
    drop(server);
    let [layla, omar, sara]: [String; 3] = uids.try_into().unwrap();

    // The lead (owner, admin) imports, assigns and turns blind annotation on.
    let mut lead = cluster.connect(LEAD, LEAD_PASSWORD, TEAM_DB).unwrap();
    let mut docs = Vec::new();
    for (title, text) in [DOC1, DOC2, DOC3] {
        let sha: String = lead
            .query_one(
                "INSERT INTO tawsim.documents (sha256, title, text, source, char_len, imported_at)
                 VALUES (encode(sha256(convert_to($2, 'UTF8')), 'hex'), $1, $2, 'test',
                         char_length($2), $3)
                 RETURNING sha256",
                &[&title, &text, &T0],
            )
            .unwrap()
            .get(0);
        docs.push(sha);
    }
    let docs: [String; 3] = docs.try_into().unwrap();
    for (doc, who) in [
        (&docs[0], &layla),
        (&docs[0], &omar),
        (&docs[1], &layla),
        (&docs[1], &omar),
        (&docs[2], &omar),
    ] {
        lead.execute(
            "INSERT INTO tawsim.assignments (doc, annotator, assigned_by, updated_at)
             VALUES ($1, $2::text::uuid, tawsim.me(), $3)",
            &[doc, who, &T0],
        )
        .unwrap();
    }
    lead.execute(
        "INSERT INTO tawsim.settings (key, value, updated_at) VALUES ('blind_annotation', 'true', $1)",
        &[&T0],
    )
    .unwrap();
    let imported_layer = "0192a4c1-0000-7000-8000-0000000000aa".to_owned();
    lead.execute(
        "INSERT INTO tawsim.layers (uid, name, kind, owner, created_at)
         VALUES ($1::text::uuid, 'ner-model', 'imported', NULL, $2)",
        &[&imported_layer, &T0],
    )
    .unwrap();
    insert_span(
        &mut lead,
        "0192a4c1-0000-7000-8000-0000000000ab",
        &docs[1],
        &imported_layer,
        "tawsim.me()",
        (0, 3),
        "وصل",
    )
    .unwrap();

    // Each annotator makes their own layer; omar tags every document.
    let layla_layer = "0192a4c1-0000-7000-8000-000000000001".to_owned();
    let omar_layer = "0192a4c1-0000-7000-8000-000000000002".to_owned();
    let mut a = login(&cluster, "layla");
    add_layer(&mut a, &layla_layer, "layla").unwrap();
    let mut b = login(&cluster, "omar");
    add_layer(&mut b, &omar_layer, "omar").unwrap();
    let omar_spans = [
        "0192a4c1-0000-7000-8000-0000000000b1".to_owned(),
        "0192a4c1-0000-7000-8000-0000000000b2".to_owned(),
        "0192a4c1-0000-7000-8000-0000000000b3".to_owned(),
    ];
    let words = [(DOC1.1, "إدلب"), (DOC2.1, "حماة"), (DOC3.1, "حلب")];
    for (i, (text, word)) in words.into_iter().enumerate() {
        insert_span(
            &mut b,
            &omar_spans[i],
            &docs[i],
            &omar_layer,
            "tawsim.me()",
            at(text, word),
            word,
        )
        .unwrap();
    }
    Some(Team {
        cluster,
        docs,
        layla,
        omar,
        sara,
        layla_layer,
        omar_layer,
        omar_spans,
        imported_layer,
    })
}

/// Code-point range of the first `word` in `text`.
fn at(text: &str, word: &str) -> (i32, i32) {
    let byte = text
        .find(word)
        .unwrap_or_else(|| panic!("{word} is not in {text}"));
    let start = text[..byte].chars().count() as i32;
    (start, start + word.chars().count() as i32)
}

fn login(cluster: &Cluster, who: &str) -> Client {
    cluster
        .connect(who, &format!("{who}-pw"), TEAM_DB)
        .unwrap_or_else(|e| panic!("{who} logs in: {e}"))
}

fn add_layer(client: &mut Client, uid: &str, name: &str) -> Result<u64, postgres::Error> {
    client.execute(
        "INSERT INTO tawsim.layers (uid, name, kind, owner, created_at)
         VALUES ($1::text::uuid, $2, 'annotator', tawsim.me(), $3)",
        &[&uid, &name, &T0],
    )
}

/// Insert a live manual span; `annotator` is an SQL expression.
fn insert_span(
    client: &mut Client,
    uid: &str,
    doc: &str,
    layer: &str,
    annotator: &str,
    (start, end): (i32, i32),
    text: &str,
) -> Result<u64, postgres::Error> {
    client.execute(
        &format!(
            "INSERT INTO tawsim.spans (uid, doc, layer, annotator, start, \"end\", label, text,
                                       origin, created_at, updated_at)
             VALUES ($1::text::uuid, $2, $3::text::uuid, {annotator}, $4, $5, 'PLACE', $6,
                     'manual', $7, $7)"
        ),
        &[&uid, &doc, &layer, &start, &end, &text, &T0],
    )
}

/// How many rows `sql` (a SELECT count(*)) counts.
fn count(client: &mut Client, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> i64 {
    client
        .query_one(sql, params)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

/// The statement must fail, with PostgreSQL's refusal (not a client error).
fn refused(result: Result<u64, postgres::Error>, what: &str) -> String {
    match result {
        Ok(rows) => panic!("{what}: the server allowed it ({rows} rows)"),
        Err(error) => {
            let db = error
                .as_db_error()
                .unwrap_or_else(|| panic!("{what}: not refused by the server: {error:?}"));
            db.message().to_owned()
        }
    }
}

#[test]
fn an_annotator_is_refused_everything_but_their_own_work() {
    let Some(team) = team() else {
        return;
    };
    let [doc1, doc2, doc3] = &team.docs;
    let mut a = login(&team.cluster, "layla");

    // Allowed: read an assigned document, tag it in her own layer, set her
    // own status, note it, record her own event.
    let text: String = a
        .query_one(
            "SELECT text FROM tawsim.documents WHERE sha256 = $1",
            &[doc1],
        )
        .unwrap()
        .get(0);
    assert_eq!(text, DOC1.1);
    insert_span(
        &mut a,
        "0192a4c1-0000-7000-8000-0000000000a1",
        doc1,
        &team.layla_layer,
        "tawsim.me()",
        at(DOC1.1, "إدلب"),
        "إدلب",
    )
    .expect("layla tags in her own layer");
    a.execute(
        "INSERT INTO tawsim.statuses (doc, annotator, status, updated_at)
         VALUES ($1, tawsim.me(), 'in_progress', $2)",
        &[doc1, &T0],
    )
    .expect("layla sets her own status");
    assert_eq!(
        a.execute(
            "UPDATE tawsim.documents SET note = 'تحقق من التاريخ', note_at = $2 WHERE sha256 = $1",
            &[doc1, &T1],
        )
        .expect("layla notes an assigned document"),
        1
    );
    a.execute(
        "INSERT INTO tawsim.events (uid, at, actor, action, doc, before, after)
         VALUES ('0192a4c1-0000-7000-8000-0000000000e1', $1, tawsim.me(), 'span.add', $2, 'null', '{}')",
        &[&T0, doc1],
    )
    .expect("layla records her own event");
    assert_eq!(
        a.execute(
            "UPDATE tawsim.spans SET label = 'ACTOR', updated_at = $2 WHERE uid = $1::text::uuid",
            &[&"0192a4c1-0000-7000-8000-0000000000a1", &T1],
        )
        .expect("layla relabels her own span"),
        1
    );

    // Forbidden: write into omar's layer.
    let message = refused(
        insert_span(
            &mut a,
            "0192a4c1-0000-7000-8000-0000000000a2",
            doc1,
            &team.omar_layer,
            "tawsim.me()",
            (0, 4),
            "قصفت",
        ),
        "a span in omar's layer",
    );
    assert!(message.contains("row-level security"), "{message}");
    refused(
        insert_span(
            &mut a,
            "0192a4c1-0000-7000-8000-0000000000a3",
            doc1,
            &team.omar_layer,
            &format!("'{}'::uuid", team.omar),
            (0, 4),
            "قصفت",
        ),
        "a span in omar's layer in omar's name",
    );
    // ... or into her own layer in someone else's name, or into gold, or
    // an imported layer, or on a document not assigned to her.
    refused(
        insert_span(
            &mut a,
            "0192a4c1-0000-7000-8000-0000000000a4",
            doc1,
            &team.layla_layer,
            &format!("'{}'::uuid", team.omar),
            (0, 4),
            "قصفت",
        ),
        "a span in omar's name",
    );
    refused(
        insert_span(
            &mut a,
            "0192a4c1-0000-7000-8000-0000000000a5",
            doc1,
            "00000000-0000-7000-8000-000000000001",
            "tawsim.me()",
            (0, 4),
            "قصفت",
        ),
        "a gold span",
    );
    refused(
        insert_span(
            &mut a,
            "0192a4c1-0000-7000-8000-0000000000a6",
            doc2,
            &team.imported_layer,
            "tawsim.me()",
            (0, 3),
            "وصل",
        ),
        "a span in an imported layer",
    );
    refused(
        insert_span(
            &mut a,
            "0192a4c1-0000-7000-8000-0000000000a7",
            doc3,
            &team.layla_layer,
            "tawsim.me()",
            (0, 5),
            "أعلنت",
        ),
        "a span on a document not assigned to her",
    );
    // Change omar's span: it is not even there for her.
    assert_eq!(
        a.execute(
            "UPDATE tawsim.spans SET label = 'DATE' WHERE uid = $1::text::uuid",
            &[&team.omar_spans[0]],
        )
        .unwrap_or(0),
        0
    );

    // Forbidden: read omar's spans on a document she has not finished.
    assert_eq!(
        count(
            &mut a,
            "SELECT count(*) FROM tawsim.spans WHERE layer = $1::text::uuid",
            &[&team.omar_layer],
        ),
        0,
        "blind annotation hides omar's layer"
    );
    // The imported layer stays readable.
    assert_eq!(
        count(
            &mut a,
            "SELECT count(*) FROM tawsim.spans WHERE layer = $1::text::uuid",
            &[&team.imported_layer],
        ),
        1
    );

    // Forbidden: read a document not assigned to her, or anything on it.
    assert_eq!(
        count(
            &mut a,
            "SELECT count(*) FROM tawsim.documents WHERE sha256 = $1",
            &[doc3],
        ),
        0
    );
    assert_eq!(
        count(&mut a, "SELECT count(*) FROM tawsim.documents", &[]),
        2
    );
    assert_eq!(
        count(
            &mut a,
            "SELECT count(*) FROM tawsim.spans WHERE doc = $1",
            &[doc3],
        ),
        0
    );
    assert_eq!(
        count(
            &mut a,
            "SELECT count(*) FROM tawsim.assignments WHERE annotator <> tawsim.me()",
            &[],
        ),
        0
    );

    // Forbidden: change a document's text (or title).
    let message = refused(
        a.execute(
            "UPDATE tawsim.documents SET text = 'نص آخر' WHERE sha256 = $1",
            &[doc1],
        ),
        "change a document's text",
    );
    assert!(message.contains("permission denied"), "{message}");
    refused(
        a.execute(
            "UPDATE tawsim.documents SET title = 'x' WHERE sha256 = $1",
            &[doc1],
        ),
        "change a document's title",
    );

    // Forbidden: rewrite or delete history, delete anything.
    refused(a.execute("DELETE FROM tawsim.events", &[]), "delete events");
    refused(
        a.execute("UPDATE tawsim.events SET action = 'nothing'", &[]),
        "rewrite an event",
    );
    refused(
        a.execute(
            "DELETE FROM tawsim.spans WHERE uid = '0192a4c1-0000-7000-8000-0000000000a1'",
            &[],
        ),
        "delete her own span",
    );
    refused(a.execute("TRUNCATE tawsim.spans", &[]), "truncate spans");
    // ... or record an event in someone else's name.
    refused(
        a.execute(
            "INSERT INTO tawsim.events (uid, at, actor, action, doc)
             VALUES ('0192a4c1-0000-7000-8000-0000000000e2', $1, $2::text::uuid, 'span.delete', $3)",
            &[&T0, &team.omar, doc1],
        ),
        "an event in omar's name",
    );
    refused(
        a.execute(
            "INSERT INTO tawsim.events (uid, at, actor, action)
             VALUES ('0192a4c1-0000-7000-8000-0000000000e3', $1, NULL, 'project.setting')",
            &[&T0],
        ),
        "an event of the system",
    );

    // Forbidden: what admins and reviewers do.
    refused(
        a.execute(
            "INSERT INTO tawsim.statuses (doc, annotator, status, updated_at)
             VALUES ($1, $2::text::uuid, 'done', $3)",
            &[doc1, &team.omar, &T0],
        ),
        "omar's status",
    );
    refused(
        a.execute(
            "INSERT INTO tawsim.assignments (doc, annotator, updated_at)
             VALUES ($1, tawsim.me(), $2)",
            &[doc3, &T0],
        ),
        "assign herself a document",
    );
    refused(
        a.execute(
            "UPDATE tawsim.settings SET value = 'false', updated_at = $1
              WHERE key = 'blind_annotation'",
            &[&T1],
        ),
        "turn blind annotation off",
    );
    refused(
        a.execute(
            "INSERT INTO tawsim.reviews (doc, status, reviewer, updated_at)
             VALUES ($1, 'adjudicated', tawsim.me(), $2)",
            &[doc1, &T0],
        ),
        "a review decision",
    );
    refused(
        a.execute(
            "INSERT INTO tawsim.documents (sha256, title, text, source, char_len, imported_at)
             VALUES (encode(sha256(convert_to('نص', 'UTF8')), 'hex'), 't', 'نص', 's', 2, $1)",
            &[&T0],
        ),
        "import a document",
    );
    refused(
        a.execute(
            "UPDATE tawsim.people SET role = 'admin' WHERE uid = tawsim.me()",
            &[],
        ),
        "make herself an admin",
    );
    refused(
        a.execute(
            "SELECT * FROM tawsim.add_person(gen_random_uuid(), 'eve', 'eve', 'admin',
                                             'SCRAM-SHA-256$4096:x')",
            &[],
        ),
        "add a person",
    );
    refused(
        a.execute("ALTER TABLE tawsim.spans DISABLE ROW LEVEL SECURITY", &[]),
        "switch row-level security off",
    );
    refused(
        a.execute("DROP POLICY spans_read ON tawsim.spans", &[]),
        "drop a policy",
    );
    refused(
        a.execute("CREATE TABLE tawsim.mine (x int)", &[]),
        "alter the schema",
    );

    // Once she marks DOC1 done, omar's spans there appear; on DOC2 not yet.
    a.execute(
        "UPDATE tawsim.statuses SET status = 'done', updated_at = $2
          WHERE doc = $1 AND annotator = tawsim.me()",
        &[doc1, &T1],
    )
    .unwrap();
    let visible: Vec<String> = a
        .query(
            "SELECT uid::text FROM tawsim.spans WHERE layer = $1::text::uuid",
            &[&team.omar_layer],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(visible, [team.omar_spans[0].clone()]);
    // Still she cannot change them.
    assert_eq!(
        a.execute(
            "UPDATE tawsim.spans SET label = 'DATE' WHERE uid = $1::text::uuid",
            &[&team.omar_spans[0]],
        )
        .unwrap_or(0),
        0
    );
    // With blind annotation off (an admin's decision), DOC2's appear too,
    // but never DOC3's, which is not hers.
    let mut lead = team.cluster.connect(LEAD, LEAD_PASSWORD, TEAM_DB).unwrap();
    lead.execute(
        "UPDATE tawsim.settings SET value = 'false', updated_at = $1 WHERE key = 'blind_annotation'",
        &[&T1],
    )
    .unwrap();
    assert_eq!(
        count(
            &mut a,
            "SELECT count(*) FROM tawsim.spans WHERE layer = $1::text::uuid",
            &[&team.omar_layer],
        ),
        2
    );
    let _ = (&team.layla, &team.sara);
}

#[test]
fn nobody_changes_a_text_or_history_not_even_the_owner() {
    let Some(team) = team() else {
        return;
    };
    let mut lead = team.cluster.connect(LEAD, LEAD_PASSWORD, TEAM_DB).unwrap();
    lead.execute(
        "INSERT INTO tawsim.events (uid, at, actor, action, doc)
         VALUES ('0192a4c1-0000-7000-8000-0000000000f1', $1, tawsim.me(), 'document.import', $2)",
        &[&T0, &team.docs[0]],
    )
    .unwrap();
    let message = refused(
        lead.execute(
            "UPDATE tawsim.documents SET text = 'نص آخر' WHERE sha256 = $1",
            &[&team.docs[0]],
        ),
        "the owner changes a text",
    );
    assert!(message.contains("never change"), "{message}");
    let message = refused(
        lead.execute("UPDATE tawsim.events SET action = 'x'", &[]),
        "the owner rewrites an event",
    );
    assert!(message.contains("never changed"), "{message}");
    let message = refused(
        lead.execute("DELETE FROM tawsim.events", &[]),
        "the owner deletes events",
    );
    assert!(message.contains("never deleted"), "{message}");
    refused(
        lead.execute("DELETE FROM tawsim.spans", &[]),
        "the owner deletes spans",
    );
    refused(
        lead.execute("DELETE FROM tawsim.documents", &[]),
        "the owner deletes documents",
    );
    refused(
        lead.execute("DELETE FROM tawsim.people WHERE login = 'omar'", &[]),
        "the owner deletes a person",
    );
    // A span's range and text stay as made, even in a layer the owner
    // may write (the imported one).
    let message = refused(
        lead.execute(
            "UPDATE tawsim.spans SET start = 0, \"end\" = 8, text = 'وصل الم'
              WHERE uid = '0192a4c1-0000-7000-8000-0000000000ab'",
            &[],
        ),
        "move a span",
    );
    assert!(message.contains("never change"), "{message}");
    // A document whose hash is not its text's, or a span whose text is not
    // the document's, never gets in.
    refused(
        lead.execute(
            "INSERT INTO tawsim.documents (sha256, title, text, source, char_len, imported_at)
             VALUES (repeat('a', 64), 't', 'نص', 's', 2, $1)",
            &[&T0],
        ),
        "a document with a wrong hash",
    );
    let mut b = login(&team.cluster, "omar");
    let message = refused(
        insert_span(
            &mut b,
            "0192a4c1-0000-7000-8000-0000000000b9",
            &team.docs[0],
            &team.omar_layer,
            "tawsim.me()",
            (0, 4),
            "خطأ!",
        ),
        "a span whose text is not the document's",
    );
    assert!(message.contains("is not the text of document"), "{message}");
    let message = refused(
        b.execute(
            "INSERT INTO tawsim.events (uid, at, actor, action) VALUES
             ('0192a4c1-0000-7000-8000-0000000000f2', '30/11/2026', tawsim.me(), 'x')",
            &[],
        ),
        "a time in another shape",
    );
    assert!(
        message.contains("is_utc") || message.contains("check"),
        "{message}"
    );
}

#[test]
fn a_reviewer_reads_everything_and_writes_gold_but_not_an_annotators_layer() {
    let Some(team) = team() else {
        return;
    };
    let [doc1, _, doc3] = &team.docs;
    let mut r = login(&team.cluster, "sara");
    assert_eq!(
        count(&mut r, "SELECT count(*) FROM tawsim.documents", &[]),
        3
    );
    assert_eq!(
        count(
            &mut r,
            "SELECT count(*) FROM tawsim.spans WHERE layer = $1::text::uuid",
            &[&team.omar_layer],
        ),
        3,
        "blind annotation does not apply to reviewers"
    );
    insert_span(
        &mut r,
        "0192a4c1-0000-7000-8000-0000000000c1",
        doc3,
        "00000000-0000-7000-8000-000000000001",
        "tawsim.me()",
        at(DOC3.1, "حلب"),
        "حلب",
    )
    .expect("sara writes gold");
    r.execute(
        "INSERT INTO tawsim.reviews (doc, status, reviewer, updated_at)
         VALUES ($1, 'adjudicated', tawsim.me(), $2)",
        &[doc3, &T0],
    )
    .expect("sara decides a review");
    r.execute(
        "INSERT INTO tawsim.marks (span, annotator, rejected, at)
         VALUES ($1::text::uuid, tawsim.me(), true, $2)",
        &[&team.omar_spans[0], &T0],
    )
    .expect("sara rejects omar's span");
    let message = refused(
        insert_span(
            &mut r,
            "0192a4c1-0000-7000-8000-0000000000c2",
            doc1,
            &team.layla_layer,
            "tawsim.me()",
            at(DOC1.1, "إدلب"),
            "إدلب",
        ),
        "a span in layla's layer",
    );
    assert!(message.contains("row-level security"), "{message}");
    assert_eq!(
        r.execute(
            "UPDATE tawsim.spans SET label = 'DATE' WHERE uid = $1::text::uuid",
            &[&team.omar_spans[0]],
        )
        .unwrap_or(0),
        0,
        "sara cannot relabel omar's span"
    );
    refused(
        r.execute(
            "INSERT INTO tawsim.assignments (doc, annotator, updated_at)
             VALUES ($1, $2::text::uuid, $3)",
            &[doc1, &team.sara, &T0],
        ),
        "a reviewer assigns",
    );
    // The annotators see the review of their documents, and omar sees the
    // gold span on DOC3 only once he is done there (blind annotation).
    let mut b = login(&team.cluster, "omar");
    assert_eq!(
        count(
            &mut b,
            "SELECT count(*) FROM tawsim.reviews WHERE doc = $1",
            &[doc3]
        ),
        1
    );
    let gold = "SELECT count(*) FROM tawsim.spans
                 WHERE layer = '00000000-0000-7000-8000-000000000001'";
    assert_eq!(count(&mut b, gold, &[]), 0);
    b.execute(
        "INSERT INTO tawsim.statuses (doc, annotator, status, updated_at)
         VALUES ($1, tawsim.me(), 'done', $2)",
        &[doc3, &T0],
    )
    .unwrap();
    assert_eq!(count(&mut b, gold, &[]), 1);
    // ... and layla, to whom DOC3 is not assigned, never sees its review.
    let mut a = login(&team.cluster, "layla");
    assert_eq!(count(&mut a, "SELECT count(*) FROM tawsim.reviews", &[]), 0);
    let _ = &team.layla;
}

#[test]
fn seq_orders_every_change_and_a_removed_person_sees_nothing() {
    let Some(team) = team() else {
        return;
    };
    let mut b = login(&team.cluster, "omar");
    let seq = |client: &mut Client| -> i64 {
        client
            .query_one(
                "SELECT seq FROM tawsim.spans WHERE uid = $1::text::uuid",
                &[&team.omar_spans[0]],
            )
            .unwrap()
            .get(0)
    };
    let before = seq(&mut b);
    let latest: i64 = b
        .query_one(
            "SELECT max(seq) FROM tawsim.spans WHERE layer = $1::text::uuid",
            &[&team.omar_layer],
        )
        .unwrap()
        .get(0);
    assert!(before > 0 && before < latest, "{before} {latest}");
    // A writer cannot set seq: only the server's trigger does.
    b.execute(
        "UPDATE tawsim.spans SET deleted_at = $2, updated_at = $2, seq = 1
          WHERE uid = $1::text::uuid",
        &[&team.omar_spans[0], &T1],
    )
    .unwrap_err();
    b.execute(
        "UPDATE tawsim.spans SET deleted_at = $2, updated_at = $2 WHERE uid = $1::text::uuid",
        &[&team.omar_spans[0], &T1],
    )
    .unwrap();
    let after = seq(&mut b);
    assert!(
        after > latest,
        "a change takes a new, higher seq: {after} > {latest}"
    );

    // Removed while connected: the open session sees nothing any more.
    let url = ServerUrl::parse(&team.cluster.lead_url()).unwrap();
    let mut server = Server::open(&url).unwrap();
    assert!(server.remove_person("omar").unwrap());
    match b.query_one("SELECT count(*) FROM tawsim.documents", &[]) {
        Ok(row) => assert_eq!(row.get::<_, i64>(0), 0),
        Err(error) => assert!(error.as_db_error().is_some(), "{error:?}"),
    }
    refused(
        insert_span(
            &mut b,
            "0192a4c1-0000-7000-8000-0000000000b8",
            &team.docs[0],
            &team.omar_layer,
            "tawsim.me()",
            at(DOC1.1, "إدلب"),
            "إدلب",
        ),
        "a removed person writes",
    );
}
