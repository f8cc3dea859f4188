//! Arabic-aware search over a small real project: spelling variants find the
//! same hit, every hit's range slices the stored text, and no user input makes
//! the query fail.

use tawsim::model::CharRange;
use tawsim::store::{NewDocument, SearchField, SearchHit, Store};
use tawsim::text::normalize::normalize_text;

const ARTICLE: &str = include_str!("../assets/samples/idlib-ceasefire-ar.txt");
const SENTENCES: &str = include_str!("data/ud-arabic-pud/sentences.txt");

/// A report written with full diacritics, tatweel and Arabic-Indic digits,
/// the way some agencies publish: the same facts as the sample article.
const DECORATED: &str =
    "قُتِلَ ١٩ مَدَنِيًّا فِي غَارَاتٍ عَلَى رِيفِ حَلَـــبَ الغَرْبِيِّ يَوْمَ ٤ أَيَّار ٢٠١٧، وَأُصِيبَ آخَرُونَ فِي مُسْتَشْفَى مَدِينَةِ إِدْلِبَ";

fn doc(title: &str, text: &str, source: &str) -> NewDocument {
    NewDocument {
        title: title.into(),
        text: text.into(),
        source: source.into(),
        meta: serde_json::json!({}),
    }
}

/// Documents: 1 the sample article, 2 the decorated report, 3.. UD sentences.
fn project() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let parsed = tawsim::io::parse_txt(ARTICLE.as_bytes(), "idlib-ceasefire-ar.txt").unwrap();
    store.import_document(&parsed.doc, None).unwrap();
    store
        .import_document(&doc("غارات على ريف حلب", DECORATED, "decorated"), None)
        .unwrap();
    let docs: Vec<NewDocument> = SENTENCES
        .lines()
        .take(200)
        .enumerate()
        .map(|(i, s)| doc(&format!("جملة {i}"), s, &format!("ud:{i}")))
        .collect();
    store.import_documents(&docs, None).unwrap();
    // What the app's indexer thread does in the background.
    store.index_queued(usize::MAX).unwrap();
    store
}

fn stored(store: &Store, hit: &SearchHit) -> String {
    let d = store.document(hit.doc).unwrap();
    let field = match hit.field {
        SearchField::Title => d.title,
        SearchField::Text => d.text,
    };
    field
        .chars()
        .skip(hit.range.start())
        .take(hit.range.len())
        .collect()
}

fn hits_in(store: &Store, query: &str, doc: i64) -> Vec<(SearchField, CharRange)> {
    store
        .search(query, 50)
        .unwrap()
        .hits
        .into_iter()
        .filter(|h| h.doc == doc)
        .map(|h| (h.field, h.range))
        .collect()
}

#[test]
fn spelling_variants_find_the_same_hit() {
    let store = project();
    // Hamza, ta marbuta and diacritics: the decorated report's «مُسْتَشْفَى مَدِينَةِ إِدْلِبَ».
    let expected = hits_in(&store, "مستشفى مدينة إدلب", 2);
    assert_eq!(expected.len(), 1, "{expected:?}");
    for variant in [
        "مستشفي مدينه ادلب",
        "مُسْتَشْفَى مَدِينَةِ إِدْلِبَ",
        "مستشفـــى مدينة أدلب",
        "\u{200F}مستشفى مدينة إدلب",
    ] {
        assert_eq!(hits_in(&store, variant, 2), expected, "{variant}");
    }
    let hit = &store.search("مستشفي مدينه ادلب", 50).unwrap().hits[0];
    assert_eq!(stored(&store, hit), "مُسْتَشْفَى مَدِينَةِ إِدْلِبَ");

    // Tatweel in the stored text: «حَلَـــبَ» is found by «حلب الغربي».
    let hits = hits_in(&store, "حلب الغربي", 2);
    assert_eq!(hits.len(), 1);

    // Arabic-Indic digits in the text are found by ASCII digits and back.
    let ascii = hits_in(&store, "2017", 2);
    assert_eq!(ascii, hits_in(&store, "٢٠١٧", 2));
    assert_eq!(ascii.len(), 1);
    // …and the sample article's ASCII «00:01» by Indic digits.
    let article = hits_in(&store, "(٠٠:٠١)", 1);
    assert_eq!(article.len(), 1);
    assert_eq!(article, hits_in(&store, "(00:01)", 1));
}

#[test]
fn every_hit_range_slices_the_stored_text_to_the_query() {
    let store = project();
    for query in [
        "إدلب",
        "ادلب",
        "وقف إطلاق النار",
        "الروس",
        "مدينة",
        "١٩ مدني",
        "التي",
        "جملة 1",
    ] {
        let results = store.search(query, 50).unwrap();
        assert!(!results.hits.is_empty(), "{query}");
        for hit in &results.hits {
            let slice = stored(&store, hit);
            assert_eq!(
                normalize_text(&slice),
                normalize_text(query),
                "{query}: {slice}"
            );
            // The context shows the same characters at `context_range`.
            let shown: String = hit
                .context
                .chars()
                .skip(hit.context_range.start())
                .take(hit.context_range.len())
                .collect();
            assert_eq!(shown, slice, "{query}");
            assert!(!hit.context.contains('\n'));
        }
    }
}

#[test]
fn title_hits_come_first_and_point_into_the_title() {
    let store = project();
    let results = store.search("ريف حلب", 50).unwrap();
    let first = &results.hits[0];
    assert_eq!(first.doc, 2);
    assert_eq!(first.field, SearchField::Title);
    assert_eq!(stored(&store, first), "ريف حلب");
    assert_eq!(first.title, "غارات على ريف حلب");
}

#[test]
fn hits_per_document_and_in_all_are_capped() {
    let store = project();
    // «إدلب» occurs many times in the sample article.
    let all = store.search("إدلب", 50).unwrap();
    let in_article = all.hits.iter().filter(|h| h.doc == 1).count();
    assert_eq!(in_article, tawsim::store::search::MAX_HITS_PER_DOCUMENT);
    assert!(all.truncated);
    let one = store.search("إدلب", 1).unwrap();
    assert_eq!(one.hits.len(), 1);
    assert!(one.truncated);
}

#[test]
fn fts_syntax_and_odd_input_are_searched_as_plain_text() {
    let store = project();
    for query in [
        "\"",
        "\"إدلب",
        "إدلب\" OR \"حلب",
        "إدلب AND حلب",
        "NEAR(إدلب حلب)",
        "إدلب*",
        "*",
        "^ادلب",
        "title:إدلب",
        "'; DROP TABLE documents; --",
        "(((",
        "إدلب\0حلب",
        "   ",
        "",
    ] {
        let results = store
            .search(query, 20)
            .unwrap_or_else(|e| panic!("{query:?}: {e}"));
        for hit in &results.hits {
            assert_eq!(
                normalize_text(&stored(&store, hit)),
                results.normalized_query,
                "{query:?}"
            );
        }
    }
    // The quote is a character like any other: «(منسقو الاستجابة)» is found
    // with its bracket, and a query with a quote finds nothing here rather
    // than failing.
    let bracket = store.search("(منسقو", 20).unwrap();
    assert!(!bracket.hits.is_empty());
    assert!(bracket.hits.iter().all(|h| h.doc == 1));
    assert!(store.search("\"إدلب\"", 20).unwrap().hits.is_empty());
    assert_eq!(store.documents().unwrap().len(), 202);
}

#[test]
fn one_or_two_letters_ask_for_more() {
    let store = project();
    for query in ["في", "فِيّ", "ـفـيـ", "٢"] {
        let results = store.search(query, 20).unwrap();
        assert!(results.too_short, "{query}");
        assert!(results.hits.is_empty());
    }
    let empty = store.search("ً", 20).unwrap();
    assert!(!empty.too_short && empty.hits.is_empty());
}

#[test]
fn while_the_index_catches_up_search_gives_the_indexed_hits_and_says_how_far_it_is() {
    let mut store = Store::open_in_memory().unwrap();
    // 40 documents mention «إدلب» (hamza, in «وإدلب»), 10 do not.
    let docs: Vec<NewDocument> = (0..50)
        .map(|i| {
            let text = if i < 40 {
                format!("قصفت الطائرات مدينة وإدلب صباح اليوم رقم {i}")
            } else {
                format!("هدوء في حلب اليوم رقم {i}")
            };
            doc(&format!("خبر {i}"), &text, &format!("s:{i}"))
        })
        .collect();
    store.import_documents(&docs, None).unwrap();

    // Visible and openable at once, not yet searchable.
    assert_eq!(store.documents().unwrap().len(), 50);
    let before = store.search("ادلب", 100).unwrap();
    assert!(before.hits.is_empty());
    let coverage = before.coverage.expect("the index is behind");
    assert_eq!((coverage.searchable, coverage.documents), (0, 50));

    // The first 20 documents indexed: their hits only, and 40 %.
    assert_eq!(store.index_queued(20).unwrap(), 20);
    let part = store.search("ادلب", 100).unwrap();
    let docs_hit: std::collections::BTreeSet<i64> = part.hits.iter().map(|h| h.doc).collect();
    assert_eq!(docs_hit, (1..=20).collect());
    let coverage = part.coverage.expect("still behind");
    assert_eq!((coverage.searchable, coverage.documents), (20, 50));
    assert_eq!(coverage.percent(), 40);

    // The rest: every hit, and no progress any more.
    assert_eq!(store.index_queued(usize::MAX).unwrap(), 30);
    let all = store.search("ادلب", 100).unwrap();
    assert_eq!(all.hits.len(), 40);
    assert!(all.coverage.is_none());
    assert_eq!(store.index_queued(usize::MAX).unwrap(), 0);
    for hit in &all.hits {
        assert_eq!(stored(&store, hit), "إدلب");
    }
}

/// A query whose trigrams are everywhere but which is in one document only,
/// the last: the first call reads its budget of candidates and says where to
/// go on; going on finds the hit, and every candidate is read exactly once.
#[test]
fn a_rare_query_with_common_trigrams_is_searched_to_the_end_in_stretches() {
    use tawsim::store::search::MAX_CANDIDATES;
    let mut store = Store::open_in_memory().unwrap();
    let decoys = MAX_CANDIDATES + 500;
    let mut docs: Vec<NewDocument> = (0..decoys)
        .map(|i| {
            // «الا» «لال» «الت», never «الالت».
            let text = format!("قال الاول لالي التي رقم {i}");
            doc(&format!("وثيقة {i}"), &text, &format!("decoy:{i}"))
        })
        .collect();
    docs.push(doc("الأخيرة", "أكد الالتزام بالهدنة", "target"));
    store.import_documents(&docs, None).unwrap();
    store.index_queued(usize::MAX).unwrap();

    let first = store.search("الالت", 50).unwrap();
    assert!(first.hits.is_empty());
    assert!(!first.truncated, "no hit was left out for the limit");
    let mut resume = first.resume.expect("candidates are left to read");
    assert_eq!(first.checked, MAX_CANDIDATES);
    let mut hits = Vec::new();
    let mut calls = 1;
    let checked = loop {
        let more = store.search_from("الالت", 50, Some(resume)).unwrap();
        calls += 1;
        hits.extend(more.hits);
        match more.resume {
            Some(next) => resume = next,
            None => break more.checked,
        }
        assert!(calls < 10, "the search never ends");
    };
    assert_eq!(checked, decoys + 1, "each candidate read once");
    assert_eq!(hits.len(), 1);
    assert_eq!(stored(&store, &hits[0]), "الالت");
    assert_eq!(hits[0].field, SearchField::Text);
    // A common word is answered in one call, with its 50 hits.
    let common = store.search("التي", 50).unwrap();
    assert_eq!(common.hits.len(), 50);
    assert!(common.truncated);
    assert!(common.resume.is_none());
}
