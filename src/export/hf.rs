//! Hugging Face export: token classification data that `datasets` loads
//! offline with `load_dataset("json", data_files=…)`.
//!
//! Tokens, sentences, tags and every policy (span-edge splits, overlapping
//! spans left out) are exactly those of the [`conll`](super::conll) export;
//! this module only writes them as JSON. It must not invent tags: the tag list
//! comes from the labels of the exported spans.
//!
//! # Format
//!
//! A folder with `data.jsonl` (or `train.jsonl`, `validation.jsonl`,
//! `test.jsonl` with `--split`), `labels.json` and `manifest.json`. Each line
//! of a data file is one sentence:
//!
//! ```json
//! {"id":"1-0","tokens":["قصف","على","و","إدلب","."],"ner_tags":[0,0,0,5,0]}
//! ```
//!
//! `id` is `DOC-N`: the document's export id (see [`jsonl`](super::jsonl)) and
//! the sentence's number in it from 0. `ner_tags[i]` is the index of token
//! `i`'s tag in `labels.json`, a JSON list of tag names: `"O"` first, then
//! `"B-X"`, `"I-X"` for each label X in sorted order, e.g.
//! `["O","B-DATE","I-DATE","B-PLACE","I-PLACE"]`. There are no offsets.

use std::collections::HashMap;

use serde::Serialize;

use super::conll::{Tag, tag_document};
use super::{
    Document, ExportError, Format, FormatWriter, Out, Part, Tally, WriterContext, part_out,
};

#[derive(Serialize)]
struct Line<'a> {
    id: String,
    tokens: Vec<&'a str>,
    ner_tags: Vec<usize>,
}

pub struct HfWriter<'a> {
    outs: Vec<Out>,
    staging: &'a super::Staging,
    names: Vec<String>,
    /// Label → index of its `B-` tag.
    index: HashMap<String, usize>,
}

impl<'a> HfWriter<'a> {
    pub fn new(ctx: &WriterContext<'a>) -> Result<HfWriter<'a>, ExportError> {
        let outs = if ctx.split {
            ctx.part_files(Format::Hf, "jsonl")?
        } else {
            vec![ctx.staging.create("data.jsonl", "data.jsonl")?]
        };
        let mut writer = HfWriter {
            outs,
            staging: ctx.staging,
            names: vec!["O".to_owned()],
            index: HashMap::new(),
        };
        for label in ctx.labels {
            writer.tag_of(label);
        }
        Ok(writer)
    }

    /// The index of `B-label`, adding the label at the end if it is new.
    fn tag_of(&mut self, label: &str) -> usize {
        if let Some(&i) = self.index.get(label) {
            return i;
        }
        let i = self.names.len();
        self.names.push(format!("B-{label}"));
        self.names.push(format!("I-{label}"));
        self.index.insert(label.to_owned(), i);
        i
    }
}

impl FormatWriter for HfWriter<'_> {
    fn document(
        &mut self,
        doc: &Document,
        part: Part,
        tally: &mut Tally,
    ) -> Result<(), ExportError> {
        let tagged = tag_document(doc, tally)?;
        for (n, sentence) in tagged.sentences.iter().enumerate() {
            let mut tokens = Vec::with_capacity(sentence.len());
            let mut ner_tags = Vec::with_capacity(sentence.len());
            for i in sentence.clone() {
                let t = tagged.tokens[i];
                tokens.push(doc.slice(t.start, t.end).unwrap_or(""));
                ner_tags.push(match tagged.tags[i] {
                    Tag::O => 0,
                    Tag::B(l) => self.tag_of(l),
                    Tag::I(l) => self.tag_of(l) + 1,
                });
            }
            let line = Line {
                id: format!("{}-{n}", doc.export_id),
                tokens,
                ner_tags,
            };
            part_out(&mut self.outs, part).json_line(&line)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _tally: &mut Tally) -> Result<Vec<String>, ExportError> {
        let mut files: Vec<String> = self
            .outs
            .into_iter()
            .map(Out::finish)
            .collect::<Result<_, _>>()?;
        let mut out = self.staging.create("labels.json", "labels.json")?;
        out.json_line(&self.names)?;
        files.push(out.finish()?);
        Ok(files)
    }
}
