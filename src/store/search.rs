//! Full-text search over document titles and texts, Arabic-aware.
//!
//! The index is two FTS5 tables, `search_titles(title)` and
//! `search_index(body)` (see `MIGRATION_3`): contentless (`content=''`, so
//! the project does not hold the texts twice), trigram tokenizer (substring
//! search: Arabic glues prepositions and pronouns onto words, so «ادلب» must
//! find «وبإدلب»), `detail='none'` (which documents hold each trigram, no
//! positions), rowid = document id. They hold the titles and texts after
//! [`crate::text::normalize::normalize_text`] (diacritics and tatweel removed,
//! alef/ya/ta marbuta and digits folded).
//!
//! The index is filled in the background: `insert_document` (every way of
//! adding a document) only queues the document in `search_queue` (with the
//! import that wrote it), and [`Store::index_queued`] indexes queued documents
//! once they are visible, in short transactions of about
//! [`INDEX_TX_BUDGET`] each, reading and normalising the texts before each
//! transaction begins. The app runs it on a thread of its own; `tawsim
//! import` runs it before it exits (unless `--no-index`), and whatever is
//! left (an import stopped while indexing) the app finishes. Until the queue
//! is empty, [`SearchResults::coverage`] says how many documents search can
//! find, and the hits come from those. Opening a project queues any
//! document that is neither indexed nor queued (written by another program).
//!
//! Why this index: on 199,249 news texts, plain inserts take 3.5 s and the
//! former trigram index (positions kept, `detail='full'`) 46 s, 5.7 times
//! the text's size; the index is what made imports slow. It is now built
//! outside the import, and without positions: on the 100,000 texts of the
//! import benchmark (51 MB) a `detail='full'` trigram index took 8.2 s and
//! 94 MB, `detail='none'` 3.8 s and 29 MB, and a word index with 2- and
//! 3-letter prefixes (FTS5 `unicode61`, `prefix='2 3'`) 4.6 s and 43 MB —
//! but a word index cannot find «ادلب» inside «وإدلب» without
//! clitic-stripping rules, and the trigram one can. Lookups stay well under
//! a millisecond to a few tens of milliseconds (BENCHMARKS.md).
//!
//! A query is normalised the same way and looked up as the documents that
//! hold all of its trigrams (each quoted, so `"`, `*`, `AND`, `NEAR(` are
//! plain characters): documents whose title matches come first, then the
//! others, each in import order. Without positions the index cannot tell
//! whether the trigrams stand together, so every candidate is checked: its
//! stored title and text are normalised again with their offset
//! map ([`crate::text::normalize::normalize`]) to find the hits and map them
//! back to stored code points, so a hit's range slices the stored text
//! exactly; a candidate without the query is skipped (rare: on 100,000 news
//! texts «التي» has 24,825 candidates for 24,531 documents), and at most
//! [`MAX_CANDIDATES`] are read per call (about 80 ms at worst on a million
//! documents); a query whose trigrams are common but which is rare itself
//! («الالت») can have more candidates than that, and the call then returns
//! the hits so far with [`SearchResults::resume`], from which
//! [`Store::search_from`] reads the next candidates (the search window goes
//! on by itself, showing how many documents it has checked). The trigram tokenizer cannot look up fewer than three characters:
//! a query that normalises to one or two characters returns no hits and
//! [`SearchResults::too_short`] (the search box asks for three letters).
//!
//! This module does not change documents and knows nothing of egui.

use std::ops::Range;

use rusqlite::{Connection, params};

use super::{During, StoreError, to_i64};
use crate::model::{CharRange, DocId};
use crate::store::Store;
use crate::text::normalize::{normalize, normalize_text};

/// The fewest normalised characters the index can look up.
pub const MIN_QUERY_CHARS: usize = 3;
/// At most this many hits are reported per document.
pub const MAX_HITS_PER_DOCUMENT: usize = 3;
/// Characters of context shown on each side of a hit in a text.
const CONTEXT_CHARS: usize = 40;
/// Documents a search reads at most to check that they hold the query (the
/// index finds the documents holding all of its trigrams, mostly the same).
pub const MAX_CANDIDATES: usize = 10_000;

/// Where a hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchField {
    Title,
    Text,
}

/// One occurrence of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub doc: DocId,
    /// The document's title, as stored.
    pub title: String,
    pub field: SearchField,
    /// The hit in the title or text, in stored code points.
    pub range: CharRange,
    /// A stretch of the field around the hit, on one line, with `…` where it
    /// was cut.
    pub context: String,
    /// The hit inside `context`, in code points of `context`.
    pub context_range: CharRange,
}

/// Which table a search is reading: titles come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SearchPass {
    Titles,
    Texts,
}

/// Where a search that ran out of its candidate budget goes on
/// ([`Store::search_from`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchResume {
    pub pass: SearchPass,
    /// The last document id read in that pass.
    pub after: DocId,
    /// Candidates read so far.
    pub checked: usize,
}

/// The answer to [`Store::search`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchResults {
    /// The query after normalisation, as it was looked up.
    pub normalized_query: String,
    /// Hits, best document first; within a document titles first, then text order.
    pub hits: Vec<SearchHit>,
    /// The query has fewer than [`MIN_QUERY_CHARS`] characters after
    /// normalisation, so nothing was looked up.
    pub too_short: bool,
    /// More hits exist than `limit` allowed.
    pub truncated: bool,
    /// The search read [`MAX_CANDIDATES`] candidate documents and stopped
    /// with candidates left: [`Store::search_from`] goes on from here. The
    /// hits so far are complete up to that point.
    pub resume: Option<SearchResume>,
    /// Candidate documents read so far (by this search and those it
    /// resumed).
    pub checked: usize,
    /// Set while the search index is still catching up with the documents
    /// (after an import): the hits come from the indexed part only.
    pub coverage: Option<SearchCoverage>,
}

impl Store {
    /// Search titles and texts for `query` (Arabic-aware, see the module
    /// documentation), returning at most `limit` hits, at most
    /// [`MAX_HITS_PER_DOCUMENT`] per document. Reads at most
    /// [`MAX_CANDIDATES`] candidates; when more are left,
    /// [`SearchResults::resume`] says where [`Store::search_from`] goes on.
    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResults, StoreError> {
        self.search_from(query, limit, None)
    }

    /// [`Store::search`], going on where an earlier search of the same
    /// query stopped (its [`SearchResults::resume`]); `None` starts from
    /// the beginning. The hits are those after the earlier ones, and
    /// [`SearchResults::checked`] counts the candidates of both.
    pub fn search_from(
        &self,
        query: &str,
        limit: usize,
        resume: Option<SearchResume>,
    ) -> Result<SearchResults, StoreError> {
        let needle = normalize_text(query).replace('\0', "");
        let needle = needle.trim();
        let mut results = SearchResults {
            normalized_query: needle.to_owned(),
            checked: resume.map_or(0, |r| r.checked),
            ..SearchResults::default()
        };
        if self.search_index_behind()? {
            results.coverage = Some(self.search_coverage()?);
        }
        if needle.chars().count() < MIN_QUERY_CHARS {
            results.too_short = needle.chars().count() > 0;
            return Ok(results);
        }
        if limit == 0 {
            return Ok(results);
        }
        let expression = trigrams_all(needle);
        let mut budget = MAX_CANDIDATES;
        // Titles first: documents whose title holds the query (with their
        // hits in the text too), then the others whose text does, each in
        // import order.
        let passes = [
            (SearchPass::Titles, "search_titles"),
            (SearchPass::Texts, "search_index"),
        ];
        for (pass, table) in passes {
            let after = match resume {
                Some(r) if r.pass == pass => r.after,
                Some(r) if r.pass > pass => continue,
                _ => 0,
            };
            let mut stmt = self
                .conn
                .prepare_cached(&format!(
                    "SELECT d.id, d.title, d.text
                     FROM (SELECT rowid AS id FROM {table} WHERE {table} MATCH ?1 AND rowid > ?2) AS m
                     JOIN documents d ON d.id = m.id
                     ORDER BY m.id"
                ))
                .during("search the documents")?;
            let mut rows = stmt
                .query(params![expression, after])
                .during("search the documents")?;
            while let Some(row) = rows.next().during("search the documents")? {
                let doc: DocId = row.get(0).during("search the documents")?;
                if budget == 0 {
                    // Candidates are left: the caller may go on from the last one read.
                    results.resume = Some(SearchResume {
                        pass,
                        after: doc - 1,
                        checked: results.checked,
                    });
                    return Ok(results);
                }
                budget -= 1;
                results.checked += 1;
                let title: String = row.get(1).during("search the documents")?;
                let text: String = row.get(2).during("search the documents")?;
                // The index finds documents holding every trigram of the
                // query; the query itself must be there, in one piece.
                let in_title = find_all(&title, needle, MAX_HITS_PER_DOCUMENT + 1);
                match pass {
                    // Found in the text pass, or not at all.
                    SearchPass::Titles if in_title.is_empty() => continue,
                    // Found in the titles pass already.
                    SearchPass::Texts if !in_title.is_empty() => continue,
                    _ => {}
                }
                let mut found: Vec<(SearchField, Range<usize>, &String)> = in_title
                    .into_iter()
                    .map(|range| (SearchField::Title, range, &title))
                    .collect();
                for range in find_all(&text, needle, MAX_HITS_PER_DOCUMENT + 1) {
                    found.push((SearchField::Text, range, &text));
                }
                if found.is_empty() {
                    continue;
                }
                if results.hits.len() >= limit {
                    results.truncated = true;
                    return Ok(results);
                }
                if found.len() > MAX_HITS_PER_DOCUMENT {
                    results.truncated = true;
                    found.truncate(MAX_HITS_PER_DOCUMENT);
                }
                for (field, range, stored) in found {
                    if results.hits.len() == limit {
                        results.truncated = true;
                        return Ok(results);
                    }
                    let Ok(char_range) = CharRange::new(range.start, range.end) else {
                        continue;
                    };
                    let (context, context_range) = context_of(stored, range, field);
                    let Ok(context_range) = CharRange::new(context_range.start, context_range.end)
                    else {
                        continue;
                    };
                    results.hits.push(SearchHit {
                        doc,
                        title: title.clone(),
                        field,
                        range: char_range,
                        context,
                        context_range,
                    });
                }
            }
        }
        Ok(results)
    }

    /// Number of documents in the search index (for checks and tests).
    pub fn indexed_documents(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM search_index_docsize", [], |r| {
                r.get(0)
            })
            .during("count indexed documents")?;
        super::to_usize(n, "search_index_docsize")
    }
}

/// The FTS5 expression that finds the documents holding every trigram of
/// `needle` (at least three characters): `"ادل" AND "دلب"`, each quoted so
/// `"`, `*`, `AND` or `NEAR(` in the query are plain characters.
fn trigrams_all(needle: &str) -> String {
    let chars: Vec<char> = needle.chars().collect();
    let mut terms: Vec<String> = Vec::new();
    for window in chars.windows(3) {
        let term: String = window.iter().collect();
        let quoted = format!("\"{}\"", term.replace('"', "\"\""));
        if !terms.contains(&quoted) {
            terms.push(quoted);
        }
    }
    terms.join(" AND ")
}

/// Stored code-point ranges of the first `max` non-overlapping occurrences
/// of the normalised `needle` in `stored`.
fn find_all(stored: &str, needle: &str, max: usize) -> Vec<Range<usize>> {
    let norm = normalize(stored);
    let needle_chars = needle.chars().count();
    let mut out = Vec::new();
    let mut from = 0;
    // Byte offsets in the normalised text, turned into its char offsets.
    let mut char_of_byte = 0;
    let mut byte_seen = 0;
    while out.len() < max {
        let Some(at) = norm.text[from..].find(needle).map(|b| b + from) else {
            break;
        };
        char_of_byte += norm.text[byte_seen..at].chars().count();
        byte_seen = at;
        out.push(norm.original_range(char_of_byte..char_of_byte + needle_chars));
        from = at + needle.len();
    }
    out
}

/// A stretch of `stored` around `hit`, on the hit's line, cut at spaces with
/// `…` where it was cut, and where the hit lies inside it.
fn context_of(stored: &str, hit: Range<usize>, field: SearchField) -> (String, Range<usize>) {
    let chars: Vec<char> = stored.chars().collect();
    let is_break = |c: char| c == '\n' || c == '\u{2029}' || c == '\r';
    let line_start = chars[..hit.start]
        .iter()
        .rposition(|&c| is_break(c))
        .map_or(0, |p| p + 1);
    let line_end = chars[hit.end..]
        .iter()
        .position(|&c| is_break(c))
        .map_or(chars.len(), |p| hit.end + p);
    let reach = match field {
        SearchField::Title => usize::MAX / 4,
        SearchField::Text => CONTEXT_CHARS,
    };
    let mut start = hit.start.saturating_sub(reach).max(line_start);
    let mut end = hit.end.saturating_add(reach).min(line_end);
    // Cut at a space, so no word is shown in half.
    if start > line_start
        && let Some(p) = chars[start..hit.start]
            .iter()
            .position(|c| c.is_whitespace())
    {
        start += p + 1;
    }
    if end < line_end
        && let Some(p) = chars[hit.end..end].iter().rposition(|c| c.is_whitespace())
    {
        end = hit.end + p;
    }
    let mut context = String::new();
    let mut offset = 0;
    if start > line_start {
        context.push('…');
        offset = 1;
    }
    context.extend(&chars[start..end]);
    if end < line_end {
        context.push('…');
    }
    let local = offset + hit.start - start..offset + hit.end - start;
    (context, local)
}

/// Queue document `id` for the search index, inside the caller's transaction
/// (every way of adding a document goes through `insert_document`, which
/// calls this). [`Store::index_queued`] indexes it once it is visible.
pub(super) fn enqueue(conn: &Connection, id: DocId, import: Option<i64>) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO main.search_queue (doc_id, import_id) VALUES (?1, ?2)",
    )
    .and_then(|mut stmt| stmt.execute(params![id, import]))
    .during("queue a document for search")?;
    Ok(())
}

/// Queue the documents neither indexed nor queued (written by another
/// program behind tawsim's back). When nothing is missing this costs three
/// counts.
pub(super) fn ensure_queued(conn: &Connection) -> Result<usize, StoreError> {
    let complete: bool = conn
        .query_row(
            "SELECT (SELECT count(*) FROM main.documents) =
                    (SELECT count(*) FROM search_index_docsize) + (SELECT count(*) FROM main.search_queue)",
            [],
            |r| r.get(0),
        )
        .during("check the search index")?;
    if complete {
        return Ok(0);
    }
    let added = conn
        .execute(
            "INSERT OR IGNORE INTO main.search_queue (doc_id, import_id)
             SELECT id, import_id FROM main.documents
             WHERE id NOT IN (SELECT id FROM search_index_docsize)",
            [],
        )
        .during("queue documents for search")?;
    Ok(added)
}

/// How much of the project search can find: documents indexed against all
/// visible documents (see [`Store::search_coverage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchCoverage {
    /// Visible documents in the index.
    pub searchable: usize,
    /// Visible documents.
    pub documents: usize,
}

impl SearchCoverage {
    /// Every visible document is indexed.
    pub fn is_complete(&self) -> bool {
        self.searchable >= self.documents
    }

    /// Whole percent of documents searchable, rounded down (99 until complete).
    pub fn percent(&self) -> usize {
        if self.documents == 0 {
            return 100;
        }
        self.searchable.saturating_mul(100) / self.documents
    }
}

/// The committed imports, as an SQL list for `IN`.
const COMMITTED: &str = "(SELECT id FROM main.imports WHERE state = 'committed')";

/// How long one indexing transaction may hold the write lock, about.
pub const INDEX_TX_BUDGET: std::time::Duration = std::time::Duration::from_millis(10);

impl Store {
    /// Index up to `max` queued visible documents in short transactions
    /// (each holding the write lock for about [`INDEX_TX_BUDGET`]); the
    /// texts are read and normalised before each transaction begins. Returns
    /// how many were indexed; 0 when nothing visible is queued.
    pub fn index_queued(&mut self, max: usize) -> Result<usize, StoreError> {
        let mut done = 0;
        // Documents per transaction, adapted to the time the last one took.
        let mut batch = 16usize;
        while done < max {
            let want = batch.min(max - done);
            let docs: Vec<(DocId, String, String)> = {
                let mut stmt = self
                    .conn
                    .prepare_cached(
                        "SELECT d.id, d.title, d.text
                         FROM (SELECT doc_id FROM main.search_queue WHERE import_id IS NULL
                               UNION ALL
                               SELECT doc_id FROM main.search_queue WHERE import_id IN
                                   (SELECT id FROM main.imports WHERE state = 'committed')
                               LIMIT ?1) AS q
                         JOIN main.documents d ON d.id = q.doc_id",
                    )
                    .during("read documents to index")?;
                let rows = stmt
                    .query_map([to_i64(want)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .during("read documents to index")?;
                rows.collect::<Result<_, _>>()
                    .during("read documents to index")?
            };
            if docs.is_empty() {
                break;
            }
            let normalized: Vec<(DocId, String, String)> = docs
                .into_iter()
                .map(|(id, title, text)| (id, normalize_text(&title), normalize_text(&text)))
                .collect();
            let started = std::time::Instant::now();
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .during("index documents for search")?;
            for (id, title, body) in &normalized {
                // Another indexer (a second window) may have taken it meanwhile.
                let taken = tx
                    .prepare_cached("DELETE FROM main.search_queue WHERE doc_id = ?1")
                    .and_then(|mut stmt| stmt.execute([id]))
                    .during("index documents for search")?;
                if taken == 1 {
                    tx.prepare_cached("INSERT INTO search_titles (rowid, title) VALUES (?1, ?2)")
                        .and_then(|mut stmt| stmt.execute(params![id, title]))
                        .during("index a document for search")?;
                    tx.prepare_cached("INSERT INTO search_index (rowid, body) VALUES (?1, ?2)")
                        .and_then(|mut stmt| stmt.execute(params![id, body]))
                        .during("index a document for search")?;
                }
            }
            tx.commit().during("save the search index")?;
            done += normalized.len();
            let took = started.elapsed();
            batch = if took < INDEX_TX_BUDGET / 2 {
                (batch * 2).min(4096)
            } else if took > INDEX_TX_BUDGET {
                (batch / 2).max(1)
            } else {
                batch
            };
        }
        Ok(done)
    }

    /// Visible documents in the search index against all visible documents.
    /// Cheap when the queue is empty (one count of the documents).
    pub fn search_coverage(&self) -> Result<SearchCoverage, StoreError> {
        let (documents, queued): (i64, i64) = self
            .conn
            .query_row(
                &format!(
                    "SELECT (SELECT count(*) FROM documents),
                            (SELECT count(*) FROM main.search_queue WHERE import_id IS NULL)
                          + (SELECT count(*) FROM main.search_queue WHERE import_id IN {COMMITTED})"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .during("count the documents search can find")?;
        let documents = super::to_usize(documents, "documents")?;
        let queued = super::to_usize(queued, "search_queue")?;
        Ok(SearchCoverage {
            searchable: documents.saturating_sub(queued),
            documents,
        })
    }

    /// Whether visible documents wait for the search index.
    pub fn search_index_behind(&self) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM main.search_queue WHERE import_id IS NULL)
                         OR EXISTS (SELECT 1 FROM main.search_queue WHERE import_id IN {COMMITTED})"
                ),
                [],
                |r| r.get(0),
            )
            .during("check the search index")
    }
}

/// Whether document `id` is in the index.
#[cfg(test)]
fn is_indexed(conn: &Connection, id: DocId) -> bool {
    use rusqlite::OptionalExtension as _;
    conn.query_row(
        "SELECT 1 FROM search_index_docsize WHERE id = ?1",
        [id],
        |_| Ok(()),
    )
    .optional()
    .ok()
    .flatten()
    .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewDocument;

    #[test]
    fn context_is_cut_at_spaces_and_stays_on_the_hit_line() {
        let text = "سطر أول\nقصفت طائرات حربية روسية الخميس مدينة معرة النعمان وقرية بينين بريف إدلب وقريتي عنجارة وكفرناها بريف حلب الغربي\nسطر أخير";
        let chars: Vec<char> = text.chars().collect();
        let start = text.find("بينين").unwrap();
        let start = text[..start].chars().count();
        let hit = start..start + 5;
        let (context, local) = context_of(text, hit.clone(), SearchField::Text);
        assert!(!context.contains('\n'), "{context}");
        let ctx: Vec<char> = context.chars().collect();
        let shown: String = ctx[local].iter().collect();
        assert_eq!(shown, chars[hit].iter().collect::<String>());
        assert!(
            context.starts_with('…') && context.ends_with('…'),
            "{context}"
        );
        assert!(context.contains(" بريف إدلب "), "{context}");
    }

    #[test]
    fn find_all_maps_hits_over_diacritics() {
        let text = "في إِدْلِبَ وفي ادلب";
        let hits = find_all(text, "ادلب", 5);
        let chars: Vec<char> = text.chars().collect();
        let slices: Vec<String> = hits
            .iter()
            .map(|r| chars[r.clone()].iter().collect())
            .collect();
        assert_eq!(slices, vec!["إِدْلِبَ", "ادلب"]);
    }

    #[test]
    fn a_document_missing_from_the_index_is_queued_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.tawsim");
        {
            let mut store = Store::open(&path).unwrap();
            store
                .import_document(
                    &NewDocument {
                        title: "قصف على إدلب".into(),
                        text: "قصفت طائرات روسية مدينة إدلب".into(),
                        source: "t".into(),
                        meta: serde_json::json!({}),
                    },
                    None,
                )
                .unwrap();
            assert!(!is_indexed(&store.conn, 1), "indexed in the background");
            assert_eq!(store.index_queued(usize::MAX).unwrap(), 1);
            assert!(is_indexed(&store.conn, 1));
        }
        // Another program adds a document behind the store's back.
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute(
                "INSERT INTO documents (title, text, sha256, source, meta, direction, char_len, imported_at)
                 VALUES ('حلب', 'غارات على ريف حلب الغربي', printf('%064d', 7), 's', '{}', 'rtl', 24, '2025-01-01T00:00:00.000Z')",
                [],
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert!(store.search_index_behind().unwrap());
        assert_eq!(store.index_queued(usize::MAX).unwrap(), 1);
        assert!(is_indexed(&store.conn, 2));
        assert_eq!(store.indexed_documents().unwrap(), 2);
        let hits = store.search("الغربى", 10).unwrap().hits;
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].doc, 2);
    }
}
