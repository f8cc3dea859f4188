//! The records that travel between a local project and the team server,
//! named by their global identities only: documents by the SHA-256 of their
//! text, people, layers, spans and events by uid, label schemas by the
//! SHA-256 of their RON text. The store ([`crate::store::sync`]) makes them
//! from its rows and applies them; the server ([`crate::server::sync`])
//! writes and reads them. Plain data: no SQL, no local ids, no behaviour
//! beyond naming.

use serde_json::Value;
use uuid::Uuid;

/// Who is syncing, and what the server lets them write (see the policies
/// in [`crate::server::schema`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    /// The person's uid (their annotator's uid in the local project).
    pub me: Uuid,
    /// Reviewer or admin: writes gold and reviews, on any document.
    pub staff: bool,
    /// Admin: writes documents, schemas, imported layers, assignments and
    /// settings, and events of the system (no actor).
    pub admin: bool,
}

/// A person of the server, with the uid of their annotator layer there
/// (`None`: they have none yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub uid: Uuid,
    pub login: String,
    pub name: String,
    pub role: String,
    pub created_at: String,
    pub removed_at: Option<String>,
    pub layer: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRecord {
    pub sha256: String,
    pub name: String,
    pub ron: String,
    pub source: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DocumentRecord {
    pub sha256: String,
    pub title: String,
    pub text: String,
    pub source: String,
    /// A JSON object.
    pub meta: Value,
    pub direction: String,
    pub char_len: i64,
    pub imported_at: String,
    pub note: String,
    /// Time of the latest note event (`None`: never written).
    pub note_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRecord {
    pub uid: Uuid,
    pub name: String,
    /// `annotator`, `imported` or `gold`.
    pub kind: String,
    /// The person whose annotator layer it is.
    pub owner: Option<Uuid>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpanRecord {
    pub uid: Uuid,
    /// SHA-256 of the document's text.
    pub doc: String,
    pub layer: Uuid,
    pub annotator: Uuid,
    pub start: i64,
    pub end: i64,
    pub label: String,
    pub text: String,
    pub origin: String,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    /// A JSON object.
    pub attrs: Value,
    pub note: String,
    pub score: Option<f64>,
    pub model: Option<String>,
    /// SHA-256 of the RON text of the schema it was made with.
    pub schema_sha256: Option<String>,
    pub source_span: Option<Uuid>,
}

/// A person's progress on a document (`status` `None`: new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRecord {
    pub doc: String,
    pub annotator: Uuid,
    pub status: Option<String>,
    pub updated_at: String,
}

/// A person's rejection of a span of another layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkRecord {
    pub span: Uuid,
    pub annotator: Uuid,
    pub rejected: bool,
    pub at: String,
}

/// A document's review status (`status` `None`: unreviewed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRecord {
    pub doc: String,
    pub status: Option<String>,
    pub reviewer: Uuid,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentRecord {
    pub doc: String,
    pub annotator: Uuid,
    pub assigned_by: Option<Uuid>,
    pub updated_at: String,
    pub removed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SettingRecord {
    pub key: String,
    pub value: Value,
    pub updated_at: String,
}

/// A document's note, as of its latest note event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRecord {
    pub doc: String,
    pub note: String,
    pub at: String,
}

/// An audit event, its `before`/`after` translated to global ids (see
/// [`crate::sync`], "Events").
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub uid: Uuid,
    pub at: String,
    pub actor: Option<Uuid>,
    pub action: String,
    pub doc: Option<String>,
    pub span: Option<Uuid>,
    pub before: Value,
    pub after: Value,
}

/// What one push sends: local audit events up to `through` and the current
/// state of every record they touch that the person may write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outgoing {
    /// The local audit id this batch reaches: once the server committed it,
    /// the watermark moves here.
    pub through: i64,
    /// Local audit rows read (pushed or left out).
    pub read: usize,
    /// Events left out because the person may not write them (another
    /// actor's, or of the project's own bookkeeping).
    pub left_out: usize,
    pub schemas: Vec<SchemaRecord>,
    pub documents: Vec<DocumentRecord>,
    pub layers: Vec<LayerRecord>,
    pub spans: Vec<SpanRecord>,
    pub statuses: Vec<StatusRecord>,
    pub marks: Vec<MarkRecord>,
    pub reviews: Vec<ReviewRecord>,
    pub assignments: Vec<AssignmentRecord>,
    pub settings: Vec<SettingRecord>,
    pub notes: Vec<NoteRecord>,
    pub events: Vec<EventRecord>,
}

impl Outgoing {
    /// The documents (by SHA-256) that rows of the batch name but that it
    /// does not carry, each once.
    pub fn referenced_documents(&self) -> Vec<String> {
        let carried: std::collections::HashSet<&str> =
            self.documents.iter().map(|d| d.sha256.as_str()).collect();
        let mut refs: Vec<String> = self
            .spans
            .iter()
            .map(|s| &s.doc)
            .chain(self.statuses.iter().map(|s| &s.doc))
            .chain(self.reviews.iter().map(|s| &s.doc))
            .chain(self.notes.iter().map(|s| &s.doc))
            .chain(self.assignments.iter().map(|s| &s.doc))
            .chain(self.events.iter().filter_map(|e| e.doc.as_ref()))
            .filter(|sha| !carried.contains(sha.as_str()))
            .cloned()
            .collect();
        refs.sort();
        refs.dedup();
        refs
    }

    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
            && self.documents.is_empty()
            && self.layers.is_empty()
            && self.spans.is_empty()
            && self.statuses.is_empty()
            && self.marks.is_empty()
            && self.reviews.is_empty()
            && self.assignments.is_empty()
            && self.settings.is_empty()
            && self.notes.is_empty()
            && self.events.is_empty()
    }
}

/// The server tables a pull reads by `seq` (after `people`, which it reads
/// whole), in the order it reads them: a row's references come before it.
pub const PULLED_TABLES: [&str; 6] = [
    "schemas",
    "layers",
    "documents",
    "assignments",
    "spans",
    "events",
];
