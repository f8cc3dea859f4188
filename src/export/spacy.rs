//! spaCy export: `DocBin` files (`.spacy`) that `DocBin().from_disk(path)`
//! reads, written in Rust without Python, one `Doc` per document, every
//! exported span a whole-token entity.
//!
//! Tokens, tags and every policy are those of the [`conll`](super::conll)
//! export: its tokenizer splits a word where a span edge falls inside it
//! («إدلب» labelled inside «وإدلب» gives `و` `إدلب`), so each span that IOB2
//! can hold becomes an entity whose characters are exactly the span's (a span
//! beginning or ending with whitespace loses that whitespace, and overlapping
//! spans are left out, each counted in the manifest). Note that a model
//! trained on these files sees proclitics split only where a span edge was.
//! This module must not change a token's text: the `Doc`'s text is the
//! document's text, character for character, so spaCy's `start_char` and
//! `end_char` are tawsim's code-point offsets.
//!
//! # Output
//!
//! A folder with `data.spacy` (with `--split`: `train.spacy`, `dev.spacy`,
//! `test.spacy`; a part with no document holds an empty `DocBin`) and
//! `manifest.json`.
//!
//! # The DocBin format (spaCy 3.x, `spacy/tokens/_serialize.py`, version "0.1")
//!
//! A `.spacy` file is a zlib stream (RFC 1950, what Python's `zlib.compress`
//! writes) of one MessagePack map:
//!
//! | key | MessagePack type | value |
//! |---|---|---|
//! | `version` | str | `"0.1"` |
//! | `attrs` | array of uint | attribute ids, the token columns: `[65, 77, 78, 80]` = `ORTH`, `ENT_IOB`, `ENT_TYPE`, `SENT_START` (`ORTH` must be first) |
//! | `tokens` | bin | all documents' tokens, row after row, each row one uint64 per attribute (little-endian, as numpy writes `uint64` on every platform spaCy runs on) |
//! | `spaces` | bin | one byte per token, 1 if one space follows it |
//! | `lengths` | bin | one int32 (little-endian) per document: its number of tokens |
//! | `strings` | array of str | every string a hash in `tokens` stands for (token texts and labels), sorted |
//! | `cats` | array of map | per document its text categories: `{}` |
//! | `flags` | array of map | per document `{"has_unknown_spaces": false}` |
//! | `span_groups` | array of bin | per document its span groups; `[0x90]` (an empty MessagePack array) for none |
//! | `user_data` | array of bin | per document a MessagePack map `{"id": export id, "title": title}`, which spaCy puts in `Doc.user_data` |
//!
//! Token values: `ORTH` is the string id of the token's text; `ENT_IOB` is
//! 3 (`B`, first token of an entity), 1 (`I`, inside) or 2 (`O`); `ENT_TYPE`
//! is the string id of the entity's label (0 for none); `SENT_START` is 1 for
//! a sentence's first token and −1 (as uint64, `u64::MAX`) for the others.
//! A string id is spaCy's symbol number when the string is one of its 457
//! reserved symbols (`"DATE"` is 391, `""` is 0; [`string_id`] holds the table
//! of spaCy 3.8), else the string's hash: MurmurHash64A of its UTF-8 bytes
//! with seed 1 ([`hash_string`], spaCy's `StringStore` hash).
//!
//! Whitespace: spaCy keeps a document's text in its tokens, each token
//! followed by at most one space. So the whitespace between two tokens (and
//! before the first, after the last) becomes: one space after the token when
//! it is exactly `" "`; else, when it starts with a space, that space after
//! the token and the rest as a whitespace token; else one whitespace token
//! (e.g. `"\n"`). A whitespace token inside an entity (a span across a line
//! break) is tagged `I` with the entity; elsewhere `O`. Example: «قصف على
//! وإدلب.» with PLACE on «إدلب» gives
//!
//! ```text
//! ORTH     قصف  على  و   إدلب   .
//! space    1    1    0   0      0
//! ENT_IOB  2    2    2   3      2
//! ENT_TYPE 0    0    0   PLACE  0
//! ```
//!
//! Each entity is checked before it is written: its first token starts at
//! the span's start and its last token ends at the span's end (or at the end
//! of its last non-whitespace character, under `span_edge_whitespace`), and
//! the tokens' texts and spaces, joined, must give back the document's text.
//! Token data is kept in temporary files in the staging folder while the
//! export runs, so memory stays flat; one `DocBin` holds at most 4 GiB of
//! token data (about 130 million tokens), beyond which the export stops and
//! asks for `--split`.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufReader, Read as _, Write as _};
use std::sync::OnceLock;

use flate2::Compression;
use flate2::write::ZlibEncoder;

use super::conll::{Tag, Tagged, tag_document};
use super::{
    Document, ExportError, Format, FormatWriter, Out, Part, Staging, Tally, WriterContext,
};

/// spaCy's attribute ids (`spacy.attrs`).
const ORTH: u64 = 65;
const ENT_IOB: u64 = 77;
const ENT_TYPE: u64 = 78;
const SENT_START: u64 = 80;
/// The token columns, `ORTH` first as spaCy requires.
const ATTRS: [u64; 4] = [ORTH, ENT_IOB, ENT_TYPE, SENT_START];

/// `Token.ent_iob` values (`Token.iob_strings()` is `("", "I", "O", "B")`).
pub const IOB_I: u64 = 1;
pub const IOB_O: u64 = 2;
pub const IOB_B: u64 = 3;

/// The largest MessagePack `bin`: 4 GiB − 1.
const MAX_BIN: u64 = u32::MAX as u64;

/// spaCy 3.8's reserved symbols 1..=456 in id order (`spacy.symbols.NAMES`;
/// id 0 is `""`). Their string id is their number, not a hash.
#[rustfmt::skip]
const SYMBOLS: &str = "\
    IS_ALPHA IS_ASCII IS_DIGIT IS_LOWER IS_PUNCT IS_SPACE IS_TITLE IS_UPPER LIKE_URL \
    LIKE_NUM LIKE_EMAIL IS_STOP IS_OOV_DEPRECATED IS_BRACKET IS_QUOTE IS_LEFT_PUNCT \
    IS_RIGHT_PUNCT IS_CURRENCY FLAG19 FLAG20 FLAG21 FLAG22 FLAG23 FLAG24 FLAG25 FLAG26 \
    FLAG27 FLAG28 FLAG29 FLAG30 FLAG31 FLAG32 FLAG33 FLAG34 FLAG35 FLAG36 FLAG37 FLAG38 \
    FLAG39 FLAG40 FLAG41 FLAG42 FLAG43 FLAG44 FLAG45 FLAG46 FLAG47 FLAG48 FLAG49 FLAG50 \
    FLAG51 FLAG52 FLAG53 FLAG54 FLAG55 FLAG56 FLAG57 FLAG58 FLAG59 FLAG60 FLAG61 FLAG62 \
    FLAG63 ID ORTH LOWER NORM SHAPE PREFIX SUFFIX LENGTH CLUSTER LEMMA POS TAG DEP \
    ENT_IOB ENT_TYPE HEAD SENT_START SPACY PROB LANG ADJ ADP ADV AUX CONJ CCONJ DET \
    INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X EOL SPACE DEPRECATED001 \
    DEPRECATED002 DEPRECATED003 DEPRECATED004 DEPRECATED005 DEPRECATED006 DEPRECATED007 \
    DEPRECATED008 DEPRECATED009 DEPRECATED010 DEPRECATED011 DEPRECATED012 DEPRECATED013 \
    DEPRECATED014 DEPRECATED015 DEPRECATED016 DEPRECATED017 DEPRECATED018 DEPRECATED019 \
    DEPRECATED020 DEPRECATED021 DEPRECATED022 DEPRECATED023 DEPRECATED024 DEPRECATED025 \
    DEPRECATED026 DEPRECATED027 DEPRECATED028 DEPRECATED029 DEPRECATED030 DEPRECATED031 \
    DEPRECATED032 DEPRECATED033 DEPRECATED034 DEPRECATED035 DEPRECATED036 DEPRECATED037 \
    DEPRECATED038 DEPRECATED039 DEPRECATED040 DEPRECATED041 DEPRECATED042 DEPRECATED043 \
    DEPRECATED044 DEPRECATED045 DEPRECATED046 DEPRECATED047 DEPRECATED048 DEPRECATED049 \
    DEPRECATED050 DEPRECATED051 DEPRECATED052 DEPRECATED053 DEPRECATED054 DEPRECATED055 \
    DEPRECATED056 DEPRECATED057 DEPRECATED058 DEPRECATED059 DEPRECATED060 DEPRECATED061 \
    DEPRECATED062 DEPRECATED063 DEPRECATED064 DEPRECATED065 DEPRECATED066 DEPRECATED067 \
    DEPRECATED068 DEPRECATED069 DEPRECATED070 DEPRECATED071 DEPRECATED072 DEPRECATED073 \
    DEPRECATED074 DEPRECATED075 DEPRECATED076 DEPRECATED077 DEPRECATED078 DEPRECATED079 \
    DEPRECATED080 DEPRECATED081 DEPRECATED082 DEPRECATED083 DEPRECATED084 DEPRECATED085 \
    DEPRECATED086 DEPRECATED087 DEPRECATED088 DEPRECATED089 DEPRECATED090 DEPRECATED091 \
    DEPRECATED092 DEPRECATED093 DEPRECATED094 DEPRECATED095 DEPRECATED096 DEPRECATED097 \
    DEPRECATED098 DEPRECATED099 DEPRECATED100 DEPRECATED101 DEPRECATED102 DEPRECATED103 \
    DEPRECATED104 DEPRECATED105 DEPRECATED106 DEPRECATED107 DEPRECATED108 DEPRECATED109 \
    DEPRECATED110 DEPRECATED111 DEPRECATED112 DEPRECATED113 DEPRECATED114 DEPRECATED115 \
    DEPRECATED116 DEPRECATED117 DEPRECATED118 DEPRECATED119 DEPRECATED120 DEPRECATED121 \
    DEPRECATED122 DEPRECATED123 DEPRECATED124 DEPRECATED125 DEPRECATED126 DEPRECATED127 \
    DEPRECATED128 DEPRECATED129 DEPRECATED130 DEPRECATED131 DEPRECATED132 DEPRECATED133 \
    DEPRECATED134 DEPRECATED135 DEPRECATED136 DEPRECATED137 DEPRECATED138 DEPRECATED139 \
    DEPRECATED140 DEPRECATED141 DEPRECATED142 DEPRECATED143 DEPRECATED144 DEPRECATED145 \
    DEPRECATED146 DEPRECATED147 DEPRECATED148 DEPRECATED149 DEPRECATED150 DEPRECATED151 \
    DEPRECATED152 DEPRECATED153 DEPRECATED154 DEPRECATED155 DEPRECATED156 DEPRECATED157 \
    DEPRECATED158 DEPRECATED159 DEPRECATED160 DEPRECATED161 DEPRECATED162 DEPRECATED163 \
    DEPRECATED164 DEPRECATED165 DEPRECATED166 DEPRECATED167 DEPRECATED168 DEPRECATED169 \
    DEPRECATED170 DEPRECATED171 DEPRECATED172 DEPRECATED173 DEPRECATED174 DEPRECATED175 \
    DEPRECATED176 DEPRECATED177 DEPRECATED178 DEPRECATED179 DEPRECATED180 DEPRECATED181 \
    DEPRECATED182 DEPRECATED183 DEPRECATED184 DEPRECATED185 DEPRECATED186 DEPRECATED187 \
    DEPRECATED188 DEPRECATED189 DEPRECATED190 DEPRECATED191 DEPRECATED192 DEPRECATED193 \
    DEPRECATED194 DEPRECATED195 DEPRECATED196 DEPRECATED197 DEPRECATED198 DEPRECATED199 \
    DEPRECATED200 DEPRECATED201 DEPRECATED202 DEPRECATED203 DEPRECATED204 DEPRECATED205 \
    DEPRECATED206 DEPRECATED207 DEPRECATED208 DEPRECATED209 DEPRECATED210 DEPRECATED211 \
    DEPRECATED212 DEPRECATED213 DEPRECATED214 DEPRECATED215 DEPRECATED216 DEPRECATED217 \
    DEPRECATED218 DEPRECATED219 DEPRECATED220 DEPRECATED221 DEPRECATED222 DEPRECATED223 \
    DEPRECATED224 DEPRECATED225 DEPRECATED226 DEPRECATED227 DEPRECATED228 DEPRECATED229 \
    DEPRECATED230 DEPRECATED231 DEPRECATED232 DEPRECATED233 DEPRECATED234 DEPRECATED235 \
    DEPRECATED236 DEPRECATED237 DEPRECATED238 DEPRECATED239 DEPRECATED240 DEPRECATED241 \
    DEPRECATED242 DEPRECATED243 DEPRECATED244 DEPRECATED245 DEPRECATED246 DEPRECATED247 \
    DEPRECATED248 DEPRECATED249 DEPRECATED250 DEPRECATED251 DEPRECATED252 DEPRECATED253 \
    DEPRECATED254 DEPRECATED255 DEPRECATED256 DEPRECATED257 DEPRECATED258 DEPRECATED259 \
    DEPRECATED260 DEPRECATED261 DEPRECATED262 DEPRECATED263 DEPRECATED264 DEPRECATED265 \
    DEPRECATED266 DEPRECATED267 DEPRECATED268 DEPRECATED269 DEPRECATED270 DEPRECATED271 \
    DEPRECATED272 DEPRECATED273 DEPRECATED274 DEPRECATED275 DEPRECATED276 PERSON NORP \
    FACILITY ORG GPE LOC PRODUCT EVENT WORK_OF_ART LANGUAGE LAW DATE TIME PERCENT MONEY \
    QUANTITY ORDINAL CARDINAL acomp advcl advmod agent amod appos attr aux auxpass cc \
    ccomp complm conj cop csubj csubjpass dep det dobj expl hmod hyph infmod intj iobj \
    mark meta neg nmod nn npadvmod nsubj nsubjpass num number oprd obj obl parataxis \
    partmod pcomp pobj poss possessive preconj prep prt punct quantmod relcl rcmod root \
    xcomp acl ENT_KB_ID MORPH ENT_ID IDX _";

/// MurmurHash64A (Austin Appleby's 64-bit MurmurHash2) of `key` with `seed`,
/// as the `murmurhash` package that spaCy uses computes it on 64-bit machines.
pub fn murmurhash64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let mut k = u64::from_le_bytes(bytes).wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^ (h >> R)
}

/// spaCy's hash of a string (`spacy.strings.hash_string`): MurmurHash64A of
/// its UTF-8 bytes with seed 1.
pub fn hash_string(s: &str) -> u64 {
    murmurhash64a(s.as_bytes(), 1)
}

/// The id spaCy's `StringStore` gives `s`: 0 for `""`, a reserved symbol's
/// number, else [`hash_string`].
pub fn string_id(s: &str) -> u64 {
    static TABLE: OnceLock<HashMap<&'static str, u64>> = OnceLock::new();
    if s.is_empty() {
        return 0;
    }
    let table = TABLE.get_or_init(|| SYMBOLS.split(' ').zip(1..).collect());
    table.get(s).copied().unwrap_or_else(|| hash_string(s))
}

/// One token of a spaCy `Doc`: code points `start..end` of the document,
/// followed by one space (at `end`) when `space`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpacyToken<'a> {
    pub start: usize,
    pub end: usize,
    pub space: bool,
    /// [`IOB_B`], [`IOB_I`] or [`IOB_O`].
    pub iob: u64,
    /// The entity's label (`None` with [`IOB_O`]).
    pub label: Option<&'a str>,
    pub sent_start: bool,
}

/// The spaCy tokens of a tagged document: its tokens, with the whitespace
/// between them as spaces and whitespace tokens (see the module documentation).
pub fn spacy_tokens<'a>(chars: &[char], tagged: &Tagged<'a>) -> Vec<SpacyToken<'a>> {
    let mut out: Vec<SpacyToken<'a>> = Vec::with_capacity(tagged.tokens.len() + 8);
    let mut starts = vec![false; tagged.tokens.len()];
    for sentence in &tagged.sentences {
        if let Some(first) = starts.get_mut(sentence.start) {
            *first = true;
        }
    }
    let mut pos = 0;
    for (i, t) in tagged.tokens.iter().enumerate() {
        let inside = match tagged.tags[i] {
            Tag::I(l) => Some(l),
            _ => None,
        };
        whitespace(&mut out, chars, pos, t.start, inside);
        let (iob, label) = match tagged.tags[i] {
            Tag::O => (IOB_O, None),
            Tag::B(l) => (IOB_B, Some(l)),
            Tag::I(l) => (IOB_I, Some(l)),
        };
        out.push(SpacyToken {
            start: t.start,
            end: t.end,
            space: false,
            iob,
            label,
            sent_start: starts[i] && i > 0,
        });
        pos = t.end;
    }
    whitespace(&mut out, chars, pos, chars.len(), None);
    if let Some(first) = out.first_mut() {
        first.sent_start = true;
    }
    out
}

/// The whitespace `from..to` after the last token of `out`: a space after
/// it, and a whitespace token for the rest (`I` of `inside`'s entity, if any).
fn whitespace<'a>(
    out: &mut Vec<SpacyToken<'a>>,
    chars: &[char],
    from: usize,
    to: usize,
    inside: Option<&'a str>,
) {
    let mut from = from;
    if from < to
        && chars[from] == ' '
        && let Some(prev) = out.last_mut()
    {
        prev.space = true;
        from += 1;
    }
    if from < to {
        out.push(SpacyToken {
            start: from,
            end: to,
            space: false,
            iob: if inside.is_some() { IOB_I } else { IOB_O },
            label: inside,
            sent_start: false,
        });
    }
}

/// Where the tokens stop giving back the text: `None` when their texts and
/// spaces, joined, are exactly the `len` code points of the document.
fn coverage_gap(tokens: &[SpacyToken], len: usize) -> Option<usize> {
    let mut pos = 0;
    for t in tokens {
        if t.start != pos || t.end <= t.start {
            return Some(pos);
        }
        pos = t.end + usize::from(t.space);
    }
    (pos != len).then_some(pos)
}

// MessagePack, the few types a DocBin needs (big-endian lengths).

fn mp_str(buf: &mut Vec<u8>, s: &str) {
    let n = s.len();
    if n < 32 {
        buf.push(0xa0 | n as u8);
    } else if n < 0x100 {
        buf.extend_from_slice(&[0xd9, n as u8]);
    } else if n < 0x1_0000 {
        buf.push(0xda);
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        buf.push(0xdb);
        buf.extend_from_slice(&(n as u32).to_be_bytes());
    }
    buf.extend_from_slice(s.as_bytes());
}

/// The header of a `bin` of `n` bytes (`n` at most [`MAX_BIN`]).
fn mp_bin_header(buf: &mut Vec<u8>, n: u64) {
    if n < 0x100 {
        buf.extend_from_slice(&[0xc4, n as u8]);
    } else if n < 0x1_0000 {
        buf.push(0xc5);
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        buf.push(0xc6);
        buf.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn mp_array_header(buf: &mut Vec<u8>, n: usize) {
    if n < 16 {
        buf.push(0x90 | n as u8);
    } else if n < 0x1_0000 {
        buf.push(0xdc);
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        buf.push(0xdd);
        buf.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn mp_map_header(buf: &mut Vec<u8>, n: usize) {
    if n < 16 {
        buf.push(0x80 | n as u8);
    } else {
        buf.push(0xde);
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    }
}

fn mp_uint(buf: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        buf.push(v as u8);
    } else if v < 0x100 {
        buf.extend_from_slice(&[0xcc, v as u8]);
    } else if v < 0x1_0000 {
        buf.push(0xcd);
        buf.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v < 0x1_0000_0000 {
        buf.push(0xce);
        buf.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        buf.push(0xcf);
        buf.extend_from_slice(&v.to_be_bytes());
    }
}

/// One `.spacy` file being gathered: its columns go to temporary files in
/// the staging folder until [`Bin::finish`] writes the DocBin.
struct Bin {
    name: String,
    tokens: Out,
    spaces: Out,
    user_data: Out,
    /// Token count of each document.
    lengths: Vec<u32>,
    strings: BTreeSet<String>,
    n_tokens: u64,
    user_data_bytes: u64,
    row: Vec<u8>,
}

impl Bin {
    fn new(staging: &Staging, name: &str) -> Result<Bin, ExportError> {
        let temp = |column: &str| {
            let rel = format!(".{name}.{column}.tmp");
            staging.create(&rel, &rel)
        };
        Ok(Bin {
            name: name.to_owned(),
            tokens: temp("tokens")?,
            spaces: temp("spaces")?,
            user_data: temp("user_data")?,
            lengths: Vec::new(),
            strings: BTreeSet::new(),
            n_tokens: 0,
            user_data_bytes: 0,
            row: Vec::with_capacity(1 << 16),
        })
    }

    fn add(
        &mut self,
        doc: &Document,
        chars: &[char],
        tokens: &[SpacyToken],
    ) -> Result<(), ExportError> {
        let too_big = || ExportError::Io {
            action: "write the spaCy export",
            path: std::path::PathBuf::from(&self.name),
            source: std::io::Error::other(
                "one DocBin can hold at most 4 GiB of token data (about 130 million tokens); export with --split, or fewer documents with --labels, --since or --only-done",
            ),
        };
        let count = u32::try_from(tokens.len())
            .ok()
            .filter(|_| (self.n_tokens + tokens.len() as u64) * 32 <= MAX_BIN)
            .ok_or_else(too_big)?;
        self.row.clear();
        let mut text = String::new();
        for t in tokens {
            text.clear();
            text.extend(&chars[t.start..t.end]);
            let orth = string_id(&text);
            if !self.strings.contains(text.as_str()) {
                self.strings.insert(text.clone());
            }
            let ent_type = match t.label {
                Some(label) => {
                    if !self.strings.contains(label) {
                        self.strings.insert(label.to_owned());
                    }
                    string_id(label)
                }
                None => 0,
            };
            let sent = if t.sent_start { 1 } else { u64::MAX };
            for v in [orth, t.iob, ent_type, sent] {
                self.row.extend_from_slice(&v.to_le_bytes());
            }
        }
        self.tokens.write(&self.row)?;
        self.row.clear();
        self.row.extend(tokens.iter().map(|t| u8::from(t.space)));
        self.spaces.write(&self.row)?;
        self.n_tokens += tokens.len() as u64;
        self.lengths.push(count);

        let mut inner = Vec::new();
        mp_map_header(&mut inner, 2);
        mp_str(&mut inner, "id");
        mp_str(&mut inner, &doc.export_id);
        mp_str(&mut inner, "title");
        mp_str(&mut inner, &doc.doc.title);
        self.row.clear();
        mp_bin_header(&mut self.row, inner.len() as u64);
        self.row.extend_from_slice(&inner);
        self.user_data.write(&self.row)?;
        self.user_data_bytes += self.row.len() as u64;
        Ok(())
    }

    /// Write the DocBin file into the staging folder and remove the
    /// temporary files; returns the file's name.
    fn finish(self, staging: &Staging) -> Result<String, ExportError> {
        let Bin {
            name,
            tokens,
            spaces,
            user_data,
            lengths,
            strings,
            n_tokens,
            ..
        } = self;
        let temps = [tokens.finish()?, spaces.finish()?, user_data.finish()?];
        let mut z = Zlib::new(staging.create(&name, &name)?, staging.path(&name));
        let docs = lengths.len();
        let mut buf = Vec::with_capacity(1 << 16);
        mp_map_header(&mut buf, 10);
        mp_str(&mut buf, "version");
        mp_str(&mut buf, "0.1");
        mp_str(&mut buf, "attrs");
        mp_array_header(&mut buf, ATTRS.len());
        for a in ATTRS {
            mp_uint(&mut buf, a);
        }
        mp_str(&mut buf, "tokens");
        mp_bin_header(&mut buf, n_tokens * 8 * ATTRS.len() as u64);
        z.put(&mut buf)?;
        z.copy(staging, &temps[0])?;
        mp_str(&mut buf, "spaces");
        mp_bin_header(&mut buf, n_tokens);
        z.put(&mut buf)?;
        z.copy(staging, &temps[1])?;
        mp_str(&mut buf, "lengths");
        mp_bin_header(&mut buf, docs as u64 * 4);
        for n in &lengths {
            buf.extend_from_slice(&n.to_le_bytes());
            z.put_some(&mut buf)?;
        }
        mp_str(&mut buf, "strings");
        mp_array_header(&mut buf, strings.len());
        for s in &strings {
            mp_str(&mut buf, s);
            z.put_some(&mut buf)?;
        }
        mp_str(&mut buf, "cats");
        mp_array_header(&mut buf, docs);
        for _ in 0..docs {
            mp_map_header(&mut buf, 0);
            z.put_some(&mut buf)?;
        }
        mp_str(&mut buf, "flags");
        mp_array_header(&mut buf, docs);
        for _ in 0..docs {
            mp_map_header(&mut buf, 1);
            mp_str(&mut buf, "has_unknown_spaces");
            buf.push(0xc2); // false
            z.put_some(&mut buf)?;
        }
        mp_str(&mut buf, "span_groups");
        mp_array_header(&mut buf, docs);
        for _ in 0..docs {
            // A bin holding an empty MessagePack array: no span groups.
            buf.extend_from_slice(&[0xc4, 0x01, 0x90]);
            z.put_some(&mut buf)?;
        }
        mp_str(&mut buf, "user_data");
        mp_array_header(&mut buf, docs);
        z.put(&mut buf)?;
        z.copy(staging, &temps[2])?;
        let name = z.finish()?;
        for temp in &temps {
            let path = staging.path(temp);
            std::fs::remove_file(&path).map_err(|source| ExportError::Io {
                action: "remove a temporary file of the export",
                path,
                source,
            })?;
        }
        Ok(name)
    }
}

/// A zlib stream into an export file, written in pieces.
struct Zlib {
    z: ZlibEncoder<Vec<u8>>,
    out: Out,
    path: std::path::PathBuf,
}

impl Zlib {
    fn new(out: Out, path: std::path::PathBuf) -> Zlib {
        Zlib {
            z: ZlibEncoder::new(Vec::with_capacity(1 << 16), Compression::default()),
            out,
            path,
        }
    }

    fn io_error(&self, source: std::io::Error) -> ExportError {
        ExportError::Io {
            action: "write the spaCy export",
            path: self.path.clone(),
            source,
        }
    }

    /// Compress `buf` (which is emptied) and pass on what is compressed.
    fn put(&mut self, buf: &mut Vec<u8>) -> Result<(), ExportError> {
        if let Err(e) = self.z.write_all(buf) {
            return Err(self.io_error(e));
        }
        buf.clear();
        let compressed = self.z.get_mut();
        if !compressed.is_empty() {
            self.out.write(compressed)?;
            compressed.clear();
        }
        Ok(())
    }

    /// [`Zlib::put`] once `buf` holds 64 KiB or more.
    fn put_some(&mut self, buf: &mut Vec<u8>) -> Result<(), ExportError> {
        if buf.len() >= 1 << 16 {
            self.put(buf)?;
        }
        Ok(())
    }

    /// Compress the whole staged file `rel`.
    fn copy(&mut self, staging: &Staging, rel: &str) -> Result<(), ExportError> {
        let path = staging.path(rel);
        let read_error = |source| ExportError::Io {
            action: "read back a temporary file of the export",
            path: path.clone(),
            source,
        };
        let mut file = BufReader::new(std::fs::File::open(&path).map_err(read_error)?);
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf).map_err(read_error)?;
            if n == 0 {
                return Ok(());
            }
            let mut chunk = buf[..n].to_vec();
            self.put(&mut chunk)?;
        }
    }

    fn finish(self) -> Result<String, ExportError> {
        let Zlib { z, mut out, path } = self;
        let rest = z.finish().map_err(|source| ExportError::Io {
            action: "write the spaCy export",
            path,
            source,
        })?;
        out.write(&rest)?;
        out.finish()
    }
}

pub struct SpacyWriter<'a> {
    /// `data.spacy`, or `train`, `dev`, `test` with `--split`.
    bins: Vec<Bin>,
    staging: &'a Staging,
}

impl<'a> SpacyWriter<'a> {
    pub fn new(ctx: &WriterContext<'a>) -> Result<SpacyWriter<'a>, ExportError> {
        let bins = if ctx.split {
            Part::ALL
                .iter()
                .map(|p| Bin::new(ctx.staging, &format!("{}.spacy", p.name(Format::Spacy))))
                .collect::<Result<_, _>>()?
        } else {
            vec![Bin::new(ctx.staging, "data.spacy")?]
        };
        Ok(SpacyWriter {
            bins,
            staging: ctx.staging,
        })
    }
}

impl FormatWriter for SpacyWriter<'_> {
    fn document(
        &mut self,
        doc: &Document,
        part: Part,
        tally: &mut Tally,
    ) -> Result<(), ExportError> {
        let tagged = tag_document(doc, tally)?;
        let chars: Vec<char> = doc.doc.text.chars().collect();
        let tokens = spacy_tokens(&chars, &tagged);
        if let Some(at) = coverage_gap(&tokens, chars.len()) {
            return Err(ExportError::Io {
                action: "build the spaCy tokens",
                path: std::path::PathBuf::from(&doc.export_id),
                source: std::io::Error::other(format!(
                    "the tokens of document {} do not give back its text at code point {at}; nothing was written; please report this",
                    doc.export_id
                )),
            });
        }
        let i = if self.bins.len() == 3 {
            part.index()
        } else {
            0
        };
        self.bins[i].add(doc, &chars, &tokens)
    }

    fn finish(self: Box<Self>, _tally: &mut Tally) -> Result<Vec<String>, ExportError> {
        let SpacyWriter { bins, staging } = *self;
        bins.into_iter().map(|b| b.finish(staging)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::conll::{split_at, tokenize};
    use super::*;

    #[test]
    fn string_hashes_are_spacys() {
        // Values printed by spaCy 3.8.18: `spacy.strings.hash_string(s)`.
        for (s, want) in [
            ("a", 11_901_859_001_352_538_922u64),
            ("PLACE", 7_145_516_467_705_016_459),
            ("abcdefgh", 17_751_780_907_874_141_760),
            ("abcdefghi", 13_885_881_106_499_164_936),
            ("إدلب", 13_206_938_023_881_681_941),
            ("وإدلب", 17_447_705_864_807_949_474),
            ("منسقو الاستجابة", 17_411_596_304_597_065_926),
            ("\n", 962_983_613_142_996_970),
            (" ", 8_532_415_787_641_010_193),
            ("🔥", 18_321_830_273_729_215_627),
            ("Population-Center", 18_443_897_289_040_820_451),
        ] {
            assert_eq!(hash_string(s), want, "{s:?}");
            assert_eq!(string_id(s), want, "{s:?}");
        }
    }

    #[test]
    fn reserved_symbols_keep_spacys_numbers() {
        // `spacy.strings.get_string_id`: a label that is one of spaCy's
        // symbols is stored as the symbol's number, not a hash.
        assert_eq!(string_id(""), 0);
        assert_eq!(string_id("IS_ALPHA"), 1);
        assert_eq!(string_id("ORG"), 383);
        assert_eq!(string_id("EVENT"), 387);
        assert_eq!(string_id("DATE"), 391);
        assert_eq!(string_id("_"), 456);
        assert_eq!(SYMBOLS.split(' ').count(), 456);
        assert_eq!(string_id("date"), hash_string("date"));
    }

    fn tagged<'a>(text: &str, spans: &[(usize, usize, &'a str)]) -> Tagged<'a> {
        let chars: Vec<char> = text.chars().collect();
        let mut cuts: Vec<usize> = spans.iter().flat_map(|s| [s.0, s.1]).collect();
        cuts.sort_unstable();
        let tokens = split_at(&tokenize(&chars), &cuts);
        let mut tags = vec![Tag::O; tokens.len()];
        for &(start, end, label) in spans {
            let first = tokens.partition_point(|t| t.start < start);
            let last = tokens.partition_point(|t| t.end <= end);
            tags[first] = Tag::B(label);
            for tag in &mut tags[first + 1..last] {
                *tag = Tag::I(label);
            }
        }
        let n = tokens.len();
        Tagged {
            tokens,
            tags,
            sentences: std::iter::once(0..n).collect(),
        }
    }

    fn show(text: &str, tokens: &[SpacyToken]) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        tokens
            .iter()
            .map(|t| {
                let word: String = chars[t.start..t.end].iter().collect();
                let iob = match t.iob {
                    IOB_B => "B",
                    IOB_I => "I",
                    _ => "O",
                };
                format!(
                    "{word}{}|{iob}{}",
                    if t.space { "␠" } else { "" },
                    t.label.map(|l| format!("-{l}")).unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn proclitics_split_at_span_edges_and_whitespace_gives_the_text_back() {
        // «إدلب» inside «وإدلب» (10..14), a double space, and a span across a
        // line break: «ريف\nحماة» (19..27).
        let text = " قصف على وإدلب  في ريف\nحماة.\n";
        let t = tagged(text, &[(10, 14, "PLACE"), (19, 27, "PLACE")]);
        let chars: Vec<char> = text.chars().collect();
        let tokens = spacy_tokens(&chars, &t);
        assert_eq!(
            show(text, &tokens),
            [
                " |O",
                "قصف␠|O",
                "على␠|O",
                "و|O",
                "إدلب␠|B-PLACE",
                " |O",
                "في␠|O",
                "ريف|B-PLACE",
                "\n|I-PLACE",
                "حماة|I-PLACE",
                ".|O",
                "\n|O"
            ]
        );
        assert_eq!(coverage_gap(&tokens, chars.len()), None);
        assert!(tokens[0].sent_start);
        assert!(tokens[1..].iter().all(|t| !t.sent_start));
        // Each entity's first token starts at its span and its last ends there.
        assert_eq!((tokens[4].start, tokens[4].end), (10, 14));
        assert_eq!((tokens[7].start, tokens[9].end), (19, 27));
        // A token left out, or a space where the text has none, is found.
        let mut broken = tokens.clone();
        broken.remove(5);
        assert_eq!(coverage_gap(&broken, chars.len()), Some(15));
        broken = tokens.clone();
        broken[3].space = true;
        assert_eq!(coverage_gap(&broken, chars.len()), Some(11));
    }

    #[test]
    fn sentences_start_where_the_conll_sentences_do() {
        let text = "قصف إدلب. سقط قتلى.";
        let mut t = tagged(text, &[]);
        t.sentences = vec![0..3, 3..6];
        let chars: Vec<char> = text.chars().collect();
        let starts: Vec<bool> = spacy_tokens(&chars, &t)
            .iter()
            .map(|t| t.sent_start)
            .collect();
        assert_eq!(starts, [true, false, false, true, false, false]);
    }

    #[test]
    fn messagepack_headers_pick_the_smallest_form() {
        let mut b = Vec::new();
        mp_str(&mut b, "0.1");
        assert_eq!(b, b"\xa30.1");
        b.clear();
        mp_str(&mut b, &"ب".repeat(20)); // 40 bytes
        assert_eq!(&b[..2], &[0xd9, 40]);
        b.clear();
        mp_uint(&mut b, 65);
        mp_uint(&mut b, 391);
        mp_uint(&mut b, u64::MAX);
        assert_eq!(b, [&[65u8, 0xcd, 1, 135, 0xcf][..], &[0xff; 8]].concat());
        b.clear();
        mp_bin_header(&mut b, 70_000);
        mp_array_header(&mut b, 3);
        mp_array_header(&mut b, 20);
        mp_map_header(&mut b, 0);
        assert_eq!(b, [0xc6, 0, 1, 0x11, 0x70, 0x93, 0xdc, 0, 20, 0x80]);
    }
}
