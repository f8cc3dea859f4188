//! The DATE recogniser: days, dates, times and periods in Arabic news, with
//! the ISO 8601 `normalized` value when the expression fixes one.
//!
//! Following the label's guideline (assets/schema.ron), a suggestion includes
//! the words that fix the time («يوم», «صباح», «مطلع», «الماضي», «خلال» before
//! a period) and leaves out the prepositions before it («في», «منذ») and any
//! joined proclitic («والخميس» → «الخميس», see [`super`]).
//!
//! # What is recognised
//!
//! | kind | examples | `normalized` |
//! |---|---|---|
//! | weekday, with «يوم» or a time of day, «الماضي» / «المقبل» after it | «يوم الخميس», «الأربعاء», «بعد ظهر الأربعاء» → «ظهر الأربعاء», «يوم الأحد الماضي», «يوم جمعة» | — |
//! | day + month (+ year), the day in digits or as an ordinal with «من» | «11 كانون الثاني/ يناير», «٣ آذار ٢٠١٩», «الأول من أيار 2017» | 2019-03-03 (with a year) |
//! | month (+ year), in every month-name system | «أيار/ مايو 2017», «يناير 2019», «شباط», «جانفي 2020», «غشت 2014», «شهر رمضان» | 2017-05 (with a year) |
//! | year | «عام 2017», «العام 2011», «2015» after في/منذ/حتى/قبل/بعد/خلال, «2011-2013» | 2017 |
//! | numeric date | «11/01/2020», «2020-01-11» | 2020-01-11 |
//! | time | «(00:01)», «الساعة 10:30», «الساعة الثالثة فجراً» | — (a date merged with it gets «T00:01») |
//! | relative | «أمس», «اليوم», «غداً», «صباح اليوم», «الأسبوع الماضي», «هذا العام», «خلال الشهرين الأخيرين», «طوال الأربع وعشرين ساعة الماضية», «الـ48 ساعة الأخيرة», «الآونة الأخيرة» | — |
//! | decade, century | «الثمانينيات», «القرن التاسع عشر», «القرن الـ19» | — |
//!
//! Month names: Gregorian (يناير … ديسمبر, with يونيه/يوليه), Levantine and
//! Iraqi (كانون الثاني، شباط، آذار، نيسان، أيار، حزيران، تموز، آب، أيلول،
//! تشرين الأول، تشرين الثاني، كانون الأول), Maghrebi (جانفي، فيفري، مارس،
//! أفريل، ماي، جوان، جويلية، أوت; Moroccan يوليوز، غشت، شتنبر، نونبر، دجنبر) and
//! Hijri (محرم … ذو الحجة). Paired forms join two names of the same month
//! with «/» or brackets («كانون الثاني/ يناير», «يناير (كانون الثاني)»).
//!
//! Words that are also ordinary words need context before they are read as
//! months: «مارس» (practised), «آب» (father), «ماي», «نيسان», «تموز» need a
//! day before, a year after, a paired name, «شهر» before or a preposition
//! (في، منذ، خلال، حتى، قبل، بعد) before; Hijri months (رجب and رمضان are
//! also names, صفر is zero) need a day, a Hijri year or «شهر». So «رجب طيب
//! أردوغان» and «الأب» are not dates.
//!
//! `normalized` is filled only when the text fixes a calendar date: a year,
//! a Gregorian month and year, or a full Gregorian date (plus `THH:MM` when a
//! time is joined to a full date). Hijri dates, relative expressions,
//! weekdays and dates without a year leave it out (they depend on when the
//! article was written). Arabic-Indic digits (٠–٩, ۰–۹) read as ASCII ones.
//!
//! Expressions right next to each other (only spaces between) become one
//! suggestion: «الخميس 11 كانون الثاني 2019», «أمس الخميس». The recogniser
//! reads words left to right once; no backtracking.

use super::casualty::{Scan, number_at};
use super::words::Word;
use super::{Recogniser, Suggestion};
use crate::model::{Attrs, CharRange};

/// The parts of a calendar date an expression fixes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Ymd {
    year: Option<u32>,
    month: Option<u32>,
    day: Option<u32>,
    time: Option<(u32, u32)>,
    /// A Hijri month or year: never normalised.
    hijri: bool,
}

impl Ymd {
    /// The ISO 8601 value, when the parts fix one (see the module docs).
    fn iso(&self) -> Option<String> {
        if self.hijri {
            return None;
        }
        let y = self.year?;
        Some(match (self.month, self.day) {
            (Some(m), Some(d)) => match self.time {
                Some((h, min)) => format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}"),
                None => format!("{y:04}-{m:02}-{d:02}"),
            },
            (Some(m), None) => format!("{y:04}-{m:02}"),
            _ => format!("{y:04}"),
        })
    }

    fn join(self, o: Ymd) -> Ymd {
        Ymd {
            year: self.year.or(o.year),
            month: self.month.or(o.month),
            day: self.day.or(o.day),
            time: self.time.or(o.time),
            hijri: self.hijri || o.hijri,
        }
    }
}

/// A recognised expression: words `first..end`, stored code points
/// `start..stop`.
#[derive(Debug, Clone)]
struct Found {
    first: usize,
    end: usize,
    start: usize,
    stop: usize,
    ymd: Ymd,
    score: f64,
    reason: String,
}

/// A core expression found from some word on: the word after it, its last
/// stored code point (exclusive), its date parts, score and reason.
struct Hit {
    end: usize,
    stop: usize,
    ymd: Ymd,
    score: f64,
    reason: &'static str,
    /// A period («الأسبوع الماضي»): «خلال» / «طوال» before it belong to it.
    period: bool,
    /// The stored start when it is not the first word's («(00:01)»).
    start: Option<usize>,
}

fn weekday(s: &str) -> bool {
    matches!(
        s,
        "السبت" | "الاحد" | "الاثنين" | "الثلاثاء" | "الاربعاء" | "الخميس" | "الجمعه"
    )
}

fn bare_weekday(s: &str) -> bool {
    matches!(
        s,
        "سبت" | "احد" | "اثنين" | "ثلاثاء" | "اربعاء" | "خميس" | "جمعه"
    )
}

/// How much context a month name needs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Read as a month anywhere.
    None,
    /// Also an ordinary word: needs a day, year, pair, «شهر» or preposition.
    Context,
    /// Hijri: needs a day, year or «شهر».
    Hijri,
}

/// A one-word month name: its number and the context it needs.
fn month1(s: &str) -> Option<(u32, Need)> {
    use Need::*;
    Some(match s {
        "يناير" | "جانفي" => (1, None),
        "فبراير" | "فيفري" | "شباط" => (2, None),
        "اذار" => (3, None),
        "مارس" => (3, Context),
        "ابريل" | "افريل" => (4, None),
        "نيسان" => (4, Context),
        "مايو" | "ايار" => (5, None),
        "ماي" => (5, Context),
        "يونيو" | "يونيه" | "جوان" | "حزيران" => (6, None),
        "يوليو" | "يوليه" | "يوليوز" | "جويليه" => (7, None),
        "تموز" => (7, Context),
        "اغسطس" | "اوت" | "غشت" => (8, None),
        "اب" => (8, Context),
        "سبتمبر" | "شتنبر" | "ايلول" => (9, None),
        "اكتوبر" => (10, None),
        "نوفمبر" | "نونبر" => (11, None),
        "ديسمبر" | "دجنبر" => (12, None),
        "محرم" => (1, Hijri),
        "صفر" => (2, Hijri),
        "رجب" => (7, Hijri),
        "شعبان" => (8, Hijri),
        "رمضان" => (9, Hijri),
        "شوال" => (10, Hijri),
        _ => return Option::None,
    })
}

/// A two-word month name («كانون الثاني», «ربيع الأول», «ذو الحجة»).
fn month2(a: &str, b: &str) -> Option<(u32, Need)> {
    let b = b.strip_prefix("ال").unwrap_or(b);
    Some(match (a, b) {
        ("كانون", "ثاني") => (1, Need::None),
        ("كانون", "اول") => (12, Need::None),
        ("تشرين", "اول") => (10, Need::None),
        ("تشرين", "ثاني") => (11, Need::None),
        ("ربيع", "اول") => (3, Need::Hijri),
        ("ربيع", "ثاني" | "اخر") => (4, Need::Hijri),
        ("جمادي", "اولي" | "اول") => (5, Need::Hijri),
        ("جمادي", "اخره" | "ثانيه" | "اخر") => (6, Need::Hijri),
        ("ذو" | "ذي", "قعده") => (11, Need::Hijri),
        ("ذو" | "ذي", "حجه") => (12, Need::Hijri),
        _ => return None,
    })
}

/// Masculine ordinals for a day of the month (with «ال»), one word.
fn ordinal(s: &str) -> Option<u32> {
    Some(match s {
        "الاول" | "الحادي" => 1,
        "الثاني" => 2,
        "الثالث" => 3,
        "الرابع" => 4,
        "الخامس" => 5,
        "السادس" => 6,
        "السابع" => 7,
        "الثامن" => 8,
        "التاسع" => 9,
        "العاشر" => 10,
        "العشرين" => 20,
        "الثلاثين" => 30,
        _ => return None,
    })
}

/// Feminine ordinals for an hour («الساعة الثالثة»).
fn hour_word(s: &str) -> Option<u32> {
    Some(match s {
        "الواحده" => 1,
        "الثانيه" => 2,
        "الثالثه" => 3,
        "الرابعه" => 4,
        "الخامسه" => 5,
        "السادسه" => 6,
        "السابعه" => 7,
        "الثامنه" => 8,
        "التاسعه" => 9,
        "العاشره" => 10,
        "الحاديه" => 11,
        _ => return None,
    })
}

fn daypart(s: &str) -> bool {
    matches!(
        s,
        "صباحا"
            | "مساء"
            | "مساءا"
            | "ظهرا"
            | "ليلا"
            | "فجرا"
            | "عصرا"
            | "ظهر"
            | "بعدالظهر"
    )
}

/// Words before a date that belong to it («صباح الخميس», «مطلع يناير»).
fn lead(s: &str) -> bool {
    matches!(
        s,
        "صباح"
            | "مساء"
            | "ليل"
            | "ليله"
            | "فجر"
            | "ظهر"
            | "ظهيره"
            | "عصر"
            | "مطلع"
            | "اوائل"
            | "اواخر"
            | "منتصف"
            | "نهايه"
            | "بدايه"
            | "اواسط"
            | "غره"
            | "يوم"
            | "شهر"
    )
}

/// Prepositions that let an ambiguous month or a bare year be a date.
fn preposition(s: &str) -> bool {
    matches!(
        s,
        "في" | "منذ"
            | "خلال"
            | "حتي"
            | "قبل"
            | "بعد"
            | "الي"
            | "من"
            | "عن"
            | "بين"
            | "مطلع"
    )
}

fn period_noun(s: &str) -> bool {
    matches!(
        s,
        "الاسبوع"
            | "الشهر"
            | "العام"
            | "السنه"
            | "الاسابيع"
            | "الاشهر"
            | "الشهور"
            | "الايام"
            | "السنوات"
            | "السنين"
            | "الاعوام"
            | "الساعات"
            | "الشهرين"
            | "اليومين"
            | "العامين"
            | "السنتين"
            | "الاسبوعين"
            | "الساعتين"
            | "العقد"
            | "العقود"
            | "العقدين"
            | "الفتره"
            | "الاونه"
            | "الليله"
            | "الليالي"
    )
}

fn time_unit(s: &str) -> bool {
    matches!(
        s,
        "ساعه"
            | "ساعات"
            | "يوما"
            | "يوم"
            | "ايام"
            | "اسبوعا"
            | "اسابيع"
            | "شهرا"
            | "اشهر"
            | "شهور"
            | "عاما"
            | "اعوام"
            | "سنوات"
            | "سنه"
    )
}

fn qualifier(s: &str) -> bool {
    matches!(
        s,
        "الماضي"
            | "الماضيه"
            | "الماضيين"
            | "الماضيتين"
            | "الاخير"
            | "الاخيره"
            | "الاخيرين"
            | "الاخيرتين"
            | "المقبل"
            | "المقبله"
            | "المقبلين"
            | "المقبلتين"
            | "القادم"
            | "القادمه"
            | "القادمين"
            | "الحالي"
            | "الحاليه"
            | "الجاري"
            | "الجاريه"
            | "الفائت"
            | "الفائته"
            | "المنصرم"
            | "المنصرمه"
            | "السابق"
            | "السابقه"
            | "المنقضي"
            | "المنقضيه"
    )
}

/// A year written as four digits, 1000–2100.
fn year_digits(s: &str) -> Option<u32> {
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|y| (1000..=2100).contains(y))
}

fn small(s: &str, max: u32) -> Option<u32> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|v| (1..=max).contains(v))
}

struct Parser<'s, 'w> {
    scan: &'s Scan<'w>,
}

impl Parser<'_, '_> {
    fn len(&self) -> usize {
        self.scan.words.len()
    }

    fn norm(&self, i: usize) -> &str {
        self.scan.norm(i)
    }

    fn end_of(&self, i: usize) -> usize {
        self.scan.words[i].range.end()
    }

    /// Word `i` follows word `i - 1` with only spaces between.
    fn next(&self, i: usize) -> bool {
        i < self.len() && i > 0 && self.scan.spaced(i - 1)
    }

    /// The stems word `i` can be read as: with its proclitics stripped when
    /// it starts an expression, whole otherwise.
    fn cands(&self, i: usize, first: bool) -> Vec<(String, CharRange)> {
        if first {
            self.scan.stems(i)
        } else {
            vec![(self.norm(i).to_owned(), self.scan.words[i].range)]
        }
    }

    /// Any stem of the word before `i` satisfies `f`.
    fn before(&self, i: usize, f: impl Fn(&str) -> bool) -> bool {
        i > 0 && self.scan.spaced(i - 1) && self.scan.stems(i - 1).iter().any(|(s, _)| f(s))
    }

    /// The expression starting at word `i`: (start code point, hit).
    fn expression(&self, i: usize) -> Option<(usize, Hit, &'static str)> {
        for (stem, range) in self.cands(i, true) {
            // «خلال» / «طوال» before a period belong to it.
            if matches!(stem.as_str(), "خلال" | "طوال")
                && self.next(i + 1)
                && let Some(h) = self.core(i + 1, false).filter(|h| h.period)
            {
                return Some((range.start(), h, "period with «خلال»"));
            }
            if lead(&stem) && self.next(i + 1) {
                if let Some(h) = self.core(i + 1, false).filter(|h| !h.period) {
                    let why = if stem == "يوم" {
                        "«يوم» + date"
                    } else {
                        "time of day or part + date"
                    };
                    return Some((range.start(), h, why));
                }
                // «شهر» makes any month a date.
                if stem == "شهر"
                    && let Some(h) = self.month_from(i + 1, false, true)
                {
                    return Some((range.start(), h, "«شهر» + month"));
                }
                if stem == "يوم" {
                    let w = self.norm(i + 1);
                    if bare_weekday(w) {
                        let h = self.after_weekday(i + 2, self.end_of(i + 1), 0.9);
                        return Some((range.start(), h, "«يوم» + weekday"));
                    }
                }
            }
            if let Some(h) = self.core_stem(i, &stem, range) {
                return Some((h.start.unwrap_or(range.start()), h, ""));
            }
        }
        None
    }

    fn core(&self, i: usize, first: bool) -> Option<Hit> {
        self.cands(i, first)
            .into_iter()
            .find_map(|(stem, range)| self.core_stem(i, &stem, range))
    }

    /// A core expression whose first word reads as `stem` (stored `range`).
    fn core_stem(&self, i: usize, stem: &str, range: CharRange) -> Option<Hit> {
        if let Some(h) = self.numeric(i, stem) {
            return Some(h);
        }
        if let Some(h) = self.time(i, stem) {
            return Some(h);
        }
        if let Some(h) = self.day_month(i, stem) {
            return Some(h);
        }
        if let Some(h) = self.month_at(i, stem) {
            return Some(h);
        }
        if let Some(h) = self.year(i, stem) {
            return Some(h);
        }
        if weekday(stem) {
            if stem == "الاثنين" && self.before(i, |s| s == "بين") {
                return None;
            }
            return Some(self.after_weekday(i + 1, range.end(), 0.85));
        }
        self.relative(i, stem, range)
    }

    /// A weekday ending at `stop`, with «الماضي» etc. at word `i`.
    fn after_weekday(&self, i: usize, stop: usize, score: f64) -> Hit {
        let (end, stop) = if self.next(i) && qualifier(self.norm(i)) {
            (i + 1, self.end_of(i))
        } else {
            (i, stop)
        };
        Hit {
            end,
            stop,
            ymd: Ymd::default(),
            score,
            reason: "weekday",
            period: false,
            start: None,
        }
    }

    /// dd/mm/yyyy, yyyy-mm-dd (one separator character between).
    fn numeric(&self, i: usize, stem: &str) -> Option<Hit> {
        if i + 2 >= self.len() {
            return None;
        }
        let sep = |k: usize| match self.scan.gap(k) {
            [c] if matches!(c, '/' | '-' | '.') => Some(*c),
            _ => None,
        };
        let s1 = sep(i)?;
        if sep(i + 1)? != s1 {
            return None;
        }
        let (b, c) = (self.norm(i + 1), self.norm(i + 2));
        let (y, m, d) = if let Some(y) = year_digits(stem) {
            (y, small(b, 12)?, small(c, 31)?)
        } else {
            (year_digits(c)?, small(b, 12)?, small(stem, 31)?)
        };
        Some(Hit {
            end: i + 3,
            stop: self.end_of(i + 2),
            ymd: Ymd {
                year: Some(y),
                month: Some(m),
                day: Some(d),
                ..Ymd::default()
            },
            score: 0.9,
            reason: "numeric date",
            period: false,
            start: None,
        })
    }

    /// «(00:01)», «الساعة 10:30 صباحاً», «الساعة الثالثة فجراً».
    fn time(&self, i: usize, stem: &str) -> Option<Hit> {
        if stem == "الساعه" && self.next(i + 1) {
            let w = self.norm(i + 1);
            if let Some(mut h) = self.clock(i + 1, w, false) {
                h.reason = "«الساعة» + time";
                return Some(h);
            }
            if hour_word(w).or_else(|| small(w, 24)).is_some() {
                let mut end = i + 2;
                if matches!(w, "الحاديه" | "الثانيه") && self.next(end) && self.norm(end) == "عشره"
                {
                    end += 1;
                }
                if self.next(end) && matches!(self.norm(end), "والنصف" | "والربع" | "الا")
                {
                    end += 1;
                    if self.norm(end - 1) == "الا" && self.next(end) {
                        end += 1;
                    }
                }
                if self.next(end) && daypart(self.norm(end)) {
                    end += 1;
                }
                return Some(Hit {
                    end,
                    stop: self.end_of(end - 1),
                    ymd: Ymd::default(),
                    score: 0.85,
                    reason: "«الساعة» + hour",
                    period: false,
                    start: None,
                });
            }
            return None;
        }
        self.clock(i, stem, true)
    }

    /// hh:mm at word `i`, with the brackets around it when `brackets`.
    fn clock(&self, i: usize, stem: &str, brackets: bool) -> Option<Hit> {
        let h = stem
            .parse::<u32>()
            .ok()
            .filter(|h| *h <= 24 && stem.len() <= 2)?;
        if i + 1 >= self.len() || self.scan.gap(i) != [':'] {
            return None;
        }
        let m_s = self.norm(i + 1);
        let m = m_s
            .parse::<u32>()
            .ok()
            .filter(|m| *m < 60 && m_s.len() == 2)?;
        let mut end = i + 2;
        let mut stop = self.end_of(i + 1);
        let start = self.scan.words[i].range.start();
        let mut open = None;
        if brackets
            && start > 0
            && self.scan.char_at(start - 1) == Some('(')
            && self.scan.char_at(stop) == Some(')')
        {
            stop += 1;
            open = Some(start - 1);
        } else if self.next(end) && daypart(self.norm(end)) {
            end += 1;
            stop = self.end_of(end - 1);
        }
        Some(Hit {
            end,
            stop,
            ymd: Ymd {
                time: Some((h, m)),
                ..Ymd::default()
            },
            score: 0.9,
            reason: "time hh:mm",
            period: false,
            start: open,
        })
    }

    /// A month name at word `i` read as `stem`: (month, need, word after).
    fn month_name(&self, i: usize, stem: &str) -> Option<(u32, Need, usize)> {
        if self.next(i + 1)
            && let Some((m, need)) = month2(stem, self.norm(i + 1))
        {
            return Some((m, need, i + 2));
        }
        // «كانون» alone is not a month; a bare «كانون ثاني» is read above.
        month1(stem).map(|(m, need)| (m, need, i + 1))
    }

    /// A month (+ paired name) (+ year) at word `i`. `day`: a day stands
    /// before it; `shahr`: «شهر» stands before it.
    fn month_from(&self, i: usize, day: bool, shahr: bool) -> Option<Hit> {
        let (stem, _) = self.cands(i, !day && !shahr).into_iter().find(|(s, _)| {
            month1(s).is_some() || (self.next(i + 1) && month2(s, self.norm(i + 1)).is_some())
        })?;
        let (m, need, mut end) = self.month_name(i, &stem)?;
        let mut stop = self.end_of(end - 1);
        let mut hijri = need == Need::Hijri;
        let mut paired = false;
        let mut closed = false;
        // A paired name: «كانون الثاني/ يناير», «يناير (كانون الثاني)».
        if end < self.len() {
            let gap: String = self
                .scan
                .gap(end - 1)
                .iter()
                .filter(|c| !c.is_whitespace())
                .collect();
            if gap == "/" || gap == "(" || gap == "،(" {
                let w = self.norm(end);
                if let Some((_, _, e2)) = self.month_name(end, w) {
                    let close = gap != "/";
                    if !close || self.scan.char_at(self.end_of(e2 - 1)) == Some(')') {
                        end = e2;
                        stop = self.end_of(end - 1) + usize::from(close);
                        paired = true;
                        closed = close;
                    }
                }
            }
        }
        // A year after: «2017», «عام 2017», «من العام 2017», «1440 هـ».
        let mut year = None;
        let mut k = end;
        // After «(كانون الثاني)» the year follows the bracket.
        let after_bracket = closed
            && k < self.len()
            && self
                .scan
                .gap(k - 1)
                .iter()
                .filter(|c| !c.is_whitespace())
                .eq([')'].iter());
        if after_bracket && year_digits(self.norm(k)).is_some() {
            year = year_digits(self.norm(k));
            end = k + 1;
            stop = self.end_of(k);
        }
        if year.is_none() && self.next(k) && self.norm(k) == "من" {
            k += 1;
        }
        if self.next(k) && matches!(self.norm(k), "عام" | "العام" | "سنه") {
            k += 1;
        }
        if year.is_none()
            && self.next(k)
            && let Some(y) = year_digits(self.norm(k))
        {
            year = Some(y);
            end = k + 1;
            stop = self.end_of(k);
            if self.next(end) && matches!(self.norm(end), "ه" | "م") {
                hijri |= self.norm(end) == "ه";
                stop = self.end_of(end);
                end += 1;
            }
        }
        // «من العام الماضي», «من هذا العام» after a month without a year.
        if year.is_none() && self.next(end) && self.norm(end) == "من" {
            let k = end + 1;
            let last_year = matches!(self.norm(k), "العام" | "السنه")
                && self.next(k + 1)
                && qualifier(self.norm(k + 1));
            let this_year = matches!(self.norm(k), "هذا" | "هذه")
                && self.next(k + 1)
                && matches!(self.norm(k + 1), "العام" | "السنه");
            if self.next(k) && (last_year || this_year) {
                end = k + 2;
                stop = self.end_of(k + 1);
            }
        }
        let ok = match need {
            Need::None => true,
            Need::Context => {
                day || shahr || paired || year.is_some() || self.before(i, preposition)
            }
            Need::Hijri => day || shahr || year.is_some(),
        };
        if !ok {
            return None;
        }
        let score = match (day, year.is_some(), need) {
            (_, true, _) | (true, _, _) => 0.95,
            (_, _, Need::None) if paired || shahr => 0.9,
            (_, _, Need::None) => 0.8,
            _ => 0.7,
        };
        Some(Hit {
            end,
            stop,
            ymd: Ymd {
                year,
                month: Some(m),
                hijri,
                ..Ymd::default()
            },
            score,
            reason: if year.is_some() {
                "month + year"
            } else {
                "month name"
            },
            period: false,
            start: None,
        })
    }

    fn month_at(&self, i: usize, stem: &str) -> Option<Hit> {
        let is_month = month1(stem).is_some()
            || (self.next(i + 1) && month2(stem, self.norm(i + 1)).is_some());
        if is_month {
            self.month_from(i, false, false)
        } else {
            None
        }
    }

    /// Day + [من] + month: «11 كانون الثاني/ يناير», «الأول من أيار».
    fn day_month(&self, i: usize, stem: &str) -> Option<Hit> {
        let (day, mut k, needs_min) = if let Some(d) = small(stem, 31) {
            (d, i + 1, false)
        } else if let Some(d) = ordinal(stem) {
            // «الحادي عشر», «الحادي والعشرين», «التاسع عشر».
            let mut k = i + 1;
            let mut d = d;
            if self.next(k) && matches!(self.norm(k), "عشر") && d < 10 {
                d += 10;
                k += 1;
            } else if self.next(k)
                && d < 10
                && let Some(t) = self
                    .norm(k)
                    .strip_prefix('و')
                    .and_then(ordinal)
                    .filter(|t| *t >= 20)
            {
                d += t;
                k += 1;
            }
            (d, k, true)
        } else {
            return None;
        };
        if day > 31 || !self.next(k) {
            return None;
        }
        if self.norm(k) == "من" {
            k += 1;
            if !self.next(k) {
                return None;
            }
        } else if needs_min {
            return None;
        }
        let h = self.month_from(k, true, false)?;
        Some(Hit {
            ymd: Ymd {
                day: Some(day),
                ..h.ymd
            },
            reason: if h.ymd.year.is_some() {
                "day + month + year"
            } else {
                "day + month"
            },
            ..h
        })
    }

    /// «عام 2017», «العام 2011», a bare year after a preposition, «2011-2013».
    fn year(&self, i: usize, stem: &str) -> Option<Hit> {
        let (k, score, reason) = if matches!(stem, "عام" | "العام" | "سنه" | "السنه" | "عامي")
        {
            if !self.next(i + 1) {
                return None;
            }
            (i + 1, 0.9, "«عام» + year")
        } else if year_digits(stem).is_some() {
            let after_year = i > 0
                && year_digits(self.norm(i - 1)).is_some()
                && self.scan.words[i].norm.text.starts_with('و');
            if !(self.before(i, preposition) || after_year) {
                return None;
            }
            (i, 0.75, "year after a preposition")
        } else {
            return None;
        };
        let ys = if k == i { stem } else { self.norm(k) };
        let y = year_digits(ys)?;
        let mut end = k + 1;
        let mut stop = self.end_of(k);
        let mut hijri = false;
        let mut range = false;
        if k + 1 < self.len() && matches!(self.scan.gap(k), ['-'] | ['–']) {
            if year_digits(self.norm(k + 1)).is_some() {
                end = k + 2;
                stop = self.end_of(k + 1);
                range = true;
            }
        } else if self.next(end) && matches!(self.norm(end), "ه" | "م") {
            hijri = self.norm(end) == "ه";
            stop = self.end_of(end);
            end += 1;
        }
        // A count, not a year: «في 2000 شخص», «منذ 1000 عام».
        if k == i && self.next(end) {
            let w = self.norm(end);
            if time_unit(w) || matches!(w, "عام" | "الف" | "شخص" | "شخصا" | "مدني" | "مدنيا")
            {
                return None;
            }
        }
        Some(Hit {
            end,
            stop,
            ymd: Ymd {
                year: (!range).then_some(y),
                hijri,
                ..Ymd::default()
            },
            score,
            reason,
            period: false,
            start: None,
        })
    }

    /// Relative expressions, periods, decades and centuries.
    fn relative(&self, i: usize, stem: &str, range: CharRange) -> Option<Hit> {
        let hit = |end: usize, score: f64, reason: &'static str, period: bool| Hit {
            end,
            stop: self.end_of(end - 1).max(range.end()),
            ymd: Ymd::default(),
            score,
            reason,
            period,
            start: None,
        };
        let nx = |k: usize| if self.next(k) { self.norm(k) } else { "" };
        match stem {
            "امس" | "الامس" => {
                let end = if nx(i + 1) == "الاول" {
                    i + 2
                } else {
                    i + 1
                };
                return Some(hit(end, 0.9, "«أمس»", false));
            }
            "اول" if nx(i + 1) == "امس" => return Some(hit(i + 2, 0.9, "«أول أمس»", false)),
            "اليوم" => {
                let w = nx(i + 1);
                if matches!(w, "العالمي" | "الوطني" | "الدولي") {
                    return None;
                }
                if matches!(w, "التالي" | "السابق") {
                    return Some(hit(i + 2, 0.8, "«اليوم التالي»", false));
                }
                return Some(hit(i + 1, 0.75, "«اليوم»", false));
            }
            "غدا" => return Some(hit(i + 1, 0.8, "«غداً»", false)),
            "هذا" | "هذه" => {
                if matches!(nx(i + 1), "الاسبوع" | "الشهر" | "العام" | "السنه")
                {
                    return Some(hit(i + 2, 0.8, "«هذا» + period", false));
                }
                return None;
            }
            "القرن" => {
                let w = nx(i + 1);
                if qualifier(w) || w == "العشرين" {
                    return Some(hit(i + 2, 0.8, "century", false));
                }
                if let Some(n) = number_at(self.scan, i + 1, true).filter(|_| self.next(i + 1)) {
                    return Some(hit(n.end, 0.8, "century", false));
                }
                if ordinal(w).is_some() {
                    let mut end = i + 2;
                    let w2 = nx(end);
                    if w2 == "عشر" || w2.strip_prefix('و').and_then(ordinal).is_some() {
                        end += 1;
                    }
                    return Some(hit(end, 0.8, "century", false));
                }
                return None;
            }
            _ => {}
        }
        if period_noun(stem) && qualifier(nx(i + 1)) {
            let period = stem != "الليله";
            return Some(hit(i + 2, 0.85, "period + «الماضي» etc.", period));
        }
        // Decades: «الثمانينيات», «ثمانينات القرن الماضي».
        let bare = stem.strip_prefix("ال").unwrap_or(stem);
        if let Some(base) = bare.strip_suffix("يات").or_else(|| bare.strip_suffix("ات")) {
            let base = base.strip_suffix('ي').unwrap_or(base);
            if matches!(
                base,
                "العشرين"
                    | "عشرين"
                    | "ثلاثين"
                    | "اربعين"
                    | "خمسين"
                    | "ستين"
                    | "سبعين"
                    | "ثمانين"
                    | "تسعين"
            ) {
                let mut end = i + 1;
                if nx(end) == "القرن" && (qualifier(nx(end + 1)) || nx(end + 1) == "العشرين")
                {
                    end += 2;
                } else if nx(end) == "من"
                    && nx(end + 1) == "القرن"
                    && (qualifier(nx(end + 2)) || nx(end + 2) == "العشرين")
                {
                    end += 3;
                }
                return Some(hit(end, 0.8, "decade", false));
            }
        }
        // «الأربع وعشرين ساعة الماضية», «الـ48 ساعة الأخيرة».
        if stem.starts_with("ال")
            && let Some(n) = number_at(self.scan, i, true).filter(|n| n.definite)
            && time_unit(nx(n.end))
            && qualifier(nx(n.end + 1))
        {
            return Some(hit(n.end + 2, 0.85, "number + unit + «الماضية»", true));
        }
        None
    }

    /// Every expression, left to right, adjacent ones merged.
    fn run(&self) -> Vec<Found> {
        let mut out: Vec<Found> = Vec::new();
        let mut i = 0;
        while i < self.len() {
            let Some((start, h, why)) = self.expression(i) else {
                i += 1;
                continue;
            };
            let reason = if why.is_empty() {
                h.reason.to_owned()
            } else {
                why.to_owned()
            };
            let f = Found {
                first: i,
                end: h.end.max(i + 1),
                start,
                stop: h.stop,
                ymd: h.ymd,
                score: h.score,
                reason,
            };
            i = f.end;
            if let Some(prev) = out.last_mut()
                && prev.end == f.first
                && self.scan.spaced(prev.end - 1)
                && prev.stop <= f.start
            {
                prev.end = f.end;
                prev.stop = f.stop;
                prev.ymd = prev.ymd.join(f.ymd);
                prev.score = prev.score.max(f.score);
                prev.reason = format!("{} + {}", prev.reason, f.reason);
                continue;
            }
            out.push(f);
        }
        out
    }
}

/// DATE suggestions in `text`, whose words are `words`.
pub fn recognise(text: &str, words: &[Word]) -> Vec<Suggestion> {
    let scan = Scan::new(text, words);
    let parser = Parser { scan: &scan };
    parser
        .run()
        .into_iter()
        .filter_map(|f| {
            let range = CharRange::new(f.start, f.stop).ok()?;
            let mut attrs = Attrs::new();
            // A time alone or a date with a time but no day is not an ISO
            // value the schema allows.
            let ymd = if f.ymd.day.is_none() {
                Ymd {
                    time: None,
                    ..f.ymd
                }
            } else {
                f.ymd
            };
            if let Some(iso) = ymd.iso() {
                attrs.insert("normalized".into(), iso.into());
            }
            Some(Suggestion {
                range,
                label: "DATE".into(),
                attrs,
                score: f.score.clamp(0.0, 1.0),
                recogniser: Recogniser::Date,
                reason: f.reason,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::words::words;
    use super::*;

    /// (covered text, normalized) of every suggestion in `text`.
    fn run(text: &str) -> Vec<(String, Option<String>)> {
        let ws = words(text);
        let chars: Vec<char> = text.chars().collect();
        recognise(text, &ws)
            .into_iter()
            .map(|s| {
                assert_eq!(s.label, "DATE");
                assert!((0.0..=1.0).contains(&s.score) && !s.reason.is_empty());
                (
                    chars[s.range.start()..s.range.end()].iter().collect(),
                    s.attrs
                        .get("normalized")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                )
            })
            .collect()
    }

    fn one(text: &str, covered: &str, iso: Option<&str>) {
        assert_eq!(
            run(text),
            vec![(covered.to_owned(), iso.map(str::to_owned))],
            "in «{text}»"
        );
    }

    #[test]
    fn weekdays_with_and_without_al_and_yawm() {
        one("أعلن الفريق يوم الخميس عن الحصيلة", "يوم الخميس", None);
        one("بعد ظهر الأربعاء قصفت الطائرات", "ظهر الأربعاء", None);
        one("والجمعة ، أعلنت الوزارة", "الجمعة", None);
        one("من يوم الأحد الماضي", "يوم الأحد الماضي", None);
        one("وصل يوم جمعة", "يوم جمعة", None);
        // «الاثنين» after «بين» is «the two».
        assert!(run("اتفاق بين الاثنين").is_empty());
    }

    #[test]
    fn gregorian_levantine_maghrebi_and_hijri_months() {
        one("في 3 يناير 2019", "3 يناير 2019", Some("2019-01-03"));
        one("في ٣ آذار ٢٠١٩ قصفت", "٣ آذار ٢٠١٩", Some("2019-03-03"));
        one("منذ تشرين الأول 2015", "تشرين الأول 2015", Some("2015-10"));
        one("في 5 جانفي 2020", "5 جانفي 2020", Some("2020-01-05"));
        one("خلال غشت 2014", "غشت 2014", Some("2014-08"));
        one("في 20 شتنبر", "20 شتنبر", None);
        one(
            "في الأول من أيار 2017",
            "الأول من أيار 2017",
            Some("2017-05-01"),
        );
        one("في 15 رمضان 1440 هـ", "15 رمضان 1440 هـ", None);
        one("خلال شهر رمضان", "شهر رمضان", None);
        one("حتى نهاية شباط", "نهاية شباط", None);
    }

    #[test]
    fn paired_month_forms() {
        one(
            "أعلنه الروس والأتراك في 11 كانون الثاني/ يناير، والذي",
            "11 كانون الثاني/ يناير",
            None,
        );
        one(
            "في أستانة في أيار/ مايو 2017 بين",
            "أيار/ مايو 2017",
            Some("2017-05"),
        );
        one(
            "في 9 يناير (كانون الثاني) 2020",
            "9 يناير (كانون الثاني) 2020",
            Some("2020-01-09"),
        );
    }

    #[test]
    fn ambiguous_month_words_need_context() {
        assert!(run("وقال الرئيس التركي رجب طيب أردوغان").is_empty());
        assert!(run("مارس الضغط على الأب").is_empty());
        assert!(run("سيارة نيسان بيضاء").is_empty());
        one("في آب الماضي", "آب", None);
        one("في 4 ماي 2021", "4 ماي 2021", Some("2021-05-04"));
        one("منذ مارس", "مارس", None);
    }

    #[test]
    fn years_times_and_numeric_dates() {
        one("في عام 2017", "عام 2017", Some("2017"));
        one("منذ 2011 حتى الآن", "2011", Some("2011"));
        one("بين 2011-2013", "2011-2013", None);
        one("اعتبارا من الساعة (00:01) بالتوقيت المحلي", "(00:01)", None);
        one("عند الساعة ١٠:٣٠ صباحاً", "الساعة ١٠:٣٠ صباحاً", None);
        one("بتاريخ 11/01/2020", "11/01/2020", Some("2020-01-11"));
        one("بتاريخ 2020-01-11", "2020-01-11", Some("2020-01-11"));
        // A count, not a year.
        assert!(run("نزوح 2000 شخص").is_empty());
        assert!(run("في 2000 شخص").is_empty());
    }

    #[test]
    fn relative_expressions() {
        one("قصفت الطائرات أمس المدينة", "أمس", None);
        one("وقال اليوم إن", "اليوم", None);
        one("خلال الأسبوع الماضي", "خلال الأسبوع الماضي", None);
        one("خلال الشهرين الأخيرين ,", "خلال الشهرين الأخيرين", None);
        one(
            "قامت به قوات الأسد طوال الأربع وعشرين ساعة الماضية في إدلب",
            "طوال الأربع وعشرين ساعة الماضية",
            None,
        );
        one("في الـ48 ساعة الأخيرة", "الـ48 ساعة الأخيرة", None);
        one("صباح اليوم", "صباح اليوم", None);
        one("أمس الخميس", "أمس الخميس", None);
        one(
            "في الثمانينيات من القرن الماضي",
            "الثمانينيات من القرن الماضي",
            None,
        );
        one("في القرن التاسع عشر", "القرن التاسع عشر", None);
        assert!(run("بمناسبة اليوم العالمي للطفل").is_empty());
    }

    #[test]
    fn clitics_stay_outside() {
        one("والخميس قصفت", "الخميس", None);
        one("وأمس قال", "أمس", None);
        one("وفي 2 شباط 2018", "2 شباط 2018", Some("2018-02-02"));
        one("وخلال الأيام الماضية", "خلال الأيام الماضية", None);
    }

    #[test]
    fn a_weekday_next_to_a_date_is_one_span_with_the_full_date() {
        one(
            "يوم الخميس 11 كانون الثاني 2019",
            "يوم الخميس 11 كانون الثاني 2019",
            Some("2019-01-11"),
        );
    }
}
