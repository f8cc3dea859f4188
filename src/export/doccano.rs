//! doccano export: JSON lines in the form doccano 1.x's sequence-labelling
//! import reads as it is, and nothing else.
//!
//! tawsim's [`jsonl`](super::jsonl) export carries a `label` list too, but
//! also `spans` and `meta`, which doccano stores as each example's metadata
//! and shows to every annotator; this export writes only what doccano
//! labels. It must not drop or move a span: every live span of the chosen
//! layers (after `--labels`) is written, at its own offsets. doccano
//! has no layers, so export one layer (`--layer NAME` or `--layer gold`) to
//! have one person's or the reviewed spans; with `--layer all` the spans of
//! every layer are listed together (an identical span in two layers is
//! written once per layer).
//!
//! # Format
//!
//! One JSON object per line, UTF-8, `\n` line ends, keys in this order:
//!
//! | key | meaning |
//! |---|---|
//! | `text` | the document text exactly as stored |
//! | `label` | `[[start, end, "LABEL"], …]`, ordered by start, end, layer |
//! | `title` | the document title (doccano keeps it as metadata) |
//! | `tawsim_id` | the document's export id (see [`super::jsonl`]; metadata too) |
//!
//! Offsets are UTF-16 code units (JavaScript string indices), start
//! inclusive, end exclusive, whatever `--offsets` says: doccano's server
//! (Python) stores the offsets it is given, but its editor draws and saves
//! spans in UTF-16 units (grapheme mode off, its default; the evidence is in
//! [`crate::io::doccano`]), so code points would be drawn shifted after an
//! emoji. The manifest says `"offsets": "utf16"`. doccano's own JSONL export
//! of such a project (`{"id", "text", "label", "Comments", …}` a line) is read
//! back by `tawsim import --format doccano` ([`crate::io::doccano`]), which
//! turns the offsets back into code points. Example (`😢` is two UTF-16
//! units, so «إدلب», code points 11..15, is written 12..16):
//!
//! ```json
//! {"text":"قصف 😢 على وإدلب","label":[[12,16,"PLACE"]],"title":"قصف","tawsim_id":"1"}
//! ```

use serde::Serialize;

use super::{
    Document, ExportError, Format, FormatWriter, OffsetUnit, Out, Part, Tally, WriterContext,
    part_out,
};

#[derive(Serialize)]
struct Line<'a> {
    text: &'a str,
    label: Vec<(usize, usize, &'a str)>,
    title: &'a str,
    tawsim_id: &'a str,
}

pub struct DoccanoWriter {
    outs: Vec<Out>,
    unit: OffsetUnit,
}

impl DoccanoWriter {
    pub fn new(ctx: &WriterContext<'_>) -> Result<DoccanoWriter, ExportError> {
        Ok(DoccanoWriter {
            outs: ctx.part_files(Format::Doccano, "jsonl")?,
            unit: ctx.offsets,
        })
    }
}

impl FormatWriter for DoccanoWriter {
    fn document(
        &mut self,
        doc: &Document,
        part: Part,
        tally: &mut Tally,
    ) -> Result<(), ExportError> {
        let mut label = Vec::with_capacity(doc.doc.spans.len());
        for span in &doc.doc.spans {
            let start = doc.offset(span.start, self.unit);
            let end = doc.offset(span.end, self.unit);
            doc.check_written(span, start, end, self.unit, tally)?;
            label.push((start, end, span.label.as_str()));
            tally.written(span);
        }
        let line = Line {
            text: &doc.doc.text,
            label,
            title: &doc.doc.title,
            tawsim_id: &doc.export_id,
        };
        part_out(&mut self.outs, part).json_line(&line)
    }

    fn finish(self: Box<Self>, _tally: &mut Tally) -> Result<Vec<String>, ExportError> {
        self.outs.into_iter().map(Out::finish).collect()
    }
}
