//! A team on a throwaway server (see `pg.rs`) for the sync tests: a lead
//! (admin) with a project of short Arabic news items and a machine layer,
//! annotators and a reviewer, each with a local project, syncing in this
//! process through the library (as the app's sync thread does). And the
//! yardstick of "everything arrived exactly once": a person's [`View`] of
//! their local project against the [`View`] the server gives their login
//! (row-level security applied), record by record, by global identity.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use tawsim::model::{Attrs, CharRange, DocId};
use tawsim::server::{Role, Server, ServerUrl};
use tawsim::store::import::{ImportRecord, ImportReport, ImportSpan};
use tawsim::store::{NewDocument, Store};
use tawsim::sync::{LinkReport, SyncError, SyncReport};
use uuid::Uuid;

use super::pg::{Cluster, LEAD, LEAD_PASSWORD, TEAM_DB};

pub const TEXTS: [&str; 6] = [
    "قصفت قوات النظام مدينة إدلب يوم الخميس وقتل 12 مدنياً.",
    "أعلنت وزارة الدفاع في بغداد مقتل 3 جنود قرب الموصل.",
    "نزح أكثر من 400 ألف شخص من ريف حلب الغربي خلال الشهرين الأخيرين.",
    "وصل المراقبون إلى حماة يوم الاثنين بعد هدنة قصيرة.",
    "أعلنت اللجنة في دمشق عن هدنة جديدة في درعا.",
    "عاد آلاف النازحين إلى حمص صباح الجمعة رغم القصف.",
];
pub const PLACES: [&str; 6] = ["إدلب", "بغداد", "حلب", "حماة", "دمشق", "حمص"];

pub fn range_of(text: &str, word: &str) -> CharRange {
    let byte = text
        .find(word)
        .unwrap_or_else(|| panic!("{word} is not in {text}"));
    let start = text[..byte].chars().count();
    CharRange::new(start, start + word.chars().count()).unwrap()
}

pub struct Team {
    pub cluster: Cluster,
    pub dir: tempfile::TempDir,
}

impl Team {
    /// A server with these people (besides the lead, its owner and an
    /// admin), and the lead's project: [`TEXTS`] with a machine layer
    /// `model` (one ACTOR span each), not linked yet.
    pub fn start(people: &[(&str, Role)]) -> Option<Team> {
        Team::start_with(people, &TEXTS)
    }

    /// [`Team::start`] with the lead's project holding `texts` (each with
    /// one ACTOR span on its third word) instead of all of [`TEXTS`].
    pub fn start_with(people: &[(&str, Role)], texts: &[&str]) -> Option<Team> {
        let cluster = Cluster::start()?;
        cluster.create_team();
        let url = ServerUrl::parse(&cluster.lead_url()).unwrap();
        let mut server = Server::connect(&url).unwrap();
        server.init().unwrap();
        for (login, role) in people {
            server
                .add_person(login, None, *role, &Team::password(login))
                .unwrap();
        }
        let team = Team {
            cluster,
            dir: tempfile::tempdir().unwrap(),
        };
        let mut store = Store::open(&team.path(LEAD)).unwrap();
        let lead = store.annotator_id(LEAD).unwrap();
        let records: Vec<ImportRecord> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let word = text.split(' ').nth(2).unwrap();
                let r = range_of(text, word);
                ImportRecord {
                    doc: NewDocument {
                        title: format!("خبر {i}"),
                        text: (*text).to_owned(),
                        source: "lead".into(),
                        meta: serde_json::json!({"n": i}),
                    },
                    spans: vec![ImportSpan {
                        start: r.start(),
                        end: r.end(),
                        label: "ACTOR".into(),
                        text: None,
                        score: Some(0.9),
                        model: Some("m1".into()),
                        attrs: Attrs::new(),
                        note: String::new(),
                        field: "spans[0]".into(),
                        provenance: None,
                    }],
                    layer: "model".into(),
                    file: "model.jsonl".into(),
                    line: i + 1,
                }
            })
            .collect();
        store
            .import_records(
                &records,
                lead,
                false,
                ImportReport::default(),
                &mut |_, _| true,
            )
            .unwrap();
        Some(team)
    }

    pub fn path(&self, who: &str) -> PathBuf {
        self.dir.path().join(format!("{who}.tawsim"))
    }

    pub fn password(who: &str) -> String {
        if who == LEAD {
            LEAD_PASSWORD.to_owned()
        } else {
            format!("{who}-pw")
        }
    }

    /// The server as `who`, password in the URL (never stored by a link).
    pub fn open_server(&self, who: &str) -> Result<Server, tawsim::server::ServerError> {
        let url = ServerUrl::parse(&self.cluster.url(who, &Team::password(who), TEAM_DB))?;
        Server::open(&url)
    }

    pub fn link(&self, who: &str) -> LinkReport {
        let mut store = Store::open(&self.path(who)).unwrap();
        let mut server = self.open_server(who).unwrap();
        tawsim::sync::link(&mut store, &mut server).unwrap_or_else(|e| panic!("{who}: {e}"))
    }

    /// One round as `who`; an error connecting counts as the round's.
    pub fn try_sync(&self, who: &str) -> Result<SyncReport, SyncError> {
        let mut store = Store::open(&self.path(who)).unwrap();
        let mut server = self.open_server(who)?;
        tawsim::sync::sync(&mut store, &mut server)
    }

    pub fn sync(&self, who: &str) -> SyncReport {
        let report = self
            .try_sync(who)
            .unwrap_or_else(|e| panic!("{who}'s sync: {e}"));
        assert!(report.push.refused.is_empty(), "{who}: {report}");
        report
    }

    /// A plain SQL session as `who` (row-level security applies).
    pub fn sql_as(&self, who: &str) -> postgres::Client {
        self.cluster
            .connect(who, &Team::password(who), TEAM_DB)
            .unwrap_or_else(|e| panic!("{who} logs in: {e}"))
    }

    /// A plain SQL session as the cluster's superuser (sees every row).
    pub fn sql_super(&self) -> postgres::Client {
        postgres::Client::connect(&self.cluster.superuser_url(TEAM_DB), postgres::NoTls).unwrap()
    }
}

/// The local id of the document with text `TEXTS[i]` in `store`.
pub fn doc_of(store: &Store, i: usize) -> Option<DocId> {
    store
        .documents()
        .unwrap()
        .into_iter()
        .find(|d| store.document(d.id).unwrap().text == TEXTS[i])
        .map(|d| d.id)
}

pub fn sha_of(i: usize) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(TEXTS[i].as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A span's state as both sides keep it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanView {
    pub doc: String,
    pub layer: Uuid,
    pub annotator: Uuid,
    pub start: i64,
    pub end: i64,
    pub label: String,
    pub deleted: bool,
    pub attrs: serde_json::Value,
    pub note: String,
}

/// What a person has of the team's work, by global identities. Statuses,
/// reviews and rejections count as set when they are not "new",
/// "unreviewed" or taken back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    pub docs: BTreeSet<String>,
    pub spans: BTreeMap<Uuid, SpanView>,
    /// (document, annotator, status)
    pub statuses: BTreeSet<(String, Uuid, String)>,
    /// (document, status, reviewer)
    pub reviews: BTreeSet<(String, String, Uuid)>,
    /// (span, annotator) of live rejections
    pub marks: BTreeSet<(Uuid, Uuid)>,
    /// (document, annotator) of live assignments
    pub assignments: BTreeSet<(String, Uuid)>,
    /// event uid → (action, document)
    pub events: BTreeMap<Uuid, (String, Option<String>)>,
    pub notes: BTreeMap<String, String>,
}

impl View {
    /// Only what concerns `docs` (and events of no document).
    pub fn within(&self, docs: &BTreeSet<String>) -> View {
        View {
            docs: self.docs.intersection(docs).cloned().collect(),
            spans: self
                .spans
                .iter()
                .filter(|(_, s)| docs.contains(&s.doc))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            statuses: self
                .statuses
                .iter()
                .filter(|s| docs.contains(&s.0))
                .cloned()
                .collect(),
            reviews: self
                .reviews
                .iter()
                .filter(|s| docs.contains(&s.0))
                .cloned()
                .collect(),
            marks: self.marks.clone(),
            assignments: self
                .assignments
                .iter()
                .filter(|s| docs.contains(&s.0))
                .cloned()
                .collect(),
            events: self
                .events
                .iter()
                .filter(|(_, (_, d))| d.as_ref().is_none_or(|d| docs.contains(d)))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            notes: self
                .notes
                .iter()
                .filter(|(d, _)| docs.contains(*d))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

fn uuid_blob(bytes: Vec<u8>) -> Uuid {
    Uuid::from_slice(&bytes).expect("a 16-byte uid")
}

/// What the local project at `path` holds; events are those that travel
/// (pulled ones, and those of people; for an admin also the system's),
/// restricted like the rest to the documents in `docs` (or none).
pub fn local_view(path: &Path, docs: &BTreeSet<String>) -> View {
    let conn = Connection::open(path).unwrap();
    let (role, pulled): (String, i64) = conn
        .query_row(
            "SELECT (SELECT value FROM sync_state WHERE key = 'role'),
                    (SELECT value FROM sync_state WHERE key = 'pull_import')",
            [],
            |r| Ok((r.get(0)?, r.get::<_, String>(1)?.parse().unwrap())),
        )
        .unwrap();
    let mut v = View::default();
    let person = |alias: &str, column: &str| {
        format!(
            "(SELECT k.uid FROM annotators x JOIN annotators k ON k.id = coalesce(x.joined_into, x.id)
              WHERE x.id = {alias}.{column})"
        )
    };
    let q = |sql: &str, f: &mut dyn FnMut(&rusqlite::Row<'_>)| {
        let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            f(r);
        }
    };
    q("SELECT sha256, note FROM documents", &mut |r| {
        let sha: String = r.get(0).unwrap();
        let note: String = r.get(1).unwrap();
        if !note.is_empty() {
            v.notes.insert(sha.clone(), note);
        }
        v.docs.insert(sha);
    });
    q(
        &format!(
            "SELECT s.uid, d.sha256, l.uid, {}, s.start, s.\"end\", s.label, s.deleted_at IS NOT NULL,
                    s.attrs, s.note
             FROM spans s JOIN documents d ON d.id = s.doc_id JOIN layers l ON l.id = s.layer_id",
            person("s", "annotator_id")
        ),
        &mut |r| {
            let attrs: String = r.get(8).unwrap();
            v.spans.insert(
                uuid_blob(r.get(0).unwrap()),
                SpanView {
                    doc: r.get(1).unwrap(),
                    layer: uuid_blob(r.get(2).unwrap()),
                    annotator: uuid_blob(r.get(3).unwrap()),
                    start: r.get(4).unwrap(),
                    end: r.get(5).unwrap(),
                    label: r.get(6).unwrap(),
                    deleted: r.get(7).unwrap(),
                    attrs: serde_json::from_str(&attrs).unwrap(),
                    note: r.get(9).unwrap(),
                },
            );
        },
    );
    q(
        &format!(
            "SELECT d.sha256, {}, ds.status FROM document_status ds JOIN documents d ON d.id = ds.doc_id",
            person("ds", "annotator_id")
        ),
        &mut |r| {
            v.statuses.insert((
                r.get(0).unwrap(),
                uuid_blob(r.get(1).unwrap()),
                r.get(2).unwrap(),
            ));
        },
    );
    q(
        &format!(
            "SELECT d.sha256, r.status, {} FROM document_review r JOIN documents d ON d.id = r.doc_id",
            person("r", "reviewer_id")
        ),
        &mut |r| {
            v.reviews.insert((
                r.get(0).unwrap(),
                r.get(1).unwrap(),
                uuid_blob(r.get(2).unwrap()),
            ));
        },
    );
    q(
        &format!(
            "SELECT s.uid, {} FROM span_marks m JOIN spans s ON s.id = m.span_id",
            person("m", "annotator_id")
        ),
        &mut |r| {
            v.marks
                .insert((uuid_blob(r.get(0).unwrap()), uuid_blob(r.get(1).unwrap())));
        },
    );
    q(
        &format!(
            "SELECT d.sha256, {} FROM assignments g JOIN documents d ON d.id = g.doc_id
             WHERE g.removed = 0",
            person("g", "annotator_id")
        ),
        &mut |r| {
            v.assignments
                .insert((r.get(0).unwrap(), uuid_blob(r.get(1).unwrap())));
        },
    );
    let admin = i64::from(role == "admin");
    q(
        &format!(
            "SELECT e.uid, e.action, d.sha256 FROM audit e LEFT JOIN documents d ON d.id = e.doc_id
             WHERE e.import_id IS {pulled}
                OR (e.action NOT IN ('annotator.create', 'annotator.join', 'import', 'project.merge')
                    AND (e.actor IS NOT NULL OR {admin}))"
        ),
        &mut |r| {
            v.events.insert(
                uuid_blob(r.get(0).unwrap()),
                (r.get(1).unwrap(), r.get(2).unwrap()),
            );
        },
    );
    v.within(docs)
}

/// What the server shows `client` (logged in as some person, or the
/// superuser).
pub fn server_view(client: &mut postgres::Client) -> View {
    let mut v = View::default();
    for r in client
        .query("SELECT sha256, note FROM tawsim.documents", &[])
        .unwrap()
    {
        let sha: String = r.get(0);
        let note: String = r.get(1);
        if !note.is_empty() {
            v.notes.insert(sha.clone(), note);
        }
        v.docs.insert(sha);
    }
    for r in client
        .query(
            "SELECT uid, doc, layer, annotator, start, \"end\", label, deleted_at IS NOT NULL, attrs, note
             FROM tawsim.spans",
            &[],
        )
        .unwrap()
    {
        v.spans.insert(
            r.get(0),
            SpanView {
                doc: r.get(1),
                layer: r.get(2),
                annotator: r.get(3),
                start: i64::from(r.get::<_, i32>(4)),
                end: i64::from(r.get::<_, i32>(5)),
                label: r.get(6),
                deleted: r.get(7),
                attrs: r.get(8),
                note: r.get(9),
            },
        );
    }
    for r in client
        .query(
            "SELECT doc, annotator, status FROM tawsim.statuses WHERE status IS NOT NULL",
            &[],
        )
        .unwrap()
    {
        v.statuses.insert((r.get(0), r.get(1), r.get(2)));
    }
    for r in client
        .query(
            "SELECT doc, status, reviewer FROM tawsim.reviews WHERE status IS NOT NULL",
            &[],
        )
        .unwrap()
    {
        v.reviews.insert((r.get(0), r.get(1), r.get(2)));
    }
    for r in client
        .query(
            "SELECT span, annotator FROM tawsim.marks WHERE rejected",
            &[],
        )
        .unwrap()
    {
        v.marks.insert((r.get(0), r.get(1)));
    }
    for r in client
        .query(
            "SELECT doc, annotator FROM tawsim.assignments WHERE NOT removed",
            &[],
        )
        .unwrap()
    {
        v.assignments.insert((r.get(0), r.get(1)));
    }
    for r in client
        .query("SELECT uid, action, doc FROM tawsim.events", &[])
        .unwrap()
    {
        v.events.insert(r.get(0), (r.get(1), r.get(2)));
    }
    v
}

/// Assert two views hold the same records, naming what differs.
pub fn same(label: &str, want: &View, got: &View) {
    fn diff<K: Ord + std::fmt::Debug + Clone, V: PartialEq + std::fmt::Debug>(
        what: &str,
        want: &BTreeMap<K, V>,
        got: &BTreeMap<K, V>,
        out: &mut Vec<String>,
    ) {
        for (k, v) in want {
            match got.get(k) {
                None => out.push(format!("{what} missing: {k:?} {v:?}")),
                Some(g) if g != v => {
                    out.push(format!("{what} differs: {k:?}\n  want {v:?}\n  got  {g:?}"))
                }
                _ => {}
            }
        }
        for (k, v) in got {
            if !want.contains_key(k) {
                out.push(format!("{what} extra: {k:?} {v:?}"));
            }
        }
    }
    fn set<T: Ord + std::fmt::Debug>(
        what: &str,
        want: &BTreeSet<T>,
        got: &BTreeSet<T>,
        out: &mut Vec<String>,
    ) {
        for k in want.difference(got) {
            out.push(format!("{what} missing: {k:?}"));
        }
        for k in got.difference(want) {
            out.push(format!("{what} extra: {k:?}"));
        }
    }
    let mut out = Vec::new();
    set("document", &want.docs, &got.docs, &mut out);
    diff("span", &want.spans, &got.spans, &mut out);
    set("status", &want.statuses, &got.statuses, &mut out);
    set("review", &want.reviews, &got.reviews, &mut out);
    set("rejection", &want.marks, &got.marks, &mut out);
    set("assignment", &want.assignments, &got.assignments, &mut out);
    diff("event", &want.events, &got.events, &mut out);
    diff("document note", &want.notes, &got.notes, &mut out);
    assert!(out.is_empty(), "{label}:\n{}", out.join("\n"));
}

/// Nothing twice in a local project: no uid of a span or event twice, and
/// no live span twice (same document, layer, offsets and label, under two
/// uids, as a pull that re-added a span would leave).
pub fn no_duplicates(label: &str, path: &Path) {
    let conn = Connection::open(path).unwrap();
    for (what, sql) in [
        (
            "span uids",
            "SELECT count(*) FROM (SELECT uid FROM spans GROUP BY uid HAVING count(*) > 1)",
        ),
        (
            "event uids",
            "SELECT count(*) FROM (SELECT uid FROM audit GROUP BY uid HAVING count(*) > 1)",
        ),
        (
            "live spans",
            "SELECT count(*) FROM (SELECT 1 FROM spans WHERE deleted_at IS NULL
               GROUP BY doc_id, layer_id, start, \"end\", label HAVING count(*) > 1)",
        ),
        (
            "documents",
            "SELECT count(*) FROM (SELECT sha256 FROM documents GROUP BY sha256 HAVING count(*) > 1)",
        ),
    ] {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "{label}: {what} twice");
    }
}

/// `who`'s local project holds exactly what the server shows their login,
/// on the documents the server shows them (a document whose assignment was
/// taken back stays in the project but is no longer theirs to compare),
/// and nothing twice.
pub fn matches_server(team: &Team, who: &str) -> View {
    let mut client = team.sql_as(who);
    let all = server_view(&mut client);
    let there = all.within(&all.docs);
    let here = local_view(&team.path(who), &all.docs);
    same(
        &format!("{who}'s project against the server"),
        &there,
        &here,
    );
    no_duplicates(who, &team.path(who));
    there
}
