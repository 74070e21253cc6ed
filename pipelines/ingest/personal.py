"""The personal-data guard (DESIGN.md sections 1 and 7): no record about a person enters the warehouse.

Three screens, run on every table of a file before anything of it is written:
- headers: a column named for personal data in any of the five languages (seeds/personal_data_labels.csv:
  names, dates of birth, addresses, phones, e-mail, identity and case numbers, narratives), also when the
  label is wrapped in words about whom it concerns ("Name of child", "nom_victime", "الاسم الكامل");
- rows: a case-level file, one row per child (every count 1 together with a case identifier, repeated keys
  or single ages; or a column of dates that differ from row to row, such as dates of birth);
- free text: a cell or comment holding an e-mail address, a phone number (Google's libphonenumber, for the
  submitting country's numbering plan), a name in context ("the victim Amina W.", "s'appelle", "اسمها"),
  a date of birth, a street address; weaker signs (a full date, a single age, a person in the singular, a
  pair of capitalised names) count only together.
A file that fails the header or row screen, or whose data cells (other than comments) fail the text screen, is
refused as PERSONAL_DATA (level 0) and only its quarantined original is kept. A comment that fails the text
screen is withheld: the value is loaded and published without it, and the country's report says why. No
finding quotes what it found: it says where (sheet, row, column) and what kind of thing.

Hand-written patterns: no library here detects names in context in these five languages without a language
model, which cannot be downloaded at run time; phone numbers are libphonenumber's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from pipelines.quality.findings import Finding
from pipelines.reference import aliases, indicators, normalise_label, read_seed

RULE = "PERSONAL_DATA"
WITHHELD = "COMMENT_WITHHELD"
MIN_CASE_ROWS = 5   # fewer rows than this are too few to call a file case-level from its rows alone


# ---------------------------------------------------------------------------------------------- headers
def _words(text: str) -> str:
    # "e-mail" is one word, as "email" is: a one-word label matches only the whole header.
    return re.sub(r"(^| )e mail( |$)", r"\1email\2", normalise_label(text))


@lru_cache(maxsize=None)
def _labels() -> tuple[dict[str, dict[str, str]], dict[str, frozenset[str]]]:
    """(language -> {normalised label: kind}) for column, identifier and narrative labels, and
    (language -> qualifiers): the words that may stand around a one-word label ("name" of "child")."""
    labels: dict[str, dict[str, str]] = {}
    qualifiers: dict[str, set[str]] = {}
    for r in read_seed("personal_data_labels"):
        key = _words(r["label"])
        if r["kind"] == "qualifier":
            qualifiers.setdefault(r["language"], set()).add(key)
        else:
            labels.setdefault(r["language"], {})[key] = r["kind"]
    return labels, {lang: frozenset(q) for lang, q in qualifiers.items()}


def header_kind(header: str, known_columns: bool = True) -> str | None:
    """The kind of personal data a column header names (column, identifier, narrative), or None.

    A label of several words may be part of the header ("Child's date of birth"); a one-word label must be
    the whole header once the words of its own language about whom it concerns are set aside, so that
    "Indicator name", "Nombre de victimes" (French: number of victims) and "Telephone helpline contacts"
    are not mistaken for personal data, while "Name of child" and "nom_victime" are. A header that is one of
    the known column names is not personal data (French "Nombre" is the value column); the row screen then
    looks at what such a column holds (known_columns=False asks about the words alone)."""
    n = _words(header)
    if not n or (known_columns and normalise_label(header) in aliases("column")):
        return None
    labels, qualifiers = _labels()
    padded = f" {n} "
    tokens = n.split()
    for lang, by_label in labels.items():
        for lab, kind in by_label.items():
            if " " in lab and f" {lab} " in padded:
                return kind
        rest = " ".join(t for t in tokens if t not in qualifiers.get(lang, ()))
        if rest in by_label and " " not in rest:
            return by_label[rest]
    return None


def personal_data_columns(headers: list[str]) -> list[str]:
    """Headers naming personal data (see header_kind)."""
    return [h for h in headers if header_kind(h)]


# ---------------------------------------------------------------------------------------------- free text
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_CUE = re.compile(
    r"(?i)\b(?:tel|t[eé]l[eé]?phone|phone|mobile|cell|whats ?app|portable|tel[eé]fono|celular|m[oó]vil|telefone|"
    r"telem[oó]vel|contact)\b\.?\s*:?\s*\+?\d[\d\s().-]{5,}\d|(?:هاتف|جوال|موبايل|الهاتف)\s*:?\s*\+?[\d٠-٩][\d٠-٩\s-]{5,}")
_MONTHS = (r"january|february|march|april|may|june|july|august|september|october|november|december|"
           r"janvier|f[eé]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[eé]cembre|"
           r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
           r"janeiro|fevereiro|mar[cç]o|maio|junho|julho|setembro|outubro|novembro|dezembro|"
           r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_AR_MONTHS = "يناير|فبراير|مارس|أبريل|ابريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر"
_FULL_DATE = re.compile(
    r"(?i)\b(?:(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:19|20)\d\d"
    r"|(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/(?:19|20)\d\d"
    r"|(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    rf"|(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|er|º)?\s+(?:of\s+|de\s+)?(?:{_MONTHS})\.?\s+(?:de\s+)?(?:19|20)\d\d"
    rf"|(?:{_MONTHS})\.?\s+(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d)\b"
    rf"|\b\d{{1,2}}\s+(?:{_AR_MONTHS})\s+\d{{4}}")
_BIRTH = re.compile(r"(?i)\b(?:born|birth|d\.?o\.?b|n[ée]e?|naissance|nacid[oa]|nacimiento|nascid[oa]|nascimento)\b"
                    r"|ولد|ولدت|مواليد|الميلاد")
# Words institutions put after "Child", "Victim" and the like, capitalised: "Child Protection Unit" is no name.
_NOT_NAMES = frozenset(normalise_label(w) for w in (
    "Protection Welfare Services Service Helpline Line Online Sexual Abuse Exploitation Rights Care Court Courts "
    "Police Unit Units Department Directorate Division Office Act Law Laws Code Fund Justice Safeguarding Advocacy "
    "Centre Center Centres Development Affairs Support Labour Labor Trafficking Marriage Pornography Sex Victims "
    "Witness Friendly Desk Commission Ombudsman Agency Board Council Programme Program Data Statistics Survey Year "
    "Age Under Aged Female Male Girls Boys National Ministry Ministere Ministerio Tribunal Juzgado Fiscalia Policia "
    "Gendarmerie Brigade Unidad Unidade Direction Direccion Conselho Tutelar Defensoria Proteccion Protecao Enfance "
    "Infancia Ninez Adolescencia Infancia Juventude Juventud Sexual Sexuel Sexuelle Abus Abuso Violence Violencia "
    "Violencia Maltrato Maltraitance Exploitation Explotacion Exploracao Material Materials Images Content CSAM "
    "Grooming Sextortion Report Reports Reporting Hotline Database Register Registry Portal System Systems Strategy "
    "Plan Policy Framework Task Force Team Network Alliance Foundation Trust International Global Regional "
    "Federal State County District Province Region The And Of In For On At To A An Le La Les De Des Du El Los Las "
    "Del Da Do Dos Das Et Y E Ou O Or Services Social Sociale Social Health Sante Salud Saude Education Family "
    "Families Famille Familia Youth Jeunesse Mineurs Menores Act Acts Article Section Chapter Annex Table Figure "
    "Note Notes Source Sources Total Totals Unknown Not Known Stated Other Others Case Cases File Files Number "
    "Criminal Investigation Investigations Investigative Human Humanos Derechos Direitos Civil Cidadania "
    "Public Publique Publica Security Securite Seguridad Seguranca Interior Interieur Internal General").split())
_PERSON_NOUNS = (r"victim|child|girl|boy|daughter|son|sister|brother|minor|pupil|student|teenager|baby|infant|"
                 r"victime|enfant|fille|gar[cç]on|fillette|mineure?|[eé]l[eè]ve|adolescente?|b[eé]b[eé]|"
                 r"v[ií]ctima|ni[nñ]a|ni[nñ]o|menor|hija|hijo|alumn[ao]|adolescente|beb[eé]|"
                 r"v[ií]tima|crian[cç]a|menina|menino|filha|filho|alun[ao]")
_NAME = r"([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’-]+|[A-Z]\.)"
_NAME_CUE = re.compile(
    rf"(?:(?i:\b(?:named|called|name is|name was|known as|nomm[ée]e?|appel[ée]e?|s['’]appelle|pr[ée]nomm[ée]e?|"
    rf"d[ée]nomm[ée]e?|llamad[oa]|se llama|de nombre|apodad[oa]|chamad[oa]|de nome|conhecid[oa] como)\b)"
    rf"|\b(?:Mr|Mrs|Ms|Miss|Mme|Mlle|Sr|Sra|Srta|Dr)\b\.?)\s+{_NAME}")
_NOUN_NAME = re.compile(rf"(?i:\b(?:{_PERSON_NOUNS})\b)\s*[,:]?\s+{_NAME}(?:\s+{_NAME})?")
_AR_NAME_CUE = re.compile(r"(?:اسمها|اسمه|المدعو|المدعوة|تدعى|يدعى|السيد|السيدة|الآنسة)\s+\S+")
_ADDRESS = re.compile(
    r"\b\d{1,5}[a-zA-Z]?,?\s+(?:[A-Z][\w'’-]*\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Close|Crescent|"
    r"Boulevard|Blvd|Estate)\b"
    r"|(?i:\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|boulevard|bd|impasse|all[ée]e|chemin|route)\s+\w+)"
    r"|(?i:\b(?:calle|avenida|avda|carrera|pasaje|rua|travessa|alameda|estrada)\s+[^\W\d_][\w\s.]{1,40}?,?\s*"
    r"(?:n[º°o.]*\s*)?\d{1,5}\b)"
    r"|(?i:\b(?:p\.?\s?o\.?\s?box|b\.?p\.?|caixa postal|apartado(?: postal)?)\s*\d+)"
    r"|(?:شارع|ص\.\s?ب|صندوق بريد)\s*\S+")
# An age of one person, not the end of a range ("15 à 17 ans", "entre 14 e 17 anos").
_NOT_RANGE = r"(?<! à )(?<! a )(?<! e )(?<! y )(?<! to )(?<! and )(?<!- )(?<!-)(?<!– )(?<!–)"
_SINGLE_AGE = re.compile(
    rf"(?i){_NOT_RANGE}\b\d{{1,2}}[- ]?(?:year|yr)s?[- ]old\b|\baged?\s+\d{{1,2}}\b(?!\s*(?:to|-|–|and|or|\+))|"
    rf"{_NOT_RANGE}\b\d{{1,2}}\s+(?:ans|años|anos)\b(?!\s*(?:et|y|e|à|a)\s+\d)|(?:عمرها|عمره)\s*\d")
# The noun in lower case: "the Child Protection Unit" is an institution.
_SINGULAR_PERSON = re.compile(
    r"\b(?i:the|a|une?|la|le|l['’]|el|o)\s*(?:victim|child|girl|boy|victime|enfant|fille|gar[cç]on|v[ií]ctima|"
    r"ni[nñ]a|ni[nñ]o|v[ií]tima|crian[cç]a|menina|menino)\b|\b(?i:she|he|her|his|him|elle|ella|él|ela|ele)\b"
    r"|^(?:Victim|Child|Girl|Boy|Victime|Enfant|Fille|Fillette|Gar[cç]on|V[ií]ctima|Ni[nñ]a|Ni[nñ]o|V[ií]tima|"
    r"Crian[cç]a|Menina|Menino)\b|الطفلة|الضحية")
_CAPITAL_PAIR = re.compile(rf"\b{_NAME}\s+{_NAME}")


def _phones(text: str, region: str | None) -> bool:
    import phonenumbers

    if sum(c.isdigit() for c in text) < 7:
        return False
    try:
        return any(True for _ in phonenumbers.PhoneNumberMatcher(text, region or "ZZ",
                                                                 leniency=phonenumbers.Leniency.VALID))
    except Exception:   # libphonenumber on odd input: no finding rather than a crash
        return False


def _names(m: re.Match) -> bool:
    """A match of a name pattern holds a name: its capitalised words are not words institutions use."""
    words = [w for w in m.groups() if w]
    return bool(words) and all(normalise_label(w) not in _NOT_NAMES for w in words[:1])


@dataclass(frozen=True)
class TextScreen:
    strong: tuple[str, ...]    # each alone identifies a person
    weak: tuple[str, ...]      # together they do

    @property
    def personal(self) -> bool:
        # Two of a full date, a single age and a person in the singular; capitalised names (places,
        # institutions) count only beside a person or an age.
        person = {"a single age", "a person in the singular"} & set(self.weak)
        return bool(self.strong) or len(set(self.weak) - {"what looks like a name"}) >= 2 or (
            "what looks like a name" in self.weak and bool(person))

    def reasons(self) -> str:
        return ", ".join(dict.fromkeys(self.strong or self.weak))


def screen_text(text: str | None, region: str | None = None) -> TextScreen:
    """What in a free text identifies a person (see the module's docstring)."""
    if not text or len(text) < 5:
        return TextScreen((), ())
    strong, weak = [], []
    if "@" in text and _EMAIL.search(text):
        strong.append("an e-mail address")
    if _PHONE_CUE.search(text) or _phones(text, region):
        strong.append("a phone number")
    if any(_names(m) for m in _NAME_CUE.finditer(text)) or any(_names(m) for m in _NOUN_NAME.finditer(text)) \
            or _AR_NAME_CUE.search(text):
        strong.append("a person's name")
    dated = bool(_FULL_DATE.search(text))
    if dated and _BIRTH.search(text):
        strong.append("a date of birth")
    if _ADDRESS.search(text):
        strong.append("a street address")
    if dated:
        weak.append("a full date")
    if _SINGLE_AGE.search(text):
        weak.append("a single age")
    if _SINGULAR_PERSON.search(text):
        weak.append("a person in the singular")
    if any(all(normalise_label(w) not in _NOT_NAMES for w in m.groups()) for m in _CAPITAL_PAIR.finditer(text)):
        weak.append("what looks like a name")
    return TextScreen(tuple(strong), tuple(weak))


# ---------------------------------------------------------------------------------------------- the table
_ID = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9/_.:#-]{2,39}$")
_YEARISH = re.compile(r"^(19|20)\d\d$")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d([ T][\d:.]+)?")
_BARE_AGE = re.compile(r"(?i)^\s*\d{1,2}(\s*(years?|yrs?|ans|años|anos|سنة|سنوات))?\s*$")


def _iso2(country: str | None) -> str | None:
    """The country's ISO alpha-2 code: the region whose numbering plan libphonenumber reads numbers by."""
    if not country:
        return None
    return next((r["iso2"] for r in read_seed("ref_areas") if r["ref_area"] == country), None)


def _refusal(message: str, sheet, row=None, column=None) -> Finding:
    return Finding(rule_id=RULE, level=0, severity="error", sheet=sheet, row=row, column=column, message=(
        message + " Only aggregate counts may be sent: remove every column and every text about individual "
        "people and send totals per indicator, year and breakdown. The file has been quarantined and nothing "
        "from it was loaded."))


def _bool_indicator(label: str | None, country: str | None) -> bool:
    code = aliases("indicator", country).get(normalise_label(label), label)
    return (indicators().get(code) or {}).get("unit_measure") == "BOOL"


def _case_level(cm, block: list[list[str]], df: pd.DataFrame, country: str | None) -> Finding | None:
    """A file with one row per child rather than counts (see the module's docstring)."""
    if len(block) < MIN_CASE_ROWS:
        return None
    value_cols = {cm.fields.get("value"), *cm.year_columns, *cm.indicator_columns} - {None}
    # Dates that change from row to row (dates of birth, of an incident): never in a table of counts.
    for i, header in enumerate(cm.headers):
        if i in value_cols or i == cm.fields.get("time_period"):
            continue
        cells = [r[i].strip() for r in block if i < len(r)]
        dates = {c for c in set(cells) if _FULL_DATE.fullmatch(c) or _TIMESTAMP.fullmatch(c)}
        if len(dates) < MIN_CASE_ROWS:
            continue
        dated = sum(c in dates for c in cells)
        if dated * 2 >= len(block) and len(dates) * 2 >= dated:
            return _refusal(f"The column '{header}' holds a different full date on almost every row: dates about "
                            "individual people (of birth, of an incident) are personal data.", cm.sheet,
                            cm.header_row, header)
    numbers = df[df["value_state"] == "number"]
    boolean = {v for v in numbers["indicator_raw"].dropna().unique() if _bool_indicator(v, country)}
    numbers = numbers[~numbers["indicator_raw"].isin(boolean)]
    if len(numbers) < MIN_CASE_ROWS or not (numbers["value_num"] == 1).all():
        return None
    signs = []
    key = ["indicator_raw", "time_period_raw", "sex_raw", "age_raw", "offence_raw", "ref_area_raw"]
    if numbers.duplicated(key).sum() * 2 >= len(numbers):
        signs.append("the same breakdown repeated row after row")
    ages = [a for a in numbers["age_raw"] if a]
    if ages and sum(bool(_BARE_AGE.match(a)) for a in ages) * 2 >= len(ages):
        signs.append("single ages")
    mapped = set(cm.fields.values())
    for i, header in enumerate(cm.headers):
        if i in mapped or i in value_cols:
            continue
        cells = [r[i].strip() for r in block if i < len(r) and r[i].strip()]
        if (len(cells) * 10 >= 9 * len(block) and len(set(cells)) * 10 >= 9 * len(cells)
                and all(_ID.match(c) and not _YEARISH.match(c) for c in cells)):
            signs.append(f"an identifier on every row (column '{header}')")
            break
    if not signs:
        return None
    return _refusal(f"Every value is 1, with {' and '.join(signs)}: the file looks like one row per child "
                    "(case-level records), which are personal data.", cm.sheet)


def _names_as_values(cm, df: pd.DataFrame) -> Finding | None:
    """A value column whose header also means "name" (Spanish "Nombre", French "Nombre" = number) holding text."""
    col = cm.fields.get("value")
    if col is None or not header_kind(cm.headers[col], known_columns=False):
        return None
    text = int((df["value_state"] == "text").sum())
    if text >= 2 and text * 2 >= len(df):
        return _refusal(f"The column '{cm.headers[col]}' holds text rather than numbers and its header can mean a "
                        "person's name.", cm.sheet, cm.header_row, cm.headers[col])
    return None


def screen_table(table, cm, df: pd.DataFrame, country: str | None) -> tuple[pd.DataFrame, list[Finding]]:
    """Screen one table's records for personal data. Returns the records to load (comments that fail the screen
    set to none) and the findings: a PERSONAL_DATA error refuses the file; COMMENT_WITHHELD warnings say which
    comments were withheld and why."""
    if cm is None or not len(df):
        return df, []
    file_rows = sorted(df["file_row"].unique().tolist())
    block = [table.rows[r - 1] for r in file_rows]
    refused = _case_level(cm, block, df, country) or _names_as_values(cm, df)
    if refused:
        return df, [refused]
    region = _iso2(country)
    comment_col = cm.fields.get("comment")
    width = max(len(r) for r in block)
    # Data cells other than comments: each distinct text once (a file repeats its labels on every row).
    for i in range(width):
        if i in (comment_col, cm.fields.get("time_period")):
            continue
        texts = {r[i] for r in block if i < len(r)}
        for cell in texts:
            text = cell.strip()
            if not text or not (any(ch.isalpha() for ch in text) or sum(ch.isdigit() for ch in text) >= 7):
                continue
            s = screen_text(text, region)
            if s.strong:
                r = file_rows[next(n for n, row in enumerate(block) if i < len(row) and row[i] == cell)]
                header = cm.headers[i] if i < len(cm.headers) else None
                return df, [_refusal(f"Row {r}, column '{header}' holds what looks like personal data "
                                     f"({s.reasons()}).", cm.sheet, r, header)]
    if comment_col is None or df["comment_raw"].isna().all():
        return df, []
    findings: list[Finding] = []
    verdicts = {c: screen_text(c, region) for c in df["comment_raw"].dropna().unique()}
    bad = {c for c, s in verdicts.items() if s.personal}
    if not bad:
        return df, []
    df = df.copy()
    hit = df["comment_raw"].isin(bad)
    header = cm.headers[comment_col]
    for r, comment in df.loc[hit, ["file_row", "comment_raw"]].drop_duplicates("file_row").itertuples(index=False):
        findings.append(Finding(
            rule_id=WITHHELD, level=1, severity="warning", sheet=cm.sheet, row=int(r), column=header,
            message=(f"The comment in row {r} was withheld: it seems to hold personal data "
                     f"({verdicts[comment].reasons()}). It was neither loaded nor published; the values of the row "
                     "were published without it. A comment may explain the figures (a break in series, what is "
                     "counted) but must never describe a person: remove it from your file."),
        ))
    df["comment_raw"] = [None if h else c for c, h in zip(df["comment_raw"], hit)]
    return df, findings
