//! The fonts tawsim ships, embedded in the binary.
//!
//! Noto Naskh Arabic sets the article; Noto Sans is the fallback for Latin
//! letters, digits and punctuation that Naskh lacks. Both are SIL OFL 1.1 (the
//! licence texts are in `fonts/`). The text engine is built from these bytes
//! only — no system font scan — so an article looks the same on every machine.
//! This module knows nothing of egui; `ui` registers the same bytes with egui.

use std::sync::Arc;

use cosmic_text::{FontSystem, fontdb};

/// Family name of the article font, as declared inside the TTF.
pub const ARABIC_FAMILY: &str = "Noto Naskh Arabic";
/// Family name of the Latin fallback font.
pub const LATIN_FAMILY: &str = "Noto Sans";

pub static NASKH_REGULAR: &[u8] = include_bytes!("../fonts/NotoNaskhArabic-Regular.ttf");
pub static NASKH_BOLD: &[u8] = include_bytes!("../fonts/NotoNaskhArabic-Bold.ttf");
pub static SANS_REGULAR: &[u8] = include_bytes!("../fonts/NotoSans-Regular.ttf");

/// A cosmic-text font system holding exactly the embedded fonts.
pub fn font_system() -> FontSystem {
    let mut db = fontdb::Database::new();
    for bytes in [NASKH_REGULAR, NASKH_BOLD, SANS_REGULAR] {
        db.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
    }
    db.set_serif_family(ARABIC_FAMILY);
    db.set_sans_serif_family(ARABIC_FAMILY);
    FontSystem::new_with_locale_and_db("ar".to_owned(), db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_fonts_load_with_their_family_names() {
        let fonts = font_system();
        let families: Vec<String> = fonts
            .db()
            .faces()
            .flat_map(|face| face.families.iter().map(|(name, _)| name.clone()))
            .collect();
        assert!(families.iter().any(|f| f == ARABIC_FAMILY), "{families:?}");
        assert!(families.iter().any(|f| f == LATIN_FAMILY), "{families:?}");
        assert_eq!(fonts.db().faces().count(), 3);
    }
}
