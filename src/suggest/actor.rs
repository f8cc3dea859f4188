//! The ACTOR recogniser: armed forces, governments, ministries, groups and
//! people as Arabic news names them, and countries when they act.
//!
//! It only reads the words of a text and the bundled list
//! `assets/gazetteer/actors.tsv` (written for the project; see the README
//! there); it never learns from a corpus.
//!
//! # What it finds
//!
//! | pattern | example | score |
//! |---|---|---|
//! | a listed name (`actors.tsv`: forces, groups, bodies, people) | «هيئة تحرير الشام», «الدفاع المدني», «بشار الأسد» | 0.85 |
//! | title + adjectives + a listed person | «الرئيس التركي رجب طيب أردوغان» | 0.85 |
//! | construct head + a listed actor or a country | «قوات النظام», «ميليشيات حزب الله», «طيران روسيا» | 0.8 |
//! | construct head + a definite noun (+ up to two definite adjectives) | «قوات الأسد», «وزارة الدفاع الروسية» | 0.7 |
//! | definite head + a definite nisba adjective (+ one more) | «القوات التركية», «الطيران الروسي» | 0.7 |
//! | any of these + «التابعة / الموالية / المدعومة لـ X» | «الميليشيات التابعة لإيران» | as the head |
//! | country that acts (rule below) | «قصفت روسيا» | 0.7 |
//! | person title (الرئيس، الملك، الأمير …) + an adjective + one to three name words | «الرئيس الفرنسي إيمانويل ماكرون» when not listed | 0.55 |
//!
//! Construct heads: قوات، جيش، طيران، وزارة، وزير، ميليشيات، فصائل، حكومة،
//! سلطات، تنظيم، جبهة، حزب، كتائب، لواء، مجلس، منظمة، هيئة، شرطة،
//! مخابرات، حرس. Definite heads: القوات، الجيش، الطيران، الحكومة، السلطات،
//! الشرطة، الميليشيات، الفصائل، الطائرات، المقاتلات، البحرية، المخابرات،
//! الاستخبارات، الخارجية، الداخلية، الدفاع.
//!
//! # Countries that act
//!
//! A country name is an ACTOR (and not a PLACE) when it carries no proclitic
//! of its own and either follows an action verb in the past, feminine
//! singular, with whitespace only between («قصفت روسيا», «وأعلنت تركيا»,
//! «دعت فرنسا»), or is followed by an action verb in the present
//! («روسيا تقصف», «تركيا ترفض»). The verbs are listed in [`PAST_VERBS`] and
//! [`PRESENT_VERBS`]. Elsewhere («في روسيا», «إلى تركيا») it stays a PLACE.
//!
//! The joined proclitics و ف ب ل ك are left out of a span as for places.

use std::sync::LazyLock;

use serde_json::Value;

use super::words::{Phrases, Reading, Word, joined};
use super::{Recogniser, Suggestion};
use crate::model::{Attrs, CharRange};

const ACTORS_TSV: &str = include_str!("../../assets/gazetteer/actors.tsv");

/// One listed actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `force`, `group`, `gov`, `org`, `person` or `people`.
    pub kind: String,
    /// The party it belongs to (the `side` attribute); may be empty.
    pub side: String,
}

/// The bundled actor list, parsed once.
pub struct Actors {
    pub names: Phrases<Actor>,
    /// Lines that did not parse (`actors.tsv:line`); empty, as a test proves.
    pub bad_lines: Vec<String>,
}

const KINDS: &[&str] = &["force", "group", "gov", "org", "person", "people"];

pub static ACTORS: LazyLock<Actors> = LazyLock::new(|| {
    let mut a = Actors {
        names: Phrases::new(),
        bad_lines: Vec::new(),
    };
    for (n, line) in ACTORS_TSV.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let words = super::words::phrase_words(fields[0]);
        if fields.len() != 3 || !KINDS.contains(&fields[1]) || words.is_empty() {
            a.bad_lines.push(format!("actors.tsv:{}", n + 1));
            continue;
        }
        let actor = Actor {
            kind: fields[1].to_owned(),
            side: fields[2].to_owned(),
        };
        a.names.entry(&words, || actor);
    }
    a
});

/// Heads in construct state, followed by whom they belong to (normalised).
const CONSTRUCT_HEADS: &[&str] = &[
    "قوات",
    "جيش",
    "طيران",
    "وزاره",
    "وزير",
    "ميليشيات",
    "مليشيات",
    "ميليشيا",
    "فصائل",
    "حكومه",
    "سلطات",
    "تنظيم",
    "جبهه",
    "حزب",
    "كتائب",
    "لواء",
    "مجلس",
    "منظمه",
    "هيئه",
    "شرطه",
    "مخابرات",
    "حرس",
    "طائرات",
    "مقاتلات",
];

/// Definite heads, followed by an adjective (normalised).
const DEFINITE_HEADS: &[&str] = &[
    "القوات",
    "الجيش",
    "الطيران",
    "الحكومه",
    "السلطات",
    "الشرطه",
    "الميليشيات",
    "المليشيات",
    "الفصائل",
    "الطائرات",
    "المقاتلات",
    "البحريه",
    "المخابرات",
    "الاستخبارات",
    "الخارجيه",
    "الداخليه",
    "الدفاع",
];

/// Titles before an unlisted person's name, with an adjective between
/// («الرئيس الفرنسي X»); «وزير» and the like take the construct rule instead.
const PERSON_TITLES: &[&str] = &[
    "الرئيس",
    "الملك",
    "الامير",
    "الجنرال",
    "العقيد",
    "العميد",
    "الشيخ",
    "السفير",
    "المبعوث",
    "الزعيم",
    "القائد",
];

/// Titles before a listed person's name (normalised).
const TITLES: &[&str] = &[
    "الرئيس",
    "رئيس",
    "الملك",
    "الامير",
    "الوزير",
    "وزير",
    "وزيره",
    "الجنرال",
    "العقيد",
    "اللواء",
    "العميد",
    "الشيخ",
    "المتحدث",
    "السفير",
    "المبعوث",
    "الزعيم",
    "القائد",
    "نائب",
    "الناطق",
];

/// «التابعة لـ X» and its kin (normalised).
const BELONGING: &[&str] = &[
    "التابعه",
    "التابعين",
    "التابع",
    "المواليه",
    "الموالي",
    "الموالين",
    "المدعومه",
    "المدعوم",
];

/// Action verbs, past, third person feminine singular (normalised).
pub const PAST_VERBS: &[&str] = &[
    "قصفت",
    "شنت",
    "اعلنت",
    "هاجمت",
    "استهدفت",
    "دعت",
    "طالبت",
    "رفضت",
    "اتهمت",
    "نفت",
    "اكدت",
    "قالت",
    "ارسلت",
    "فرضت",
    "وقعت",
    "هددت",
    "دعمت",
    "ادانت",
    "حذرت",
    "قررت",
    "نشرت",
    "سحبت",
    "بدات",
    "واصلت",
    "اعترفت",
    "وافقت",
    "تعهدت",
    "منحت",
    "طردت",
    "اسقطت",
    "ارتكبت",
    "اغلقت",
    "اطلقت",
    "نفذت",
    "عرضت",
    "قدمت",
    "اقترحت",
    "انتقدت",
    "استخدمت",
    "زودت",
    "دخلت",
    "تدخلت",
    "اعتبرت",
    "ابلغت",
    "طلبت",
    "ردت",
    "وجهت",
    "احتلت",
    "ضمت",
];

/// Action verbs, present, third person feminine singular (normalised).
pub const PRESENT_VERBS: &[&str] = &[
    "تقصف",
    "تشن",
    "تعلن",
    "تهاجم",
    "تستهدف",
    "تدعو",
    "تطالب",
    "ترفض",
    "تتهم",
    "تنفي",
    "تؤكد",
    "تقول",
    "ترسل",
    "تفرض",
    "توقع",
    "تهدد",
    "تدعم",
    "تدين",
    "تحذر",
    "تقرر",
    "تنشر",
    "تسحب",
    "تبدا",
    "تواصل",
    "تعترف",
    "توافق",
    "تتعهد",
    "تطرد",
    "تسعي",
    "تريد",
    "تحاول",
    "ترد",
    "تعتبر",
];

/// Words that are never a complement or a name word (normalised).
const NOT_NAME: &[&str] = &[
    "التي",
    "الذي",
    "الذين",
    "اللتي",
    "اللذين",
    "في",
    "من",
    "الي",
    "علي",
    "عن",
    "مع",
    "ان",
    "او",
    "قد",
    "لم",
    "لن",
    "كان",
    "كانت",
    "هذه",
    "هذا",
    "بعد",
    "قبل",
    "خلال",
    "قال",
    "اكد",
    "امس",
    "اليوم",
    "انه",
    "الا",
    "كل",
    "بين",
    "حول",
    "ضد",
    "عند",
    "لدي",
    "منذ",
    "حتي",
    "ثم",
    "غير",
    "الان",
    "ايضا",
    "يوم",
];

fn is(list: &[&str], w: &str) -> bool {
    list.contains(&w)
}

fn reading_in(words: &[Word], k: usize, list: &[&str]) -> Option<Reading> {
    words[k]
        .readings()
        .into_iter()
        .find(|r| is(list, r.stem.as_str()))
}

fn definite(w: &str) -> bool {
    w.starts_with("ال") && w.chars().count() > 3 && !is(NOT_NAME, w)
}

/// A definite nisba adjective: «الروسية», «التركي», «السوريين».
fn nisba(w: &str) -> bool {
    definite(w)
        && (w.ends_with('ي') || w.ends_with("يه") || w.ends_with("يين") || w.ends_with("يون"))
}

/// Whether the country named at words `first..=last` (with `clitics` left
/// out of its first word) acts (see the module documentation).
pub fn country_acts(
    words: &[Word],
    joined: &[bool],
    first: usize,
    last: usize,
    clitics: &str,
) -> bool {
    if !clitics.is_empty() {
        return false;
    }
    let after = last + 1 < words.len()
        && joined[last]
        && reading_in(words, last + 1, PRESENT_VERBS).is_some_and(|r| r.clitics.is_empty());
    let before = first > 0
        && joined[first - 1]
        && words[first - 1]
            .readings()
            .iter()
            .any(|r| is(PAST_VERBS, &r.stem) && !r.clitics.contains(['ب', 'ل', 'ك']));
    after || before
}

/// ACTOR suggestions in `text`, whose words are `words`.
pub fn recognise(text: &str, words: &[Word]) -> Vec<Suggestion> {
    let joined = joined(text, words);
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        match actor_at(words, &joined, i) {
            Some((s, last)) => {
                out.push(s);
                i = last + 1;
            }
            None => i += 1,
        }
    }
    out
}

/// What starts at word `i` and its last word.
fn actor_at(words: &[Word], joined: &[bool], i: usize) -> Option<(Suggestion, usize)> {
    let join = |k: usize| k + 1 < words.len() && joined[k];
    let readings = words[i].readings();
    let head_in = |list: &[&str]| readings.iter().find(|r| is(list, &r.stem)).cloned();
    // A title, its adjectives and a listed person: one span.
    if let Some(title) = head_in(TITLES) {
        let mut k = i;
        while join(k) && k - i < 3 && nisba(&words[k + 1].norm.text) {
            k += 1;
        }
        if join(k)
            && let Some(m) = ACTORS.names.longest_at(words, k + 1, joined)
            && m.clitics.is_empty()
            && m.value.kind == "person"
        {
            let last = m.last;
            return make(
                words,
                title.range.start(),
                last,
                0.85,
                "title + listed person",
                &m.value.side,
            )
            .map(|s| (s, last));
        }
        if k > i && join(k) && is(PERSON_TITLES, &title.stem) {
            // Title + adjectives + one to three name words.
            let mut last = k;
            while join(last) && last - k < 3 && name_word(&words[last + 1].norm.text, last == k) {
                last += 1;
            }
            if last > k {
                return make(
                    words,
                    title.range.start(),
                    last,
                    0.55,
                    "title + adjective + name",
                    "",
                )
                .map(|s| (s, last));
            }
        }
    }
    if let Some(m) = ACTORS.names.longest_at(words, i, joined) {
        let last = belonging(words, joined, m.last).unwrap_or(m.last);
        return make(
            words,
            m.range.start(),
            last,
            0.85,
            "listed actor",
            &m.value.side,
        )
        .map(|s| (s, last));
    }
    if let Some(head) = head_in(CONSTRUCT_HEADS)
        && join(i)
    {
        // Whom the head belongs to: a listed actor, a country, or a noun.
        let (mut last, score, side) = if let Some(m) = ACTORS.names.longest_at(words, i + 1, joined)
            && m.clitics.is_empty()
        {
            (m.last, 0.8, m.value.side.clone())
        } else if let Some(m) = super::place::place_at(words, i + 1, joined)
            && m.clitics.is_empty()
            && m.value.kind == super::place::Kind::Country
        {
            (m.last, 0.8, String::new())
        } else if definite(&words[i + 1].norm.text) {
            (i + 1, 0.7, String::new())
        } else {
            return None;
        };
        let first_adj = last;
        while join(last) && last - first_adj < 2 && nisba(&words[last + 1].norm.text) {
            last += 1;
        }
        let last = belonging(words, joined, last).unwrap_or(last);
        return make(
            words,
            head.range.start(),
            last,
            score,
            "head + whom it belongs to",
            &side,
        )
        .map(|s| (s, last));
    }
    if let Some(head) = head_in(DEFINITE_HEADS)
        && join(i)
    {
        let last = if nisba(&words[i + 1].norm.text) {
            let mut last = i + 1;
            if join(last) && nisba(&words[last + 1].norm.text) {
                last += 1;
            }
            belonging(words, joined, last).unwrap_or(last)
        } else {
            // «الميليشيات التابعة لإيران»: the head alone is too vague.
            belonging(words, joined, i)?
        };
        return make(words, head.range.start(), last, 0.7, "head + adjective", "")
            .map(|s| (s, last));
    }
    if let Some(m) = super::place::place_at(words, i, joined)
        && m.value.kind == super::place::Kind::Country
        && country_acts(words, joined, m.first, m.last, &m.clitics)
    {
        let last = m.last;
        return make(
            words,
            m.range.start(),
            last,
            0.7,
            "country + action verb",
            "",
        )
        .map(|s| (s, last));
    }
    None
}

/// Whether `w` can be a word of an unlisted person's name after a title.
fn name_word(w: &str, first: bool) -> bool {
    w.chars().count() >= 3
        && !is(NOT_NAME, w)
        && !is(PAST_VERBS, w)
        && !is(PRESENT_VERBS, w)
        && !w.chars().any(|c| c.is_ascii_digit())
        && !(first && (w.starts_with("ال") || w.starts_with("لل")))
        && !w.ends_with('ه')
}

/// After word `last`: «التابعة لـ X», «الموالية لX» with X a listed actor, a
/// country or a definite noun; returns X's last word.
fn belonging(words: &[Word], joined: &[bool], last: usize) -> Option<usize> {
    let k = last + 1;
    if k + 1 >= words.len() || !joined[last] || !is(BELONGING, &words[k].norm.text) || !joined[k] {
        return None;
    }
    // «لـ X» (a separate ل) or «لX».
    let x = if words[k + 1].norm.text == "ل" {
        if k + 2 >= words.len() || !joined[k + 1] {
            return None;
        }
        k + 2
    } else {
        k + 1
    };
    let target = |w: &Word| {
        w.readings()
            .into_iter()
            .find(|r| r.clitics == "ل" || x == k + 2 && r.clitics.is_empty())
    };
    let reading = target(&words[x])?;
    if let Some(m) = ACTORS.names.longest_at(words, x, joined) {
        return Some(m.last);
    }
    if let Some(m) = super::place::place_at(words, x, joined)
        && m.value.kind == super::place::Kind::Country
    {
        return Some(m.last);
    }
    definite(&reading.stem).then_some(x)
}

fn make(
    words: &[Word],
    start: usize,
    last: usize,
    score: f64,
    why: &str,
    side: &str,
) -> Option<Suggestion> {
    let range = CharRange::new(start, words[last].range.end()).ok()?;
    let mut attrs = Attrs::new();
    if !side.is_empty() {
        attrs.insert("side".into(), Value::String(side.to_owned()));
    }
    Some(Suggestion {
        range,
        label: "ACTOR".into(),
        attrs,
        score,
        recogniser: Recogniser::Actor,
        reason: why.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::words::words;
    use crate::text::normalize::normalize;

    fn actors(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        recognise(text, &words(text))
            .into_iter()
            .map(|s| chars[s.range.as_range()].iter().collect())
            .collect()
    }

    #[test]
    fn bundled_list_parses_and_word_lists_are_normalised() {
        assert!(ACTORS.bad_lines.is_empty(), "{:?}", ACTORS.bad_lines);
        assert!(ACTORS.names.len() > 200);
        for list in [
            CONSTRUCT_HEADS,
            DEFINITE_HEADS,
            TITLES,
            BELONGING,
            PAST_VERBS,
            PRESENT_VERBS,
            NOT_NAME,
            PERSON_TITLES,
        ] {
            for w in list {
                assert_eq!(normalize(w).text, *w, "{w} is not normalised");
            }
        }
    }

    #[test]
    fn forces_governments_and_groups() {
        assert_eq!(
            actors(
                "قصفت قوات الأسد وطيران النظام بلدة، وقال الدفاع المدني إن هيئة تحرير الشام انسحبت"
            ),
            vec![
                "قوات الأسد",
                "طيران النظام",
                "الدفاع المدني",
                "هيئة تحرير الشام"
            ]
        );
        assert_eq!(
            actors("أعلنت وزارة الدفاع الروسية أن القوات التركية تقدمت"),
            vec!["وزارة الدفاع الروسية", "القوات التركية"]
        );
        assert_eq!(
            actors("هاجمت الميليشيات التابعة لإيران و فصائل المعارضة"),
            vec!["الميليشيات التابعة لإيران", "فصائل المعارضة"]
        );
        assert_eq!(
            actors("انتشرت قوات الأمن العراقية"),
            vec!["قوات الأمن العراقية"]
        );
        assert_eq!(
            actors("الميليشيات التابعة لـ إيران"),
            vec!["الميليشيات التابعة لـ إيران"]
        );
    }

    #[test]
    fn people_with_their_titles() {
        assert_eq!(
            actors("وقال الرئيس التركي رجب طيب أردوغان إن"),
            vec!["الرئيس التركي رجب طيب أردوغان"]
        );
        assert_eq!(
            actors("التقى الرئيس الفرنسي إيمانويل ماكرون في باريس"),
            vec!["الرئيس الفرنسي إيمانويل ماكرون"]
        );
        let text = "قال بشار الأسد";
        let s = recognise(text, &words(text));
        assert_eq!(
            s[0].attrs.get("side"),
            Some(&Value::String("النظام".into()))
        );
    }

    #[test]
    fn a_country_acts_only_next_to_an_action_verb() {
        assert_eq!(actors("قصفت روسيا مدينة إدلب"), vec!["روسيا"]);
        assert_eq!(actors("وأعلنت تركيا أمس"), vec!["تركيا"]);
        assert_eq!(actors("تركيا ترفض الاتفاق"), vec!["تركيا"]);
        assert!(actors("سافر الوفد إلى روسيا").is_empty());
        assert!(actors("قصفت بروسيا").is_empty());
    }

    #[test]
    fn the_lion_is_not_an_actor() {
        assert!(actors("الأسد ملك الغابة ويعيش في أفريقيا").is_empty());
    }
}
