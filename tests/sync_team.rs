//! A whole team through one real server (issue 12): a lead (admin), three
//! annotators and a reviewer, each with a local project, syncing in rounds
//! through one throwaway PostgreSQL cluster. Adds, relabels, deletes,
//! restores, attributes, notes, document notes, rejections, statuses,
//! assignments given and taken back, gold spans and review decisions must
//! arrive everywhere exactly once: after every round each project is
//! compared record by record with what the server shows that person's login
//! (row-level security applied), annotators who share a document with each
//! other, the reviewer with the lead, and nothing is in any project twice.
//! `tests/sync.rs` covers blind annotation, a replayed push and refused
//! rows; this one covers many people changing the same records over
//! several rounds, with blind annotation off.

#[path = "common/pg.rs"]
mod pg;
#[path = "common/team.rs"]
mod team;

use std::collections::BTreeSet;

use pg::LEAD;
use tawsim::model::{Attrs, Change, Origin};
use tawsim::server::Role;
use tawsim::store::{ReviewStatus, Status, Store};
use team::{PLACES, TEXTS, Team, View, doc_of, matches_server, range_of, same, sha_of};

const ANNOTATORS: [&str; 3] = ["layla", "omar", "noor"];

/// The annotators of document `i` at first: two of the three, in turn.
fn pair(i: usize) -> [&'static str; 2] {
    [ANNOTATORS[i % 3], ANNOTATORS[(i + 1) % 3]]
}

/// Every person's project against the server, and against each other.
fn check_everyone(team: &Team, round: &str) {
    let lead = matches_server(team, LEAD);
    let sara = matches_server(team, "sara");
    // Staff read everything: the lead and the reviewer hold the same.
    same(
        &format!("{round}: the reviewer against the lead"),
        &lead,
        &sara,
    );
    let all = team::server_view(&mut team.sql_super());
    same(
        &format!("{round}: the lead against the whole server"),
        &all.within(&all.docs),
        &lead,
    );
    let views: Vec<(&str, View)> = ANNOTATORS
        .iter()
        .map(|who| (*who, matches_server(team, who)))
        .collect();
    // Two annotators on one document see the same spans, statuses,
    // review and note of it (blind annotation is off).
    for (a, va) in &views {
        for (b, vb) in &views {
            if a >= b {
                continue;
            }
            let shared: BTreeSet<String> = va.docs.intersection(&vb.docs).cloned().collect();
            let (x, y) = (va.within(&shared), vb.within(&shared));
            assert_eq!(x.spans, y.spans, "{round}: {a} and {b} on {shared:?}");
            assert_eq!(x.statuses, y.statuses, "{round}: {a} and {b}");
            assert_eq!(x.reviews, y.reviews, "{round}: {a} and {b}");
            assert_eq!(x.notes, y.notes, "{round}: {a} and {b}");
        }
        // An annotator has the documents assigned to them, no others.
        let mine: BTreeSet<String> = lead
            .assignments
            .iter()
            .filter(|(_, who)| Some(*who) == person(team, a))
            .map(|(doc, _)| doc.clone())
            .collect();
        assert_eq!(va.docs, mine, "{round}: {a}'s documents");
    }
    // Nothing twice on the server: one live span per layer, range and label.
    let dup: i64 = team
        .sql_super()
        .query_one(
            "SELECT count(*) FROM (SELECT 1 FROM tawsim.spans WHERE deleted_at IS NULL
               GROUP BY doc, layer, start, \"end\", label HAVING count(*) > 1) d",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(dup, 0, "{round}: a span twice on the server");
}

fn person(team: &Team, login: &str) -> Option<uuid::Uuid> {
    team.sql_super()
        .query_opt("SELECT uid FROM tawsim.people WHERE login = $1", &[&login])
        .unwrap()
        .map(|r| r.get(0))
}

/// Everyone syncs, in this order, twice (the second round brings each
/// what the others pushed after their first).
fn everyone_syncs(team: &Team) {
    for _ in 0..2 {
        for who in [LEAD, "layla", "omar", "noor", "sara"] {
            team.sync(who);
        }
    }
}

/// `who` labels each of their documents: a place with a note, a word as
/// DATE relabelled ACTOR with an attribute; their status is in progress.
fn first_pass(team: &Team, who: &str) {
    let mut store = Store::open(&team.path(who)).unwrap();
    let me = store.annotator_id(who).unwrap();
    for i in 0..TEXTS.len() {
        let Some(doc) = doc_of(&store, i) else {
            continue;
        };
        let text = TEXTS[i];
        let place = store
            .add_span(doc, me, range_of(text, PLACES[i]), "PLACE", Origin::Manual)
            .unwrap();
        store
            .apply(
                &Change::SetNote {
                    span: place.id,
                    from: String::new(),
                    to: format!("{who}: مكان"),
                },
                me,
            )
            .unwrap();
        let word = text.split(' ').nth(1).unwrap();
        let other = store
            .add_span(doc, me, range_of(text, word), "DATE", Origin::Manual)
            .unwrap();
        store
            .apply(
                &Change::Relabel {
                    span: other.id,
                    from: "DATE".into(),
                    to: "ACTOR".into(),
                },
                me,
            )
            .unwrap();
        let mut attrs = Attrs::new();
        attrs.insert("side".into(), serde_json::json!(who));
        store
            .apply(
                &Change::SetAttrs {
                    span: other.id,
                    from: Attrs::new(),
                    to: attrs,
                },
                me,
            )
            .unwrap();
        store.set_status(doc, me, Status::InProgress).unwrap();
    }
}

/// The first of `who`'s documents (by text order) and their spans on it.
fn first_doc(store: &Store, who: &str) -> (usize, tawsim::model::DocId) {
    (0..TEXTS.len())
        .find_map(|i| doc_of(store, i).map(|d| (i, d)))
        .unwrap_or_else(|| panic!("{who} has a document"))
}

#[test]
fn three_annotators_and_a_reviewer_see_every_change_exactly_once() {
    let people = [
        ("layla", Role::Annotator),
        ("omar", Role::Annotator),
        ("noor", Role::Annotator),
        ("sara", Role::Reviewer),
    ];
    let Some(team) = Team::start(&people) else {
        return;
    };

    // The lead links (documents and the model layer go up) and assigns
    // every document to two of the three annotators.
    team.link(LEAD);
    {
        let mut store = Store::open(&team.path(LEAD)).unwrap();
        let lead = store.annotator_id(LEAD).unwrap();
        for i in 0..TEXTS.len() {
            let doc = doc_of(&store, i).unwrap();
            for who in pair(i) {
                let a = store.annotator_id(who).unwrap();
                assert!(store.set_assignment(doc, a, true, Some(lead)).unwrap());
            }
        }
    }
    let report = team.sync(LEAD);
    assert_eq!(report.push.tables.get("assignments"), Some(&(12, 12)));
    for who in ["layla", "omar", "noor", "sara"] {
        team.link(who);
    }
    check_everyone(&team, "after linking");
    for who in ANNOTATORS {
        let store = Store::open(&team.path(who)).unwrap();
        assert_eq!(store.documents().unwrap().len(), 4, "{who}");
    }

    // Round 1: everyone labels their documents.
    for who in ANNOTATORS {
        first_pass(&team, who);
    }
    everyone_syncs(&team);
    check_everyone(&team, "round 1");
    let all = team::server_view(&mut team.sql_super());
    // 6 model spans, and 2 per annotator and document (12 pairs).
    assert_eq!(all.spans.len(), 6 + 2 * 12);
    assert_eq!(all.statuses.len(), 12);

    // Round 2: each changes records that others have pulled already.
    // layla deletes her ACTOR on her first document, writes its note,
    // rejects the model's span there and finishes everything.
    {
        let mut store = Store::open(&team.path("layla")).unwrap();
        let me = store.annotator_id("layla").unwrap();
        let (_, doc) = first_doc(&store, "layla");
        let spans = store.spans(doc).unwrap();
        let actor = spans
            .iter()
            .find(|s| s.annotator == me && s.label == "ACTOR")
            .unwrap();
        store.apply(&Change::Delete { span: actor.id }, me).unwrap();
        let from = store.document_note(doc).unwrap();
        store
            .apply(
                &Change::DocumentNote {
                    doc,
                    from,
                    to: "ليلى: راجعت".into(),
                },
                me,
            )
            .unwrap();
        let model = spans.iter().find(|s| s.model.is_some()).unwrap();
        store.apply(&Change::Reject { span: model.id }, me).unwrap();
        for d in store.documents().unwrap() {
            store.set_status(d.id, me, Status::Done).unwrap();
        }
    }
    // omar relabels his places and changes an attribute; skips a document.
    {
        let mut store = Store::open(&team.path("omar")).unwrap();
        let me = store.annotator_id("omar").unwrap();
        for d in store.documents().unwrap() {
            for s in store.spans(d.id).unwrap() {
                if s.annotator != me {
                    continue;
                }
                if s.label == "PLACE" {
                    store
                        .apply(
                            &Change::Relabel {
                                span: s.id,
                                from: "PLACE".into(),
                                to: "ACTOR".into(),
                            },
                            me,
                        )
                        .unwrap();
                } else {
                    let mut to = s.attrs.clone();
                    to.insert("side".into(), serde_json::json!("omar, again"));
                    store
                        .apply(
                            &Change::SetAttrs {
                                span: s.id,
                                from: s.attrs.clone(),
                                to,
                            },
                            me,
                        )
                        .unwrap();
                }
            }
        }
        let (_, doc) = first_doc(&store, "omar");
        store.set_status(doc, me, Status::Skipped).unwrap();
    }
    // noor deletes and brings back a span, and changes a note.
    {
        let mut store = Store::open(&team.path("noor")).unwrap();
        let me = store.annotator_id("noor").unwrap();
        let (_, doc) = first_doc(&store, "noor");
        let spans = store.spans(doc).unwrap();
        let place = spans
            .iter()
            .find(|s| s.annotator == me && s.label == "PLACE")
            .unwrap();
        store.apply(&Change::Delete { span: place.id }, me).unwrap();
        store
            .apply(&Change::Restore { span: place.id }, me)
            .unwrap();
        store
            .apply(
                &Change::SetNote {
                    span: place.id,
                    from: place.note.clone(),
                    to: "نور: مدينة".into(),
                },
                me,
            )
            .unwrap();
    }
    // The lead takes document 2 back from noor and gives her document 0
    // (layla's and omar's, with their work on it).
    let noor_before: BTreeSet<String> = {
        let mut store = Store::open(&team.path(LEAD)).unwrap();
        let lead = store.annotator_id(LEAD).unwrap();
        let noor = store.annotator_id("noor").unwrap();
        assert_eq!(pair(2), ["noor", "layla"]);
        assert!(
            store
                .set_assignment(doc_of(&store, 2).unwrap(), noor, false, Some(lead))
                .unwrap()
        );
        assert!(
            store
                .set_assignment(doc_of(&store, 0).unwrap(), noor, true, Some(lead))
                .unwrap()
        );
        let store = Store::open(&team.path("noor")).unwrap();
        store
            .documents()
            .unwrap()
            .iter()
            .map(|d| store.document(d.id).unwrap().sha256)
            .collect()
    };
    assert!(!noor_before.contains(&sha_of(0)));
    everyone_syncs(&team);
    check_everyone(&team, "round 2");
    {
        // noor now has document 0 with everyone's work on it; document 2
        // stays in her project (her work on it too) but is no longer hers.
        let store = Store::open(&team.path("noor")).unwrap();
        let doc0 = doc_of(&store, 0).unwrap();
        let names = store.annotators().unwrap();
        let layers: BTreeSet<String> = store
            .spans(doc0)
            .unwrap()
            .iter()
            .filter_map(|s| names.iter().find(|a| a.id == s.annotator))
            .map(|a| a.name.clone())
            .collect();
        assert!(
            layers.contains("layla") && layers.contains("omar"),
            "{layers:?}"
        );
        assert!(doc_of(&store, 2).is_some());
    }
    let all = team::server_view(&mut team.sql_super());
    assert_eq!(all.spans.len(), 6 + 2 * 12, "changes add no span");
    assert_eq!(
        all.spans.values().filter(|s| s.deleted).count(),
        1,
        "layla's deletion; noor's restored span is live"
    );

    // Round 3: the reviewer adjudicates document 0 and starts on 1.
    let gold_labels = {
        let mut store = Store::open(&team.path("sara")).unwrap();
        let me = store.annotator_id("sara").unwrap();
        let layla = store.annotator_id("layla").unwrap();
        let omar = store.annotator_id("omar").unwrap();
        let doc0 = doc_of(&store, 0).unwrap();
        let spans = store.spans(doc0).unwrap();
        let layla_place = spans
            .iter()
            .find(|s| s.annotator == layla && s.label == "PLACE")
            .unwrap();
        store.accept_into_gold(layla_place.id, me).unwrap();
        let omar_actor = spans
            .iter()
            .find(|s| s.annotator == omar && s.attrs.contains_key("side"))
            .unwrap();
        let word = TEXTS[0].split(' ').nth(1).unwrap();
        store
            .correct_into_gold(omar_actor.id, me, range_of(TEXTS[0], word), "ACTOR")
            .unwrap();
        store
            .add_gold_span(doc0, me, range_of(TEXTS[0], "الخميس"), "DATE")
            .unwrap();
        store
            .set_review_status(doc0, ReviewStatus::Adjudicated, me)
            .unwrap();
        let doc1 = doc_of(&store, 1).unwrap();
        store
            .set_review_status(doc1, ReviewStatus::InReview, me)
            .unwrap();
        3
    };
    everyone_syncs(&team);
    check_everyone(&team, "round 3");
    for who in ANNOTATORS {
        let store = Store::open(&team.path(who)).unwrap();
        if let Some(doc0) = doc_of(&store, 0) {
            assert_eq!(
                store.review_status(doc0).unwrap(),
                ReviewStatus::Adjudicated,
                "{who} sees document 0 adjudicated"
            );
        }
        if let Some(doc1) = doc_of(&store, 1) {
            assert_eq!(
                store.review_status(doc1).unwrap(),
                ReviewStatus::InReview,
                "{who} sees document 1 in review"
            );
        }
    }
    let gold = |who: &str| -> usize {
        let conn = rusqlite::Connection::open(team.path(who)).unwrap();
        conn.query_row(
            "SELECT count(*) FROM spans s JOIN layers l ON l.id = s.layer_id WHERE l.kind = 'gold'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap() as usize
    };
    for who in ["layla", "omar", "noor", LEAD, "sara"] {
        assert_eq!(gold(who), gold_labels, "{who}'s gold spans");
    }

    // Round 4: the reviewer changes her mind on a gold span the others
    // have; the change replaces it everywhere, adding nothing.
    {
        let mut store = Store::open(&team.path("sara")).unwrap();
        let me = store.annotator_id("sara").unwrap();
        let doc0 = doc_of(&store, 0).unwrap();
        let date = store
            .spans(doc0)
            .unwrap()
            .into_iter()
            .find(|s| s.label == "DATE" && s.annotator == me)
            .unwrap();
        store
            .apply(
                &Change::Relabel {
                    span: date.id,
                    from: "DATE".into(),
                    to: "TIME".into(),
                },
                me,
            )
            .unwrap();
    }
    everyone_syncs(&team);
    check_everyone(&team, "round 4");
    for who in ANNOTATORS {
        let conn = rusqlite::Connection::open(team.path(who)).unwrap();
        let labels: Vec<String> = conn
            .prepare(
                "SELECT s.label FROM spans s JOIN layers l ON l.id = s.layer_id
                 WHERE l.kind = 'gold' AND s.start = ?1",
            )
            .unwrap()
            .query_map([range_of(TEXTS[0], "الخميس").start() as i64], |r| {
                r.get(0)
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(labels, ["TIME"], "{who}");
    }

    // At rest: a further round moves nothing anywhere.
    let before = team::server_view(&mut team.sql_super());
    for who in [LEAD, "layla", "omar", "noor", "sara"] {
        let report = team.sync(who);
        assert_eq!(report.push.written(), 0, "{who}: {report}");
        assert!(report.pull.nothing_new(), "{who}: {report}");
    }
    assert_eq!(team::server_view(&mut team.sql_super()), before);
}
