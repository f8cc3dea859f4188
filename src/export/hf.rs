//! Hugging Face export: a dataset folder that `datasets.load_dataset(DIR)`
//! loads as it is, with `ner_tags` as `ClassLabel` and their IOB2 names.
//!
//! Tokens, sentences, tags and every policy (span-edge splits, overlapping
//! spans left out) are exactly those of the [`conll`](super::conll) export;
//! this module only writes them as JSON lines and describes them in a dataset
//! card. It must not invent tags: the tag list comes from the labels of the
//! exported spans.
//!
//! # Format
//!
//! ```text
//! DIR/README.md              the dataset card (YAML header + description)
//! DIR/data/train.jsonl       the sentences (with --split also
//! DIR/data/validation.jsonl  validation and test; a part with no
//! DIR/data/test.jsonl        sentence gets no file and no split)
//! DIR/labels.json            the tag names, as a JSON list
//! DIR/manifest.json          what the export did (see the export module)
//! ```
//!
//! Each line of a data file is one sentence:
//!
//! ```json
//! {"id":"1-0","tokens":["قصف","على","و","إدلب","."],"ner_tags":[0,0,0,9,0]}
//! ```
//!
//! `id` is `DOC-N`: the document's export id (see [`jsonl`](super::jsonl)) and
//! the sentence's number in it from 0. `ner_tags[i]` is the index of token
//! `i`'s tag in the tag names: `"O"` first, then `"B-X"`, `"I-X"` for each
//! label X in sorted order, e.g. `["O","B-DATE","I-DATE","B-PLACE","I-PLACE"]`.
//! There are no offsets.
//!
//! The card's YAML header declares the data for the loader: `configs` lists
//! the split files under `data/` (so `manifest.json` and `labels.json`, which
//! no pattern names, are never read as data), and `dataset_info.features`
//! declares `id` (string), `tokens` (sequence of string) and `ner_tags`
//! (sequence of `class_label` with the tag names). It also carries
//! `language: [ar]`, the task, and `license: null` for the owner to fill in.
//! Every string in the header is written as a double-quoted (JSON) scalar, so
//! a label with `:` or `#` stays one value. The card's text says what the
//! data is: schema name and version, layers, filters, counts per split and
//! label, the tokenizer's policies with their counts, and how to load it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::conll::{Tag, tag_document};
use super::{
    Document, ExportError, FormatWriter, Manifest, Out, Part, Staging, Tally, WriterContext,
};

#[derive(Serialize)]
struct Line<'a> {
    id: String,
    tokens: Vec<&'a str>,
    ner_tags: Vec<usize>,
}

/// What the writer learnt that the dataset card needs: filled in by
/// [`HfWriter`] as it writes, read by [`Card::write`] once the manifest is known.
#[derive(Debug, Default)]
pub struct Card {
    state: RefCell<CardState>,
}

#[derive(Debug, Default)]
struct CardState {
    split: bool,
    /// The tag names, `ClassLabel` order.
    names: Vec<String>,
    /// Sentences and tokens per part (train, validation, test).
    sentences: [usize; 3],
    tokens: [usize; 3],
}

pub struct HfWriter<'a> {
    /// One file per part, created at its first sentence.
    outs: [Option<Out>; 3],
    split: bool,
    staging: &'a Staging,
    card: &'a Card,
    names: Vec<String>,
    /// Label → index of its `B-` tag.
    index: HashMap<String, usize>,
    sentences: [usize; 3],
    tokens: [usize; 3],
}

/// The split name of `part` in the card and its data file's name.
fn split_name(part: Part) -> &'static str {
    part.name(super::Format::Hf)
}

impl<'a> HfWriter<'a> {
    pub fn new(ctx: &WriterContext<'a>, card: &'a Card) -> Result<HfWriter<'a>, ExportError> {
        ctx.staging.mkdir("data")?;
        let mut writer = HfWriter {
            outs: [None, None, None],
            split: ctx.split,
            staging: ctx.staging,
            card,
            names: vec!["O".to_owned()],
            index: HashMap::new(),
            sentences: [0; 3],
            tokens: [0; 3],
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

    fn out(&mut self, part: Part) -> Result<&mut Out, ExportError> {
        let part = if self.split { part } else { Part::Train };
        let slot = &mut self.outs[part.index()];
        let out = match slot.take() {
            Some(out) => out,
            None => {
                let name = format!("data/{}.jsonl", split_name(part));
                self.staging.create(&name, &name)?
            }
        };
        Ok(slot.insert(out))
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
        let part = if self.split { part } else { Part::Train };
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
            self.sentences[part.index()] += 1;
            self.tokens[part.index()] += tokens.len();
            let line = Line {
                id: format!("{}-{n}", doc.export_id),
                tokens,
                ner_tags,
            };
            self.out(part)?.json_line(&line)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _tally: &mut Tally) -> Result<Vec<String>, ExportError> {
        let HfWriter {
            outs,
            split,
            staging,
            card,
            names,
            sentences,
            tokens,
            ..
        } = *self;
        let mut outs = outs;
        if outs.iter().all(Option::is_none) {
            // No sentence at all: an empty train split, so the card names a file.
            let name = format!("data/{}.jsonl", split_name(Part::Train));
            outs[0] = Some(staging.create(&name, &name)?);
        }
        let mut files: Vec<String> = outs
            .into_iter()
            .flatten()
            .map(Out::finish)
            .collect::<Result<_, _>>()?;
        let mut out = staging.create("labels.json", "labels.json")?;
        out.json_line(&names)?;
        files.push(out.finish()?);
        *card.state.borrow_mut() = CardState {
            split,
            names,
            sentences,
            tokens,
        };
        Ok(files)
    }
}

/// A YAML double-quoted scalar: JSON's string escapes are YAML's too.
fn quoted(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

impl Card {
    /// Write `README.md` into the staging folder; returns its name for the
    /// manifest's file list. `manifest` is the export's manifest (its file
    /// list is not used).
    pub fn write(&self, staging: &Staging, manifest: &Manifest) -> Result<String, ExportError> {
        let text = self.render(manifest);
        let mut out = staging.create("README.md", "README.md")?;
        out.write(text.as_bytes())?;
        out.finish()
    }

    fn render(&self, m: &Manifest) -> String {
        let state = self.state.borrow();
        let parts: Vec<Part> = Part::ALL
            .into_iter()
            .filter(|p| (state.split || *p == Part::Train) && state.sentences[p.index()] > 0)
            .collect();
        let parts = if parts.is_empty() {
            vec![Part::Train]
        } else {
            parts
        };
        let title = match &m.schema {
            Some(s) => format!("Arabic news NER, schema {} version {}", s.name, s.version),
            None => "Arabic news NER".to_owned(),
        };
        let mut s = String::new();
        // Writing into a String cannot fail.
        let _ = writeln!(s, "---");
        let _ = writeln!(
            s,
            "# Written by tawsim {} (`tawsim export --format hf`).",
            m.tawsim_version
        );
        let _ = writeln!(
            s,
            "# Fill in `license` (e.g. cc-by-sa-4.0) with the licence of the texts and labels before sharing."
        );
        let _ = writeln!(s, "language:\n- ar\nlicense: null");
        let _ = writeln!(s, "pretty_name: {}", quoted(&title));
        let _ = writeln!(
            s,
            "task_categories:\n- token-classification\ntask_ids:\n- named-entity-recognition\ntags:\n- tawsim"
        );
        let _ = writeln!(s, "configs:\n- config_name: default\n  data_files:");
        for p in &parts {
            let name = split_name(*p);
            let _ = writeln!(
                s,
                "  - split: {name}\n    path: {}",
                quoted(&format!("data/{name}.jsonl"))
            );
        }
        let _ = writeln!(s, "dataset_info:\n  config_name: default\n  features:");
        let _ = writeln!(s, "  - name: id\n    dtype: string");
        let _ = writeln!(s, "  - name: tokens\n    sequence: string");
        let _ = writeln!(
            s,
            "  - name: ner_tags\n    sequence:\n      class_label:\n        names:"
        );
        for (i, name) in state.names.iter().enumerate() {
            let _ = writeln!(s, "          \"{i}\": {}", quoted(name));
        }
        let _ = writeln!(s, "---\n");

        let _ = writeln!(s, "# {title}\n");
        let _ = writeln!(
            s,
            "Arabic news text labelled by hand with tawsim, written as \
             token classification data: one row per sentence with its `tokens` and their IOB2 \
             `ner_tags`.\n"
        );
        let _ = writeln!(s, "## Contents\n");
        let _ = writeln!(s, "| split | sentences | tokens |\n|---|---:|---:|");
        for p in &parts {
            let i = p.index();
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                split_name(*p),
                state.sentences[i],
                state.tokens[i]
            );
        }
        let _ = writeln!(s);
        let schema = match &m.schema {
            Some(schema) => format!("`{}` version {}", schema.name, schema.version),
            None => "none stored in the project".to_owned(),
        };
        let _ = writeln!(s, "- Label schema: {schema}.");
        let _ = writeln!(
            s,
            "- Documents: {}{}.",
            m.documents,
            match &m.split {
                Some(split) => format!(
                    " (train {}, validation {}, test {}; split {}/{}/{} by a hash of seed {} and the document id)",
                    split.documents[0],
                    split.documents[1],
                    split.documents[2],
                    split.ratios[0],
                    split.ratios[1],
                    split.ratios[2],
                    split.seed
                ),
                None => String::new(),
            }
        );
        let labels: Vec<String> = m.labels.iter().map(|(l, n)| format!("{l} {n}")).collect();
        let _ = writeln!(
            s,
            "- Entities: {} ({}).",
            m.spans,
            if labels.is_empty() {
                "none".to_owned()
            } else {
                labels.join(", ")
            }
        );
        let layers: Vec<String> = m.layers.iter().map(|l| format!("`{l}`")).collect();
        let _ = writeln!(
            s,
            "- Layers: {} (`--layer {}`).",
            if layers.is_empty() {
                "none".to_owned()
            } else {
                layers.join(", ")
            },
            m.layer
        );
        let mut filters = Vec::new();
        if m.filters.only_done {
            filters.push("only documents marked done".to_owned());
        }
        if let Some(labels) = &m.filters.labels {
            filters.push(format!("only the labels {}", labels.join(", ")));
        }
        if let Some(since) = &m.filters.since {
            filters.push(format!("only documents changed since {since}"));
        }
        let _ = writeln!(
            s,
            "- Filters: {}.",
            if filters.is_empty() {
                "none".to_owned()
            } else {
                filters.join("; ")
            }
        );
        let _ = writeln!(
            s,
            "- Tags (`ner_tags` class labels, in order): {}.\n",
            state
                .names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(s, "## Fields\n");
        let _ = writeln!(
            s,
            "- `id`: `DOC-N`, the document's id in the project (or the `id` it was imported \
             with) and the sentence's number in it from 0.\n- `tokens`: the sentence's tokens, \
             as they appear in the text.\n- `ner_tags`: one class label per token.\n"
        );
        let _ = writeln!(s, "## Tokens, sentences and policies\n");
        let _ = writeln!(
            s,
            "Whitespace separates tokens and punctuation is split off, except `.` `,` `:` `٫` \
             `٬` between digits. A span edge that falls inside a word splits it there, so a \
             proclitic stays outside the entity (Treebank style): «إدلب» labelled inside «وإدلب» \
             gives the tokens `و` `إدلب`. Sentences end at a line break or a final `.` `!` `?` \
             `؟` `۔` `…`, never inside an entity. IOB2 gives a token one tag, so of overlapping \
             spans only the first (by start, longer first) is kept.\n"
        );
        if m.policies.is_empty() {
            let _ = writeln!(s, "No policy had to be applied to any span.\n");
        } else {
            let _ = writeln!(s, "| policy | spans | rule |\n|---|---:|---|");
            for (name, p) in &m.policies {
                let _ = writeln!(s, "| `{name}` | {} | {} |", p.count, p.rule);
            }
            let _ = writeln!(s, "\nExamples of each are listed in `manifest.json`.\n");
        }
        let _ = writeln!(s, "## Licence\n");
        let _ = writeln!(
            s,
            "Not stated by the export: the owner of the texts and labels fills in `license` in \
             the header above (and names the sources here) before sharing the dataset.\n"
        );
        let _ = writeln!(s, "## Loading\n");
        let _ = writeln!(
            s,
            "```python\nfrom datasets import load_dataset\n\nds = load_dataset(\"path/to/this/folder\")\nnames = ds[\"{}\"].features[\"ner_tags\"].feature.names\n```\n",
            parts.first().map_or("train", |p| split_name(*p))
        );
        let _ = writeln!(
            s,
            "`labels.json` holds the same tag names as a JSON list; `manifest.json` records what \
             the export did (tawsim version, options, counts, policies with examples). Neither \
             is read by the loader."
        );
        s
    }
}
