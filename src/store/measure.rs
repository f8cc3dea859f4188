//! Project-wide measures, read in one streaming pass: agreement between
//! layers and evaluation of a layer against a reference (usually gold).
//!
//! Which documents count:
//!
//! - **agreement**: every document in which at least one of the compared
//!   layers has a live span (a document nobody touched would only add `O`
//!   tokens that everybody "agrees" on);
//! - **evaluation**: every document in which the reference layer has a live
//!   span or whose review status is `adjudicated` (an adjudicated document
//!   with an empty gold layer still counts every prediction in it as a false
//!   alarm).
//!
//! Documents are read in id order with their spans; neither texts nor spans
//! of the whole project are held in memory at once.

use std::collections::{BTreeMap, HashSet};

use super::{During, SPAN_SELECT_MAIN, SpanRow, Store, StoreError, VISIBLE_ROW};
use crate::model::{DocId, LayerId, Span};
use crate::review::agreement::{Agreement, AgreementBuilder};
use crate::review::evaluate::{Counts, Evaluation, Matching, match_document};

impl Store {
    /// Agreement between `layers` over the documents where any of them has a span.
    pub fn agreement(&self, layers: &[LayerId]) -> Result<Agreement, StoreError> {
        let mut builder = AgreementBuilder::new(layers);
        self.for_each_document(layers, &[], |_, text, spans| {
            builder.add_document(text, spans);
        })?;
        Ok(builder.finish())
    }

    /// Evaluate `layer` against `reference` with both matchings.
    pub fn evaluate(
        &self,
        layer: LayerId,
        reference: LayerId,
    ) -> Result<[Evaluation; 2], StoreError> {
        let mut out = [Matching::Exact, Matching::Overlap].map(|matching| Evaluation {
            matching,
            per_label: BTreeMap::new(),
            overall: Counts::default(),
            misses: Vec::new(),
            false_alarms: Vec::new(),
        });
        self.for_each_document(&[reference], &[layer], |_, _, spans| {
            for e in out.iter_mut() {
                let mut pred: Vec<&Span> = spans.iter().filter(|s| s.layer == layer).collect();
                let mut gold: Vec<&Span> = spans.iter().filter(|s| s.layer == reference).collect();
                let (mut misses, mut alarms) = (Vec::new(), Vec::new());
                match_document(
                    &mut pred,
                    &mut gold,
                    e.matching,
                    &mut e.per_label,
                    |g| misses.push(g.clone()),
                    |p| alarms.push(p.clone()),
                );
                e.misses.extend(misses);
                e.false_alarms.extend(alarms);
            }
        })?;
        for e in out.iter_mut() {
            e.overall = Counts::default();
            for c in e.per_label.values() {
                e.overall.add(*c);
            }
        }
        Ok(out)
    }

    /// Call `f` with each document that has a live span in one of `select`
    /// (or, when `select` is a single reference layer, is adjudicated), its
    /// text and its live spans of `select` and `also`.
    fn for_each_document(
        &self,
        select: &[LayerId],
        also: &[LayerId],
        mut f: impl FnMut(DocId, &str, &[Span]),
    ) -> Result<(), StoreError> {
        let layer_list = |ids: &[LayerId]| {
            ids.iter()
                .map(|id| id.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let all: Vec<LayerId> = select.iter().chain(also).copied().collect();
        let all = layer_list(&all);
        // A reference layer alone: adjudicated documents count even without spans.
        let adjudicated: HashSet<DocId> = if select.len() == 1 && !also.is_empty() {
            let mut stmt = self
                .conn
                .prepare("SELECT doc_id FROM document_review WHERE status = 'adjudicated'")
                .during("read review statuses")?;
            let ids = stmt
                .query_map([], |r| r.get(0))
                .during("read review statuses")?;
            ids.collect::<Result<_, _>>()
                .during("read review statuses")?
        } else {
            HashSet::new()
        };
        // Both scans run in document order without sorting: documents by id,
        // spans through the (doc_id, start) index. Layer ids are integers
        // formatted here, never user text.
        let mut docs_stmt = self
            .conn
            .prepare("SELECT id, text FROM documents ORDER BY id")
            .during("read documents")?;
        let mut spans_stmt = self
            .conn
            .prepare(&format!(
                "{SPAN_SELECT_MAIN} INDEXED BY spans_by_doc_start
                 WHERE layer_id IN ({all}) AND deleted_at IS NULL AND {VISIBLE_ROW}
                 ORDER BY doc_id, start"
            ))
            .during("read spans")?;
        let mut docs = docs_stmt.query([]).during("read documents")?;
        let mut spans = spans_stmt.query([]).during("read spans")?;
        let mut pending: Option<Span> = None;
        let mut batch: Vec<Span> = Vec::new();
        while let Some(row) = docs.next().during("read documents")? {
            let doc: DocId = row.get(0).during("read documents")?;
            batch.clear();
            loop {
                let span = match pending.take() {
                    Some(span) => span,
                    None => match spans.next().during("read spans")? {
                        Some(r) => SpanRow::read(r).during("read spans")?.into_span()?,
                        None => break,
                    },
                };
                if span.doc > doc {
                    pending = Some(span);
                    break;
                }
                if span.doc == doc {
                    batch.push(span);
                }
            }
            let selected = batch.iter().any(|s| select.contains(&s.layer));
            if selected || adjudicated.contains(&doc) {
                let text = row.get_ref(1).during("read documents")?;
                let text = text.as_str().map_err(|e| StoreError::Corrupt {
                    what: format!("document {doc} text: {e}"),
                })?;
                f(doc, text, &batch);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{CharRange, Origin};
    use crate::review::evaluate::Counts;
    use crate::store::{NewDocument, ReviewStatus, Store};

    #[test]
    fn evaluation_and_agreement_stream_over_the_right_documents() {
        let mut store = Store::open_in_memory().unwrap();
        let texts = [
            "قصفت قوات الأسد مدينة إدلب يوم الخميس",
            "استشهد 19 مدنياً في ريف حلب الغربي",
            "أعلن فريق منسقو الاستجابة عن الحصيلة",
        ];
        let docs: Vec<i64> = texts
            .iter()
            .map(|t| {
                store
                    .import_document(
                        &NewDocument {
                            title: "t".into(),
                            text: (*t).into(),
                            source: "test".into(),
                            meta: serde_json::json!({}),
                        },
                        None,
                    )
                    .unwrap()
                    .id()
            })
            .collect();
        let model = store.annotator_id("model").unwrap();
        let r = store.annotator_id("reviewer").unwrap();
        let add = |store: &mut Store, doc, who, s, e, l: &str| {
            store
                .add_span(doc, who, CharRange::new(s, e).unwrap(), l, Origin::Manual)
                .unwrap()
        };
        // Doc 0: model right on إدلب, gold accepted it.
        let p = add(&mut store, docs[0], model, 22, 26, "PLACE");
        store.accept_into_gold(p.id, r).unwrap();
        // Doc 1: model tags a casualty, the document is adjudicated with no gold.
        add(&mut store, docs[1], model, 7, 16, "CASUALTY");
        store
            .set_review_status(docs[1], ReviewStatus::Adjudicated, r)
            .unwrap();
        // Doc 2: not reviewed: the model's span there is not counted.
        add(&mut store, docs[2], model, 10, 25, "ACTOR");

        let gold = store.gold_layer(None).unwrap();
        let layer = store.annotator_layer(model).unwrap();
        let [exact, overlap] = store.evaluate(layer, gold).unwrap();
        assert_eq!(
            exact.overall,
            Counts {
                tp: 1,
                fp: 1,
                fn_: 0
            }
        );
        assert_eq!(
            overlap.overall,
            Counts {
                tp: 1,
                fp: 1,
                fn_: 0
            }
        );
        assert_eq!(exact.false_alarms[0].text, "19 مدنياً");

        let agreement = store.agreement(&[layer, gold]).unwrap();
        // Every document where either layer has a span.
        assert_eq!(agreement.documents, 3);
        assert_eq!(agreement.pairs.len(), 1);
    }
}
