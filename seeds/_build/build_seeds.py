#!/usr/bin/env python3
"""Build the reference-data seeds (dbt seed CSV files) of the MNR Data Hub.

Run from anywhere:  python seeds/_build/build_seeds.py [--check]

Writes every CSV in ``seeds/`` from the hand-authored tables below plus two
build-time sources:

* ``pycountry``          ISO 3166-1 countries (codes, English names);
* ``country_converter``  UN M49 (sub-)regions; only its bundled data file
  ``country_data.tsv`` is read (no pandas), so it is a build-time tool only.

The content of ``indicators.csv`` follows the draft MNR indicator catalogue
(``research/domain.md`` section 4): every code and English name is kept exactly.
Output is deterministic: UTF-8, comma separated, LF line endings, minimal quoting,
rows sorted by their key.  ``--check`` rebuilds in memory and fails if a file on
disk differs (useful in CI).
"""

from __future__ import annotations

import argparse
import csv
import gettext
import importlib.util
import io
import re
import sys
import unicodedata
from pathlib import Path

import pycountry

SEEDS_DIR = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------------------
# 1. MNR domains and capabilities (domain.md section 1.2)
# --------------------------------------------------------------------------------------------

DOMAINS = [
    # domain_code, domain_name, outcome
    ("POLICY_GOVERNANCE", "Policy and Governance",
     "Highest level national commitment to CSEA prevention and response"),
    ("CRIMINAL_JUSTICE", "Criminal Justice",
     "Effective and successful CSEA investigations, convictions and offender management"),
    ("VICTIM", "Victim", "Appropriate support services for children and young people"),
    ("SOCIETAL", "Societal", "CSEA prevented"),
    ("INDUSTRY", "Industry",
     "Industry engagement in developing solutions to prevent and tackle CSEA"),
    ("MEDIA_COMMUNICATIONS", "Media and Communications",
     "Awareness raised among the public, professionals and policy makers"),
]

CAPABILITIES = [
    # capability, name, domain_code, outcome
    (1, "Leadership", "POLICY_GOVERNANCE",
     "An accountable national governance and Oversight Committee"),
    (2, "Research, Analysis and Monitoring", "POLICY_GOVERNANCE",
     "National situational analysis of CSEA risk and response; measurements/indicators"),
    (3, "Legislation", "POLICY_GOVERNANCE",
     "Comprehensive and effective legal framework to investigate offenders and ensure "
     "protection for victims"),
    (4, "Dedicated Law Enforcement", "CRIMINAL_JUSTICE",
     "National remit; trained officers; proactive and reactive investigations; "
     "victim-focused; international cooperation"),
    (5, "Judiciary and Prosecutors", "CRIMINAL_JUSTICE", "Trained; victim-focused"),
    (6, "Offender Management Process", "CRIMINAL_JUSTICE",
     "Prevent re-offending of those in the criminal justice system nationally and "
     "internationally"),
    (7, "Access to Image Databases", "CRIMINAL_JUSTICE",
     "National database; link to Interpol database (ICSE)"),
    (8, "End-to-end Support", "VICTIM",
     "Integrated services provided during investigation, prosecution and after-care"),
    (9, "Child Protection Workforce", "VICTIM",
     "Trained, coordinated and available to provide victim support"),
    (10, "Compensation, Remedies and Complaints Arrangements", "VICTIM",
     "Accessible procedures"),
    (11, "Child Helpline", "VICTIM",
     "Victim reporting and support; referrals to services for ongoing assistance"),
    (12, "CSEA Hotline", "SOCIETAL",
     "Mechanism for reporting online CSEA content; link to law enforcement and Internet "
     "service providers"),
    (13, "Education Programme", "SOCIETAL",
     "For children/young people; parents/carers; teachers; practitioners; faith "
     "representatives"),
    (14, "Child Participation", "SOCIETAL",
     "Children and young people enabled to influence CSEA policy and practice"),
    (15, "Offender Support Systems", "SOCIETAL",
     "Medical, psychological, self-help, awareness"),
    (16, "Takedown Procedures", "INDUSTRY",
     "Local removal and blocking of online CSEA content"),
    (17, "CSEA Reporting", "INDUSTRY",
     "Statutory protections that would allow industry to fully and effectively report "
     "CSEA, incl. transmission of content, to law enforcement or another designated agency"),
    (18, "Innovative Solution Development", "INDUSTRY",
     "Industry engagement to help address local CSEA issues"),
    (19, "Corporate Social Responsibility", "INDUSTRY", "Effective child-focused programme"),
    (20, "Ethical and Informed Media Reporting", "MEDIA_COMMUNICATIONS",
     "Enable awareness and accurate understanding of problem"),
    (21, "Universal Terminology", "MEDIA_COMMUNICATIONS",
     "Guidelines and application (Luxembourg Guidelines)"),
]

CAPABILITY_DOMAIN = {cap: dom for cap, _, dom, _ in CAPABILITIES}

# --------------------------------------------------------------------------------------------
# 2. Indicator catalogue (domain.md section 4)
# --------------------------------------------------------------------------------------------
# Each entry: code, English name (exact), is_extension, capabilities (first = primary), type,
# unit (plain words), disaggregations (subset of SEX/AGE/OFF), description,
# {fr, es, pt, ar: translated name}, [extra aliases as (language, alias)].

UNIT_MEASURE = {
    "reports": "NUMBER", "cases": "NUMBER", "offences": "NUMBER", "contacts": "NUMBER",
    "URLs": "NUMBER", "awards": "NUMBER", "companies": "NUMBER", "sectors": "NUMBER",
    "persons": "PERSONS", "children": "PERSONS", "FTE": "PERSONS",
    "%": "PCNT", "per 100,000": "RATE_100000", "hours": "HOURS", "days": "DAYS",
    "0/1": "BOOL", "category": "CODE", "year": "YEAR", "currency": "USD",
}

CATEGORIES = {
    # indicator_code: [category codes in catalogue order]; value = position (0-based)
    "PG_NATIONAL_STRATEGY": ["NONE", "DRAFT", "STANDALONE", "WITHIN_VAC_PLAN"],
    "PG_TREATY_STATUS": ["NOT_SIGNED", "SIGNED", "RATIFIED"],
    "VS_HELPLINE_STATUS": ["NONE", "LIMITED_HOURS", "24_7_FREE"],
    "SO_HOTLINE_STATUS": ["NONE", "REPORTING_PORTAL", "HOTLINE", "INHOPE_MEMBER"],
    "MC_MEDIA_GUIDELINES": ["NONE", "CODE_OF_CONDUCT", "GUIDELINES", "REGULATOR", "LEGISLATION"],
}
ORDINALS = {
    # indicator_code: [(value, code, label)]
    "PG_MNR_MATURITY": [(1, "BUILDING", "Building"), (2, "DEVELOPING", "Developing"),
                        (3, "ESTABLISHED", "Established"), (4, "MATURITY", "Maturity")],
}
CATEGORY_LABELS = {
    ("PG_NATIONAL_STRATEGY", "NONE"): "No national strategy or action plan",
    ("PG_NATIONAL_STRATEGY", "DRAFT"): "Draft strategy or action plan",
    ("PG_NATIONAL_STRATEGY", "STANDALONE"): "Adopted standalone OCSEA strategy or action plan",
    ("PG_NATIONAL_STRATEGY", "WITHIN_VAC_PLAN"):
        "OCSEA covered within a violence-against-children plan",
    ("PG_TREATY_STATUS", "NOT_SIGNED"): "Not signed",
    ("PG_TREATY_STATUS", "SIGNED"): "Signed, not ratified",
    ("PG_TREATY_STATUS", "RATIFIED"): "Ratified or acceded",
    ("VS_HELPLINE_STATUS", "NONE"): "No national child helpline",
    ("VS_HELPLINE_STATUS", "LIMITED_HOURS"): "Helpline with limited hours or not free of charge",
    ("VS_HELPLINE_STATUS", "24_7_FREE"): "Helpline open 24/7 and free of charge",
    ("SO_HOTLINE_STATUS", "NONE"): "No CSAM reporting mechanism",
    ("SO_HOTLINE_STATUS", "REPORTING_PORTAL"): "Reporting portal (e.g. IWF portal)",
    ("SO_HOTLINE_STATUS", "HOTLINE"): "National hotline, not an INHOPE member",
    ("SO_HOTLINE_STATUS", "INHOPE_MEMBER"): "National hotline that is an INHOPE member",
    ("MC_MEDIA_GUIDELINES", "NONE"): "None",
    ("MC_MEDIA_GUIDELINES", "CODE_OF_CONDUCT"): "Code of conduct",
    ("MC_MEDIA_GUIDELINES", "GUIDELINES"): "Guidelines",
    ("MC_MEDIA_GUIDELINES", "REGULATOR"): "Regulatory structure",
    ("MC_MEDIA_GUIDELINES", "LEGISLATION"): "Legislation",
}

# Year-on-year change tolerance (percent).  Brief: criminal-justice counts 50, industry /
# hotline / NCMEC volumes 200, CTX_CHILD_POP 10, none for binary/categorical/ordinal/year.
# Choices for the remaining types are ours (see README).
YOY_BY_CODE = {
    "CTX_CHILD_POP": 10,
    "CJ_NCMEC_REFERRALS_RECEIVED": 200,
    "SO_HOTLINE_REPORTS": 200,
    "SO_HOTLINE_CSAM_CONFIRMED": 200,
    "IN_DOMESTIC_ESP_REPORTS": 200,
    "IN_COMPANIES_HASH_MATCHING": 200,
    "VS_HELPLINE_CONTACTS_CSEA": 100,
    "SO_PREVENTION_CONTACTS": 100,
    "PG_GOV_BODY_SECTORS": 100,
}
YOY_BY_TYPE = {"count": 50, "rate": 50, "pct": 100, "duration": 100, "amount": 100}

# Counts of persons/children that are about children: protected by small-cell suppression.
CHILD_PERSON_COUNTS = {
    "CJ_VICTIMS_IDENTIFIED", "CJ_VICTIMS_IDENTIFIED_ICSE", "VS_VICTIMS_REFERRED",
    "VS_VICTIMS_SUPPORTED", "VS_HELPLINE_CONTACTS_CSEA", "VS_COMPENSATION_AWARDS",
}
RESTRICTED = {"PG_MNR_MATURITY"}
REQUIRED_FLAG = {
    "PG_GOV_BODY_SECTORS": "PG_GOV_BODY",
    "CJ_UNIT_FTE": "CJ_SPECIALISED_UNIT",
    "CJ_REGISTERED_OFFENDERS": "CJ_OFFENDER_REGISTER",
    "VS_COMPENSATION_AWARDS": "VS_COMPENSATION_SCHEME",
    "SO_PREVENTION_CONTACTS": "SO_PREVENTION_SERVICE",
}
BOUNDS_BY_CODE = {"PG_GOV_BODY_SECTORS": (0, 11)}

# Common French/Spanish/Portuguese/Arabic terms used below:
#   CSEA  = exploitation et abus sexuels d'enfants / explotación y abuso sexual infantil /
#           exploração e abuso sexual infantil / الاستغلال والاعتداء الجنسي على الأطفال
#   CSAM  = matériel d'abus sexuels sur enfants / material de abuso sexual infantil /
#           material de abuso sexual infantil / مواد الاعتداء الجنسي على الأطفال

INDICATORS = [
    # ---------------- Context / denominators ----------------
    dict(code="CTX_CHILD_POP", name="Child population 0–17", ext=False, caps=(2,),
         type="count", unit="persons", dis=("SEX", "AGE"),
         desc="Resident population aged 0-17 (NSO or UN WPP); must be above 0, age bands must "
              "sum to the total, and a year-on-year change beyond 10% is flagged.",
         fr="Population d'enfants de 0 à 17 ans", es="Población infantil de 0 a 17 años",
         pt="População infantil dos 0 aos 17 anos",
         ar="عدد السكان من الأطفال (0–17 سنة)",
         more=[("en", "Child population"), ("en", "Children 0-17"), ("en", "Population 0-17"),
               ("fr", "Population enfantine"), ("es", "Población infantil"),
               ("pt", "População infantil"), ("ar", "السكان الأطفال")]),
    dict(code="CTX_CHILD_INTERNET_PCT", name="% of children using the internet", ext=False,
         caps=(2,), type="pct", unit="%", dis=("SEX", "AGE"),
         desc="Share of children using the internet from a survey such as Disrupting Harm or "
              "ITU data; between 0 and 100.",
         fr="% d'enfants utilisant Internet",
         es="% de niños, niñas y adolescentes que usan Internet",
         pt="% de crianças que utilizam a internet",
         ar="نسبة الأطفال الذين يستخدمون الإنترنت",
         more=[("en", "Children using the internet")]),
    dict(code="CTX_SDG_16_2_3",
         name="% of young people 18–29 who experienced sexual violence by 18", ext=False,
         caps=(2,), type="pct", unit="%", dis=("SEX",),
         desc="SDG indicator 16.2.3 from a household survey; a percentage between 0 and 100 "
              "(never a count) with the survey name and age band recorded.",
         fr="% de jeunes de 18 à 29 ans ayant subi des violences sexuelles avant 18 ans",
         es="% de jóvenes de 18 a 29 años que sufrieron violencia sexual antes de los 18 años",
         pt="% de jovens dos 18 aos 29 anos que sofreram violência sexual antes dos 18 anos",
         ar="نسبة الشباب من 18 إلى 29 سنة الذين تعرضوا للعنف الجنسي قبل سن 18",
         more=[("en", "SDG 16.2.3"), ("fr", "ODD 16.2.3"), ("es", "ODS 16.2.3"),
               ("ar", "مؤشر أهداف التنمية المستدامة 16.2.3")]),
    dict(code="CTX_OCSEA_PAST_YEAR_PCT",
         name="% of internet-using 12–17s subjected to OCSEA in past year", ext=False,
         caps=(2,), type="pct", unit="%", dis=("SEX", "AGE"),
         desc="Past-year OCSEA among internet-using children aged 12-17 from a Disrupting "
              "Harm style survey; between 0 and 100 with plausible values of about 0.5 to 25.",
         fr="% d'enfants de 12 à 17 ans utilisant Internet victimes d'exploitation et d'abus "
            "sexuels en ligne au cours de l'année écoulée",
         es="% de adolescentes de 12 a 17 años usuarios de Internet que sufrieron explotación "
            "y abuso sexual en línea en el último año",
         pt="% de crianças dos 12 aos 17 anos utilizadoras da internet que sofreram exploração "
            "e abuso sexual online no último ano",
         ar="نسبة الأطفال مستخدمي الإنترنت من 12 إلى 17 سنة الذين تعرضوا للاستغلال والاعتداء "
            "الجنسي عبر الإنترنت خلال العام الماضي",
         more=[("en", "OCSEA past year prevalence")]),
    # ---------------- Domain 1: Policy and Governance ----------------
    dict(code="PG_GOV_BODY",
         name="National multi-stakeholder CSEA governance/oversight body exists", ext=False,
         caps=(1,), type="binary", unit="0/1", dis=(),
         desc="1 if a national multi-stakeholder body oversees the CSEA response; if 1 its "
              "year of establishment must not be after the reference year.",
         fr="Existence d'un organe national multipartite de gouvernance ou de supervision de "
            "la lutte contre l'exploitation et les abus sexuels d'enfants",
         es="Existe un órgano nacional multisectorial de gobernanza o supervisión sobre "
            "explotación y abuso sexual infantil",
         pt="Existe um órgão nacional multissetorial de governação ou supervisão sobre "
            "exploração e abuso sexual infantil",
         ar="وجود هيئة وطنية متعددة الأطراف لحوكمة أو رقابة مكافحة الاستغلال والاعتداء الجنسي "
            "على الأطفال",
         more=[("en", "Governance body"), ("en", "Oversight body")]),
    dict(code="PG_GOV_BODY_SECTORS",
         name="Sectors represented on the body (of: interior, justice, social welfare, "
              "education, health, telecom, LE, judiciary, NGO, ICT industry, faith-based)",
         ext=True, caps=(1,), type="count", unit="sectors", dis=(),
         desc="Number of the 11 listed sectors represented on the governance body; 0 to 11 and "
              "a value above 0 requires PG_GOV_BODY = 1.",
         fr="Secteurs représentés au sein de l'organe", es="Sectores representados en el órgano",
         pt="Setores representados no órgão", ar="القطاعات الممثلة في الهيئة",
         more=[("en", "Sectors represented")]),
    dict(code="PG_NATIONAL_STRATEGY", name="National OCSEA strategy / action plan", ext=False,
         caps=(1,), type="categorical", unit="category", dis=(),
         desc="Status of the national OCSEA strategy coded NONE, DRAFT, STANDALONE or "
              "WITHIN_VAC_PLAN.",
         fr="Stratégie / plan d'action national contre l'exploitation et les abus sexuels "
            "d'enfants en ligne",
         es="Estrategia / plan de acción nacional contra la explotación y el abuso sexual "
            "infantil en línea",
         pt="Estratégia / plano de ação nacional contra a exploração e o abuso sexual infantil "
            "online",
         ar="الاستراتيجية / خطة العمل الوطنية لمكافحة الاستغلال والاعتداء الجنسي على الأطفال "
            "عبر الإنترنت",
         more=[("en", "National strategy"), ("en", "National action plan"),
               ("fr", "Stratégie nationale"), ("es", "Estrategia nacional"),
               ("pt", "Estratégia nacional"), ("ar", "الاستراتيجية الوطنية")]),
    dict(code="PG_SITUATION_ANALYSIS_YEAR",
         name="Year of latest national CSEA threat/situation assessment", ext=False,
         caps=(2,), type="year", unit="year", dis=(),
         desc="Year of the latest national CSEA threat or situation assessment; not after the "
              "reference year and flagged when more than 5 years old.",
         fr="Année de la dernière évaluation nationale de la menace ou de la situation en "
            "matière d'exploitation et d'abus sexuels d'enfants",
         es="Año de la última evaluación nacional de amenazas o de situación sobre explotación "
            "y abuso sexual infantil",
         pt="Ano da última avaliação nacional de ameaça ou de situação sobre exploração e abuso "
            "sexual infantil",
         ar="سنة آخر تقييم وطني للتهديدات أو للوضع المتعلق بالاستغلال والاعتداء الجنسي على "
            "الأطفال",
         more=[("en", "Situation analysis year")]),
    dict(code="PG_MNR_MATURITY", name="Self-assessed MNR maturity phase per capability",
         ext=False, caps=(2,), type="ordinal", unit="category", dis=(),
         desc="Self-assessed maturity phase from 1 (building) to 4 (maturity) for each of the 21 "
              "capabilities; restricted data that is never published per country or ranked.",
         fr="Phase de maturité MNR autoévaluée par capacité",
         es="Fase de madurez del MNR autoevaluada por capacidad",
         pt="Fase de maturidade do MNR autoavaliada por capacidade",
         ar="مرحلة النضج في النموذج الوطني للاستجابة حسب التقييم الذاتي لكل قدرة",
         more=[("en", "MNR maturity"), ("en", "Maturity phase")]),
    dict(code="PG_BUDGET_OCSEA", name="Dedicated public budget for OCSEA response", ext=False,
         caps=(1,), type="amount", unit="currency", dis=(),
         desc="Public budget dedicated to the OCSEA response; 0 or more with the currency code "
              "given (harmonised in USD).",
         fr="Budget public dédié à la lutte contre l'exploitation et les abus sexuels d'enfants "
            "en ligne",
         es="Presupuesto público específico para la respuesta a la explotación y el abuso "
            "sexual infantil en línea",
         pt="Orçamento público dedicado à resposta à exploração e ao abuso sexual infantil "
            "online",
         ar="الميزانية العامة المخصصة للتصدي للاستغلال والاعتداء الجنسي على الأطفال عبر الإنترنت",
         more=[("en", "OCSEA budget")]),
    dict(code="PG_LAW_CSAM_SPECIFIC", name="Legislation specifically addresses CSAM (ICMEC 1)",
         ext=False, caps=(3,), type="binary", unit="0/1", dis=(),
         desc="1 if legislation specifically addresses child sexual abuse material; give the "
              "legal citation.",
         fr="La législation traite spécifiquement du matériel d'abus sexuels sur enfants "
            "(ICMEC 1)",
         es="La legislación aborda específicamente el material de abuso sexual infantil "
            "(ICMEC 1)",
         pt="A legislação trata especificamente do material de abuso sexual infantil (ICMEC 1)",
         ar="التشريع يتناول تحديدًا مواد الاعتداء الجنسي على الأطفال (ICMEC 1)",
         more=[("en", "CSAM legislation")]),
    dict(code="PG_LAW_CSAM_DEFINED", name="Law defines CSAM (ICMEC 2)", ext=False, caps=(3,),
         type="binary", unit="0/1", dis=(),
         desc="1 if the law defines child sexual abuse material; a 1 implies "
              "PG_LAW_CSAM_SPECIFIC = 1.",
         fr="La loi définit le matériel d'abus sexuels sur enfants (ICMEC 2)",
         es="La ley define el material de abuso sexual infantil (ICMEC 2)",
         pt="A lei define o material de abuso sexual infantil (ICMEC 2)",
         ar="القانون يعرّف مواد الاعتداء الجنسي على الأطفال (ICMEC 2)",
         more=[("en", "CSAM defined in law")]),
    dict(code="PG_LAW_TECH_FACILITATED",
         name="Technology-facilitated CSAM offences criminalised (ICMEC 3)", ext=False,
         caps=(3,), type="binary", unit="0/1", dis=(),
         desc="1 if technology-facilitated CSAM offences are criminalised.",
         fr="Infractions liées au matériel d'abus sexuels sur enfants facilitées par la "
            "technologie incriminées (ICMEC 3)",
         es="Tipificación de los delitos de material de abuso sexual infantil facilitados por "
            "la tecnología (ICMEC 3)",
         pt="Crimes de material de abuso sexual infantil facilitados pela tecnologia "
            "criminalizados (ICMEC 3)",
         ar="تجريم جرائم مواد الاعتداء الجنسي على الأطفال المرتكبة بواسطة التكنولوجيا (ICMEC 3)",
         more=[]),
    dict(code="PG_LAW_SIMPLE_POSSESSION",
         name="Knowing possession criminalised regardless of intent to distribute (ICMEC 4)",
         ext=False, caps=(3,), type="binary", unit="0/1", dis=(),
         desc="1 if knowing possession of CSAM is a crime even without intent to distribute.",
         fr="Détention en connaissance de cause incriminée indépendamment de l'intention de "
            "diffuser (ICMEC 4)",
         es="Tipificación de la posesión a sabiendas con independencia de la intención de "
            "distribuir (ICMEC 4)",
         pt="Posse consciente criminalizada independentemente da intenção de distribuir "
            "(ICMEC 4)",
         ar="تجريم الحيازة عن علم بصرف النظر عن نية التوزيع (ICMEC 4)",
         more=[("en", "Simple possession criminalised")]),
    dict(code="PG_LAW_GROOMING",
         name="Online grooming / solicitation criminalised (ICCS 030223; Lanzarote art. 23)",
         ext=False, caps=(3,), type="binary", unit="0/1", dis=(),
         desc="1 if online grooming or solicitation of children for sexual purposes is "
              "criminalised.",
         fr="Pédopiégeage / sollicitation d'enfants en ligne incriminé (ICCS 030223 ; "
            "Lanzarote art. 23)",
         es="Tipificación del grooming / solicitación de niños en línea (ICCS 030223; "
            "Lanzarote art. 23)",
         pt="Aliciamento / solicitação de crianças online criminalizado (ICCS 030223; "
            "Lanzarote art. 23)",
         ar="تجريم استدراج الأطفال أو إغوائهم عبر الإنترنت (ICCS 030223؛ اتفاقية لانزاروت، "
            "المادة 23)",
         more=[("en", "Grooming law"), ("en", "Grooming criminalised")]),
    dict(code="PG_LAW_CHILD_UNDER18",
         name="\"Child\" = under 18 for CSAM, regardless of age of consent", ext=False,
         caps=(3, 21), type="binary", unit="0/1", dis=(),
         desc="1 if the law treats everyone under 18 as a child for CSAM offences whatever the "
              "age of sexual consent.",
         fr="« Enfant » = moins de 18 ans pour le matériel d'abus sexuels, quel que soit l'âge "
            "du consentement",
         es="«Niño» = menor de 18 años a efectos del material de abuso sexual, "
            "independientemente de la edad de consentimiento",
         pt="«Criança» = menor de 18 anos para efeitos de material de abuso sexual, "
            "independentemente da idade de consentimento",
         ar="«الطفل» = كل من هو دون 18 سنة في ما يخص مواد الاعتداء الجنسي، بصرف النظر عن سن "
            "الرضا",
         more=[("en", "Child defined as under 18")]),
    dict(code="PG_TREATY_STATUS", name="Status of OPSC, Lanzarote, Budapest conventions",
         ext=False, caps=(3,), type="categorical", unit="category", dis=(),
         desc="Treaty status per convention coded NOT_SIGNED, SIGNED or RATIFIED (incl. "
              "acceded); the ratification year must not be after the reference year.",
         fr="Statut du Protocole facultatif (OPSC) et des conventions de Lanzarote et de "
            "Budapest",
         es="Situación del Protocolo Facultativo (OPSC) y de los convenios de Lanzarote y "
            "Budapest",
         pt="Situação do Protocolo Facultativo (OPSC) e das convenções de Lanzarote e "
            "Budapeste",
         ar="وضع البروتوكول الاختياري (OPSC) واتفاقيتي لانزاروت وبودابست",
         more=[("en", "Treaty status"), ("fr", "Statut des traités"),
               ("es", "Estado de los tratados"), ("pt", "Situação dos tratados")]),
    # ---------------- Domain 2: Criminal Justice ----------------
    dict(code="CJ_SPECIALISED_UNIT", name="Dedicated national CSEA law-enforcement unit",
         ext=False, caps=(4,), type="binary", unit="0/1", dis=(),
         desc="1 if a dedicated national law-enforcement unit for CSEA exists.",
         fr="Unité nationale spécialisée des services répressifs contre l'exploitation et les "
            "abus sexuels d'enfants",
         es="Unidad policial nacional especializada en explotación y abuso sexual infantil",
         pt="Unidade policial nacional especializada em exploração e abuso sexual infantil",
         ar="وحدة وطنية متخصصة لإنفاذ القانون في مجال الاستغلال والاعتداء الجنسي على الأطفال",
         more=[("en", "Specialised unit"), ("en", "Specialized unit"),
               ("fr", "Unité spécialisée"), ("es", "Unidad especializada"),
               ("pt", "Unidade especializada")]),
    dict(code="CJ_UNIT_FTE", name="Investigators in dedicated unit(s)", ext=False, caps=(4,),
         type="count", unit="FTE", dis=(),
         desc="Full-time-equivalent investigators in the dedicated unit(s); 0 or more and a "
              "value above 0 requires CJ_SPECIALISED_UNIT = 1.",
         fr="Enquêteurs au sein de la ou des unités spécialisées",
         es="Investigadores en las unidades especializadas",
         pt="Investigadores nas unidades especializadas",
         ar="المحققون في الوحدات المتخصصة",
         more=[("en", "Unit FTE"), ("en", "Investigators"), ("en", "Investigators FTE")]),
    dict(code="CJ_REPORTS_RECEIVED", name="OCSEA reports/referrals received by LE", ext=False,
         caps=(4,), type="count", unit="reports", dis=("OFF",),
         desc="OCSEA reports and referrals received by law enforcement from all sources; "
              "expected to be at least CJ_CASES_OPENED.",
         fr="Signalements et saisines pour exploitation et abus sexuels d'enfants en ligne reçus "
            "par les services répressifs",
         es="Denuncias y remisiones por explotación y abuso sexual infantil en línea recibidas "
            "por la policía",
         pt="Denúncias e encaminhamentos por exploração e abuso sexual infantil online "
            "recebidos pela polícia",
         ar="البلاغات والإحالات المتعلقة بالاستغلال والاعتداء الجنسي على الأطفال عبر الإنترنت "
            "التي تلقتها جهات إنفاذ القانون",
         more=[("en", "Reports received"), ("en", "Referrals received"),
               ("fr", "Signalements reçus"), ("es", "Denuncias recibidas"),
               ("pt", "Denúncias recebidas"), ("ar", "البلاغات الواردة")]),
    dict(code="CJ_NCMEC_REFERRALS_RECEIVED", name="CyberTipline referrals received nationally",
         ext=False, caps=(4, 17), type="count", unit="reports", dis=(),
         desc="NCMEC CyberTipline referrals received by national law enforcement; should not "
              "exceed NCMEC's published count for the country and year (allowing for "
              "revisions).",
         fr="Signalements de la CyberTipline reçus au niveau national",
         es="Reportes de la CyberTipline recibidos a nivel nacional",
         pt="Denúncias da CyberTipline recebidas a nível nacional",
         ar="إحالات CyberTipline المستلمة على المستوى الوطني",
         more=[("en", "NCMEC referrals"), ("en", "CyberTipline referrals"),
               ("en", "CyberTipline reports"), ("en", "NCMEC reports")]),
    dict(code="CJ_CASES_OPENED", name="OCSEA investigations/cases opened", ext=False,
         caps=(4,), type="count", unit="cases", dis=("OFF",),
         desc="OCSEA investigations or cases opened by law enforcement; expected not to exceed "
              "CJ_REPORTS_RECEIVED.",
         fr="Enquêtes et affaires d'exploitation et d'abus sexuels d'enfants en ligne ouvertes",
         es="Investigaciones y casos de explotación y abuso sexual infantil en línea abiertos",
         pt="Investigações e casos de exploração e abuso sexual infantil online abertos",
         ar="التحقيقات والقضايا المفتوحة المتعلقة بالاستغلال والاعتداء الجنسي على الأطفال عبر "
            "الإنترنت",
         more=[("en", "Cases opened"), ("en", "Investigations opened"),
               ("fr", "Affaires ouvertes"), ("fr", "Enquêtes ouvertes"),
               ("es", "Casos abiertos"), ("pt", "Casos abertos"),
               ("ar", "القضايا المفتوحة")]),
    dict(code="CJ_OFFENCES_RECORDED", name="Police-recorded offences (UN-CTS compatible)",
         ext=False, caps=(4,), type="count", unit="offences", dis=("OFF",),
         desc="Offences recorded by the police using UN-CTS compatible ICCS categories; a rate "
              "per 100,000 children is derived from CTX_CHILD_POP.",
         fr="Infractions enregistrées par la police (compatibles UN-CTS)",
         es="Delitos registrados por la policía (compatibles con UN-CTS)",
         pt="Crimes registados pela polícia (compatíveis com UN-CTS)",
         ar="الجرائم المسجلة لدى الشرطة (متوافقة مع UN-CTS)",
         more=[("en", "Offences recorded"), ("en", "Recorded offences"),
               ("en", "Offenses recorded"), ("en", "Recorded offenses"),
               ("fr", "Infractions enregistrées"), ("es", "Delitos registrados"),
               ("pt", "Crimes registados"), ("pt", "Crimes registrados"),
               ("ar", "الجرائم المسجلة")]),
    dict(code="CJ_SUSPECTS_ARRESTED", name="Persons arrested/charged for OCSEA", ext=False,
         caps=(4,), type="count", unit="persons", dis=("SEX", "AGE", "OFF"),
         desc="Persons arrested or charged for OCSEA offences (age as adult or juvenile); 0 or "
              "more.",
         fr="Personnes arrêtées ou mises en cause pour exploitation et abus sexuels d'enfants "
            "en ligne",
         es="Personas detenidas o imputadas por explotación y abuso sexual infantil en línea",
         pt="Pessoas detidas ou acusadas por exploração e abuso sexual infantil online",
         ar="الأشخاص الموقوفون أو المتهمون في جرائم الاستغلال والاعتداء الجنسي على الأطفال عبر "
            "الإنترنت",
         more=[("en", "Suspects arrested"), ("en", "Arrests"), ("en", "Persons arrested"),
               ("fr", "Suspects arrêtés"), ("fr", "Personnes arrêtées"),
               ("es", "Sospechosos detenidos"), ("es", "Personas detenidas"),
               ("pt", "Suspeitos detidos"), ("pt", "Pessoas detidas"),
               ("ar", "المشتبه بهم الموقوفون")]),
    dict(code="CJ_VICTIMS_IDENTIFIED", name="Child victims identified/safeguarded", ext=False,
         caps=(3, 4), type="count", unit="children", dis=("SEX", "AGE", "OFF"),
         desc="Child victims identified or safeguarded (ages under 18 only); one of the MNR "
              "minimum effectiveness measures.",
         fr="Enfants victimes identifiés ou mis en sécurité",
         es="Niños, niñas y adolescentes víctimas identificados o protegidos",
         pt="Crianças vítimas identificadas ou protegidas",
         ar="الأطفال الضحايا الذين جرى تحديد هويتهم أو حمايتهم",
         more=[("en", "Victims identified"), ("en", "Child victims identified"),
               ("fr", "Victimes identifiées"), ("es", "Víctimas identificadas"),
               ("pt", "Vítimas identificadas"), ("ar", "الضحايا الذين تم تحديد هويتهم")]),
    dict(code="CJ_ICSE_CONNECTED", name="Connected to INTERPOL ICSE database", ext=False,
         caps=(7,), type="binary", unit="0/1", dis=(),
         desc="1 if the country is connected to INTERPOL's ICSE database; this requires "
              "CJ_SPECIALISED_UNIT = 1 and PG_LAW_CSAM_SPECIFIC = 1.",
         fr="Connexion à la base de données ICSE d'INTERPOL",
         es="Conexión a la base de datos ICSE de INTERPOL",
         pt="Ligação à base de dados ICSE da INTERPOL",
         ar="الاتصال بقاعدة بيانات الإنتربول ICSE",
         more=[("en", "ICSE connected"), ("en", "ICSE connection")]),
    dict(code="CJ_NATIONAL_IMAGE_DB", name="National CSAM image/hash database in use",
         ext=False, caps=(7,), type="binary", unit="0/1", dis=(),
         desc="1 if a national CSAM image or hash database is in use.",
         fr="Base nationale d'images ou d'empreintes de matériel d'abus sexuels sur enfants "
            "en service",
         es="Base de datos nacional de imágenes o hashes de material de abuso sexual infantil "
            "en uso",
         pt="Base de dados nacional de imagens ou hashes de material de abuso sexual infantil "
            "em uso",
         ar="قاعدة بيانات وطنية للصور أو البصمات الرقمية لمواد الاعتداء الجنسي على الأطفال قيد "
            "الاستخدام",
         more=[("en", "National image database")]),
    dict(code="CJ_VICTIMS_IDENTIFIED_ICSE",
         name="Victims identified using ICSE/national image DB", ext=False, caps=(7,),
         type="count", unit="children", dis=("SEX", "AGE"),
         desc="Child victims identified using ICSE or the national image database; expected "
              "not to exceed CJ_VICTIMS_IDENTIFIED for the same year.",
         fr="Victimes identifiées grâce à ICSE ou à la base nationale d'images",
         es="Víctimas identificadas mediante ICSE o la base nacional de imágenes",
         pt="Vítimas identificadas através do ICSE ou da base nacional de imagens",
         ar="الضحايا الذين تم تحديد هويتهم باستخدام ICSE أو قاعدة الصور الوطنية",
         more=[("en", "Victims identified (ICSE)"), ("en", "ICSE victims identified")]),
    dict(code="CJ_PROSECUTIONS", name="Persons prosecuted for OCSEA offences", ext=False,
         caps=(5,), type="count", unit="persons", dis=("SEX", "OFF"),
         desc="Persons prosecuted for OCSEA offences; expected not to exceed "
              "CJ_SUSPECTS_ARRESTED (a warning for period counts).",
         fr="Personnes poursuivies pour des infractions d'exploitation et d'abus sexuels "
            "d'enfants en ligne",
         es="Personas procesadas por delitos de explotación y abuso sexual infantil en línea",
         pt="Pessoas acusadas por crimes de exploração e abuso sexual infantil online",
         ar="الأشخاص الملاحقون قضائيًا في جرائم الاستغلال والاعتداء الجنسي على الأطفال عبر "
            "الإنترنت",
         more=[("en", "Prosecutions"), ("en", "Persons prosecuted"),
               ("fr", "Poursuites"), ("fr", "Personnes poursuivies"),
               ("es", "Procesamientos"), ("es", "Personas procesadas"),
               ("pt", "Pessoas acusadas"), ("ar", "الملاحقات القضائية")]),
    dict(code="CJ_CONVICTIONS", name="Persons convicted of OCSEA offences", ext=False,
         caps=(5,), type="count", unit="persons", dis=("SEX", "OFF"),
         desc="Persons convicted of OCSEA offences; expected not to exceed CJ_PROSECUTIONS "
              "(a warning for period counts).",
         fr="Personnes condamnées pour des infractions d'exploitation et d'abus sexuels "
            "d'enfants en ligne",
         es="Personas condenadas por delitos de explotación y abuso sexual infantil en línea",
         pt="Pessoas condenadas por crimes de exploração e abuso sexual infantil online",
         ar="الأشخاص المدانون في جرائم الاستغلال والاعتداء الجنسي على الأطفال عبر الإنترنت",
         more=[("en", "Convictions"), ("en", "Persons convicted"),
               ("fr", "Condamnations"), ("fr", "Personnes condamnées"),
               ("es", "Condenas"), ("es", "Personas condenadas"),
               ("pt", "Condenações"), ("pt", "Pessoas condenadas"), ("ar", "الإدانات")]),
    dict(code="CJ_CONVICTION_RATE", name="Convictions / completed prosecutions", ext=False,
         caps=(3, 5), type="pct", unit="%", dis=("OFF",),
         desc="Convictions as a percentage of completed prosecutions; between 0 and 100 and "
              "suppressed when fewer than 20 prosecutions were completed.",
         fr="Condamnations / poursuites menées à terme",
         es="Condenas / procesamientos concluidos",
         pt="Condenações / processos concluídos",
         ar="الإدانات / الملاحقات القضائية المنتهية",
         more=[("en", "Conviction rate"), ("fr", "Taux de condamnation"),
               ("es", "Tasa de condena"), ("pt", "Taxa de condenação"),
               ("ar", "معدل الإدانة")]),
    dict(code="CJ_CASE_DURATION", name="Median days from report to first-instance verdict",
         ext=False, caps=(5,), type="duration", unit="days", dis=("OFF",),
         desc="Median number of days from report to first-instance verdict; 0 or more and "
              "flagged above 1,825 days (5 years).",
         fr="Nombre médian de jours entre le signalement et le jugement de première instance",
         es="Mediana de días desde la denuncia hasta la sentencia de primera instancia",
         pt="Mediana de dias entre a denúncia e a sentença de primeira instância",
         ar="العدد الوسيط للأيام من البلاغ حتى صدور حكم الدرجة الأولى",
         more=[("en", "Case duration"), ("fr", "Durée des procédures"),
               ("es", "Duración de los casos"), ("pt", "Duração dos processos")]),
    dict(code="CJ_CHILD_FRIENDLY_EVIDENCE",
         name="Law/practice allows video-link or screened child testimony", ext=False,
         caps=(5,), type="binary", unit="0/1", dis=(),
         desc="1 if law or practice allows children to testify by video link or behind a "
              "screen.",
         fr="La loi ou la pratique permet le témoignage de l'enfant par visioconférence ou "
            "derrière un écran",
         es="La ley o la práctica permite el testimonio del niño por videoconferencia o tras "
            "un biombo",
         pt="A lei ou a prática permite o depoimento da criança por videoconferência ou atrás "
            "de um anteparo",
         ar="القانون أو الممارسة يسمح بإدلاء الطفل بشهادته عبر الفيديو أو من وراء حاجز",
         more=[("en", "Child-friendly evidence")]),
    dict(code="CJ_TRAINED_PROSECUTORS_JUDGES",
         name="Prosecutors and judges trained on CSEA in year", ext=True, caps=(5,),
         type="count", unit="persons", dis=(),
         desc="Prosecutors and judges trained on CSEA during the year; 0 or more.",
         fr="Procureurs et juges formés à l'exploitation et aux abus sexuels d'enfants au cours "
            "de l'année",
         es="Fiscales y jueces capacitados en explotación y abuso sexual infantil durante el "
            "año",
         pt="Procuradores e juízes formados em exploração e abuso sexual infantil durante o ano",
         ar="أعضاء النيابة العامة والقضاة المدربون على قضايا الاستغلال والاعتداء الجنسي على "
            "الأطفال خلال السنة",
         more=[("en", "Trained prosecutors and judges")]),
    dict(code="CJ_OFFENDER_REGISTER", name="National sex offender register exists", ext=False,
         caps=(6,), type="binary", unit="0/1", dis=(),
         desc="1 if a national sex offender register exists.",
         fr="Existence d'un registre national des auteurs d'infractions sexuelles",
         es="Existe un registro nacional de delincuentes sexuales",
         pt="Existe um registo nacional de agressores sexuais",
         ar="وجود سجل وطني لمرتكبي الجرائم الجنسية",
         more=[("en", "Sex offender register"), ("en", "Offender register")]),
    dict(code="CJ_REGISTERED_OFFENDERS", name="Persons on register for child sexual offences",
         ext=False, caps=(6,), type="count", unit="persons", dis=("SEX",),
         desc="Persons on the sex offender register for child sexual offences; a value above 0 "
              "requires CJ_OFFENDER_REGISTER = 1.",
         fr="Personnes inscrites au registre pour des infractions sexuelles sur enfants",
         es="Personas inscritas en el registro por delitos sexuales contra niños",
         pt="Pessoas inscritas no registo por crimes sexuais contra crianças",
         ar="الأشخاص المسجلون في السجل بسبب جرائم جنسية ضد الأطفال",
         more=[("en", "Registered offenders"), ("en", "Registered sex offenders")]),
    dict(code="CJ_REOFFENDING_RATE", name="Proven reoffending within 2 years (CSEA offenders)",
         ext=True, caps=(6,), type="pct", unit="%", dis=(),
         desc="Share of a cohort of CSEA offenders with a proven reoffence within 2 years; "
              "between 0 and 100 and the cohort year must be at least 2 years before the "
              "reference year.",
         fr="Récidive avérée dans les 2 ans (auteurs d'exploitation et d'abus sexuels "
            "d'enfants)",
         es="Reincidencia comprobada en 2 años (autores de explotación y abuso sexual infantil)",
         pt="Reincidência comprovada no prazo de 2 anos (autores de exploração e abuso sexual "
            "infantil)",
         ar="العود الثابت خلال سنتين (مرتكبو جرائم الاستغلال والاعتداء الجنسي على الأطفال)",
         more=[("en", "Reoffending rate"), ("en", "Re-offending rate"),
               ("fr", "Taux de récidive"), ("es", "Tasa de reincidencia"),
               ("pt", "Taxa de reincidência")]),
    # ---------------- Domain 3: Victim ----------------
    dict(code="VS_VICTIMS_REFERRED", name="Child victims referred to support services",
         ext=False, caps=(8,), type="count", unit="children", dis=("SEX", "AGE", "OFF"),
         desc="Child victims referred to support services; 0 or more and compared with "
              "CJ_VICTIMS_IDENTIFIED.",
         fr="Enfants victimes orientés vers des services d'aide",
         es="Niños, niñas y adolescentes víctimas derivados a servicios de apoyo",
         pt="Crianças vítimas encaminhadas para serviços de apoio",
         ar="الأطفال الضحايا المحالون إلى خدمات الدعم",
         more=[("en", "Victims referred"), ("fr", "Victimes orientées"),
               ("es", "Víctimas derivadas"), ("pt", "Vítimas encaminhadas"),
               ("ar", "الضحايا المحالون")]),
    dict(code="VS_VICTIMS_SUPPORTED", name="Child victims receiving individual support plan",
         ext=False, caps=(8,), type="count", unit="children", dis=("SEX", "AGE"),
         desc="Child victims with an individual support plan; expected not to exceed "
              "VS_VICTIMS_REFERRED.",
         fr="Enfants victimes bénéficiant d'un plan d'accompagnement individuel",
         es="Niños, niñas y adolescentes víctimas con un plan de apoyo individual",
         pt="Crianças vítimas com plano individual de apoio",
         ar="الأطفال الضحايا المستفيدون من خطة دعم فردية",
         more=[("en", "Victims supported"), ("en", "Children supported"),
               ("fr", "Victimes accompagnées"), ("es", "Víctimas atendidas"),
               ("pt", "Vítimas apoiadas"), ("ar", "الضحايا المستفيدون من الدعم")]),
    dict(code="VS_CP_WORKFORCE_RATE", name="Child-protection social workers per 100,000 children",
         ext=False, caps=(9,), type="rate", unit="per 100,000", dis=(),
         desc="Child-protection social workers per 100,000 children; 0 or more and needs "
              "CTX_CHILD_POP for the same year.",
         fr="Travailleurs sociaux de la protection de l'enfance pour 100 000 enfants",
         es="Trabajadores sociales de protección infantil por cada 100.000 niños",
         pt="Assistentes sociais de proteção da criança por 100 000 crianças",
         ar="الأخصائيون الاجتماعيون في مجال حماية الطفل لكل 100,000 طفل",
         more=[("en", "Child protection workforce rate"), ("en", "Social workers per 100,000")]),
    dict(code="VS_CP_WORKERS_TRAINED", name="Child-protection workers trained on CSEA",
         ext=True, caps=(9,), type="count", unit="persons", dis=(),
         desc="Child-protection workers trained on CSEA; 0 or more.",
         fr="Professionnels de la protection de l'enfance formés à l'exploitation et aux abus "
            "sexuels d'enfants",
         es="Profesionales de protección infantil capacitados en explotación y abuso sexual "
            "infantil",
         pt="Profissionais de proteção da criança formados em exploração e abuso sexual "
            "infantil",
         ar="العاملون في حماية الطفل المدربون على قضايا الاستغلال والاعتداء الجنسي على الأطفال",
         more=[("en", "Child protection workers trained")]),
    dict(code="VS_COMPENSATION_SCHEME", name="State compensation available to child victims",
         ext=False, caps=(10,), type="binary", unit="0/1", dis=(),
         desc="1 if state compensation is available to child victims.",
         fr="Indemnisation publique accessible aux enfants victimes",
         es="Indemnización estatal disponible para niños, niñas y adolescentes víctimas",
         pt="Indemnização estatal disponível para crianças vítimas",
         ar="توفر تعويض من الدولة للأطفال الضحايا",
         more=[("en", "Compensation scheme")]),
    dict(code="VS_COMPENSATION_AWARDS", name="Compensation awards to CSEA child victims",
         ext=False, caps=(10,), type="count", unit="awards", dis=(),
         desc="Compensation awards made to child victims of CSEA; a value above 0 requires "
              "VS_COMPENSATION_SCHEME = 1 unless the awards were court-ordered.",
         fr="Indemnisations accordées aux enfants victimes d'exploitation et d'abus sexuels",
         es="Indemnizaciones concedidas a niños, niñas y adolescentes víctimas de explotación y "
            "abuso sexual",
         pt="Indemnizações concedidas a crianças vítimas de exploração e abuso sexual",
         ar="التعويضات الممنوحة للأطفال ضحايا الاستغلال والاعتداء الجنسي",
         more=[("en", "Compensation awards")]),
    dict(code="VS_HELPLINE_STATUS", name="National child helpline status", ext=False,
         caps=(11,), type="categorical", unit="category", dis=(),
         desc="Status of the national child helpline coded NONE, LIMITED_HOURS or 24_7_FREE.",
         fr="Statut de la ligne d'écoute nationale pour enfants",
         es="Situación de la línea nacional de ayuda a la infancia",
         pt="Situação da linha nacional de apoio à criança",
         ar="وضع خط المساعدة الوطني للأطفال",
         more=[("en", "Helpline status")]),
    dict(code="VS_HELPLINE_CONTACTS_CSEA",
         name="Helpline contacts about sexual abuse/exploitation (incl. online)", ext=False,
         caps=(11,), type="count", unit="contacts", dis=("SEX", "AGE"),
         desc="Child helpline contacts about sexual abuse or exploitation including online; "
              "contacts are not children so no person-level claims are made.",
         fr="Contacts avec la ligne d'écoute au sujet d'abus ou d'exploitation sexuels (y "
            "compris en ligne)",
         es="Contactos con la línea de ayuda sobre abuso o explotación sexual (incluido en "
            "línea)",
         pt="Contactos com a linha de apoio sobre abuso ou exploração sexual (incluindo online)",
         ar="الاتصالات بخط المساعدة بشأن الاعتداء أو الاستغلال الجنسي (بما في ذلك عبر الإنترنت)",
         more=[("en", "Helpline contacts"), ("en", "Child helpline contacts"),
               ("fr", "Contacts ligne d'écoute"), ("es", "Contactos línea de ayuda"),
               ("pt", "Contactos linha de apoio"), ("pt", "Contatos linha de apoio"),
               ("ar", "اتصالات خط المساعدة")]),
    # ---------------- Domain 4: Societal ----------------
    dict(code="SO_HOTLINE_STATUS", name="CSAM reporting mechanism", ext=False, caps=(12,),
         type="categorical", unit="category", dis=(),
         desc="CSAM reporting mechanism coded NONE, REPORTING_PORTAL, HOTLINE or "
              "INHOPE_MEMBER.",
         fr="Mécanisme de signalement du matériel d'abus sexuels sur enfants",
         es="Mecanismo de denuncia de material de abuso sexual infantil",
         pt="Mecanismo de denúncia de material de abuso sexual infantil",
         ar="آلية الإبلاغ عن مواد الاعتداء الجنسي على الأطفال",
         more=[("en", "Hotline status")]),
    dict(code="SO_HOTLINE_REPORTS", name="Reports received/assessed by the hotline",
         ext=False, caps=(12,), type="count", unit="reports", dis=(),
         desc="Reports (URLs) received or assessed by the hotline; expected to be at least "
              "SO_HOTLINE_CSAM_CONFIRMED.",
         fr="Signalements reçus ou évalués par la plateforme de signalement",
         es="Denuncias recibidas o evaluadas por la línea de denuncia",
         pt="Denúncias recebidas ou avaliadas pela linha de denúncia",
         ar="البلاغات التي تلقاها أو قيّمها خط الإبلاغ",
         more=[("en", "Hotline reports"), ("en", "Hotline reports assessed")]),
    dict(code="SO_HOTLINE_CSAM_CONFIRMED", name="Reports/URLs confirmed as CSAM", ext=False,
         caps=(12,), type="count", unit="URLs", dis=("SEX", "AGE"),
         desc="Reports or URLs confirmed as CSAM by the hotline (age of the youngest child and "
              "severity per IWF rules); expected not to exceed SO_HOTLINE_REPORTS.",
         fr="Signalements ou URL confirmés comme matériel d'abus sexuels sur enfants",
         es="Denuncias o URL confirmadas como material de abuso sexual infantil",
         pt="Denúncias ou URL confirmadas como material de abuso sexual infantil",
         ar="البلاغات أو عناوين URL التي تأكد أنها مواد اعتداء جنسي على الأطفال",
         more=[("en", "CSAM confirmed"), ("en", "Confirmed CSAM"), ("en", "Confirmed CSAM URLs"),
               ("en", "URLs confirmed as CSAM")]),
    dict(code="SO_HOTLINE_TO_LE_3D_PCT", name="% confirmed CSAM referred to LE within 3 days",
         ext=False, caps=(12,), type="pct", unit="%", dis=(),
         desc="Share of confirmed CSAM referred to law enforcement within 3 days; between 0 "
              "and 100.",
         fr="% du matériel confirmé transmis aux services répressifs sous 3 jours",
         es="% del material confirmado remitido a la policía en 3 días",
         pt="% do material confirmado encaminhado à polícia em 3 dias",
         ar="نسبة المواد المؤكدة المحالة إلى جهات إنفاذ القانون خلال 3 أيام",
         more=[]),
    dict(code="SO_EDUCATION_CURRICULUM", name="OCSEA prevention in national curriculum",
         ext=False, caps=(13,), type="binary", unit="0/1", dis=(),
         desc="1 if OCSEA prevention is part of the national school curriculum.",
         fr="Prévention de l'exploitation et des abus sexuels d'enfants en ligne dans le "
            "programme scolaire national",
         es="Prevención de la explotación y el abuso sexual infantil en línea en el currículo "
            "nacional",
         pt="Prevenção da exploração e do abuso sexual infantil online no currículo nacional",
         ar="الوقاية من الاستغلال والاعتداء الجنسي على الأطفال عبر الإنترنت في المناهج "
            "الدراسية الوطنية",
         more=[("en", "Education curriculum")]),
    dict(code="SO_SCHOOLS_REACHED_PCT", name="% of schools delivering the programme", ext=True,
         caps=(13,), type="pct", unit="%", dis=(),
         desc="Share of schools delivering the OCSEA prevention programme; between 0 and 100.",
         fr="% d'écoles mettant en œuvre le programme",
         es="% de escuelas que imparten el programa",
         pt="% de escolas que aplicam o programa",
         ar="نسبة المدارس التي تنفذ البرنامج",
         more=[("en", "Schools reached")]),
    dict(code="SO_CHILD_PARTICIPATION",
         name="Formal mechanism for children to influence CSEA policy", ext=False,
         caps=(14,), type="binary", unit="0/1", dis=(),
         desc="1 if a formal mechanism lets children influence CSEA policy.",
         fr="Mécanisme formel permettant aux enfants d'influer sur les politiques de lutte "
            "contre l'exploitation et les abus sexuels",
         es="Mecanismo formal para que niños, niñas y adolescentes influyan en las políticas "
            "sobre explotación y abuso sexual infantil",
         pt="Mecanismo formal para as crianças influenciarem as políticas sobre exploração e "
            "abuso sexual infantil",
         ar="آلية رسمية تتيح للأطفال التأثير في سياسات مكافحة الاستغلال والاعتداء الجنسي",
         more=[("en", "Child participation")]),
    dict(code="SO_PREVENTION_SERVICE",
         name="Anonymous service for people concerned about their sexual interest in "
              "children", ext=False, caps=(15,), type="binary", unit="0/1", dis=(),
         desc="1 if an anonymous service exists for people concerned about their sexual "
              "interest in children.",
         fr="Service anonyme pour les personnes préoccupées par leur attirance sexuelle envers "
            "les enfants",
         es="Servicio anónimo para personas preocupadas por su interés sexual en niños",
         pt="Serviço anónimo para pessoas preocupadas com o seu interesse sexual por crianças",
         ar="خدمة مجهولة الهوية للأشخاص القلقين من ميولهم الجنسية تجاه الأطفال",
         more=[("en", "Prevention service")]),
    dict(code="SO_PREVENTION_CONTACTS", name="Contacts to that service", ext=True, caps=(15,),
         type="count", unit="contacts", dis=(),
         desc="Contacts to the anonymous prevention service; a value above 0 requires "
              "SO_PREVENTION_SERVICE = 1.",
         fr="Contacts avec ce service", es="Contactos con ese servicio",
         pt="Contactos com esse serviço", ar="الاتصالات بهذه الخدمة",
         more=[("en", "Prevention contacts"), ("en", "Prevention service contacts")]),
    # ---------------- Domain 5: Industry ----------------
    dict(code="IN_NTD_PROCEDURE",
         name="Agreed notice-and-takedown procedure between hotline/LE and hosting providers",
         ext=False, caps=(16,), type="binary", unit="0/1", dis=(),
         desc="1 if a notice-and-takedown procedure is agreed between the hotline or law "
              "enforcement and hosting providers.",
         fr="Procédure convenue de notification et retrait entre la plateforme de signalement "
            "ou les services répressifs et les hébergeurs",
         es="Procedimiento acordado de notificación y retirada entre la línea de denuncia o la "
            "policía y los proveedores de alojamiento",
         pt="Procedimento acordado de notificação e remoção entre a linha de denúncia ou a "
            "polícia e os fornecedores de alojamento",
         ar="إجراء متفق عليه للإخطار والإزالة بين خط الإبلاغ أو جهات إنفاذ القانون ومزودي "
            "الاستضافة",
         more=[("en", "Notice and takedown procedure")]),
    dict(code="IN_TAKEDOWN_MEDIAN_HOURS",
         name="Median time from notice to removal, domestically hosted CSAM", ext=False,
         caps=(16,), type="duration", unit="hours", dis=(),
         desc="Median hours from notice to removal of domestically hosted CSAM; 0 or more and "
              "removal never before notice.",
         fr="Délai médian entre la notification et le retrait, matériel hébergé dans le pays",
         es="Tiempo mediano desde la notificación hasta la retirada, material alojado en el "
            "país",
         pt="Tempo mediano entre a notificação e a remoção, material alojado no país",
         ar="الوقت الوسيط من الإخطار حتى الإزالة للمواد المستضافة محليًا",
         more=[("en", "Takedown time"), ("en", "Median takedown hours")]),
    dict(code="IN_REMOVED_3D_PCT", name="% of notified CSAM removed within 3 days", ext=False,
         caps=(16,), type="pct", unit="%", dis=(),
         desc="Share of notified CSAM removed within 3 days; between 0 and 100.",
         fr="% du matériel notifié retiré sous 3 jours",
         es="% del material notificado retirado en 3 días",
         pt="% do material notificado removido em 3 dias",
         ar="نسبة المواد المبلغ عنها التي أزيلت خلال 3 أيام",
         more=[("en", "Removed within 3 days")]),
    dict(code="IN_BLOCKING", name="ISPs block CSAM hosted abroad not removed at source",
         ext=False, caps=(16,), type="binary", unit="0/1", dis=(),
         desc="1 if internet service providers block CSAM hosted abroad that was not removed "
              "at source.",
         fr="Les FAI bloquent le matériel hébergé à l'étranger non retiré à la source",
         es="Los proveedores de Internet bloquean el material alojado en el extranjero no "
            "retirado en origen",
         pt="Os fornecedores de internet bloqueiam o material alojado no estrangeiro não "
            "removido na origem",
         ar="يحجب مزودو خدمة الإنترنت المواد المستضافة في الخارج التي لم تُزل من المصدر",
         more=[("en", "ISP blocking")]),
    dict(code="IN_ISP_MANDATORY_REPORTING",
         name="Law requires ISPs/ESPs to report suspected CSAM (ICMEC 5)", ext=False,
         caps=(17,), type="binary", unit="0/1", dis=(),
         desc="1 if the law requires internet and electronic service providers to report "
              "suspected CSAM.",
         fr="La loi oblige les FAI et fournisseurs de services électroniques à signaler le "
            "matériel suspect (ICMEC 5)",
         es="La ley obliga a los proveedores de Internet y de servicios electrónicos a denunciar "
            "material sospechoso (ICMEC 5)",
         pt="A lei obriga os fornecedores de internet e de serviços eletrónicos a denunciar "
            "material suspeito (ICMEC 5)",
         ar="يُلزم القانون مزودي خدمات الإنترنت والخدمات الإلكترونية بالإبلاغ عن المواد المشتبه "
            "بها (ICMEC 5)",
         more=[("en", "ISP mandatory reporting")]),
    dict(code="IN_SAFE_HARBOUR",
         name="Statutory protection for industry handling/reporting CSAM", ext=False,
         caps=(17,), type="binary", unit="0/1", dis=(),
         desc="1 if the law protects companies that handle or report CSAM.",
         fr="Protection légale des entreprises qui traitent ou signalent du matériel d'abus "
            "sexuels sur enfants",
         es="Protección legal para las empresas que gestionan o denuncian material de abuso "
            "sexual infantil",
         pt="Proteção legal para as empresas que tratam ou denunciam material de abuso sexual "
            "infantil",
         ar="حماية قانونية للشركات التي تتعامل مع مواد الاعتداء الجنسي على الأطفال أو تبلغ عنها",
         more=[("en", "Safe harbour"), ("en", "Safe harbor")]),
    dict(code="IN_DOMESTIC_ESP_REPORTS",
         name="Reports made by domestic companies to national authority", ext=False,
         caps=(17,), type="count", unit="reports", dis=(),
         desc="Reports made by domestic companies to the national authority; 0 or more.",
         fr="Signalements effectués par les entreprises nationales auprès de l'autorité "
            "nationale",
         es="Denuncias realizadas por empresas nacionales ante la autoridad nacional",
         pt="Denúncias feitas por empresas nacionais à autoridade nacional",
         ar="البلاغات المقدمة من الشركات المحلية إلى السلطة الوطنية",
         more=[("en", "ESP reports"), ("en", "Industry reports")]),
    dict(code="IN_COMPANIES_HASH_MATCHING",
         name="Domestic platforms using hash-matching (e.g. PhotoDNA)", ext=False,
         caps=(18,), type="count", unit="companies", dis=(),
         desc="Domestic platforms using hash-matching such as PhotoDNA; 0 or more.",
         fr="Plateformes nationales utilisant la comparaison d'empreintes (p. ex. PhotoDNA)",
         es="Plataformas nacionales que usan la coincidencia de hashes (p. ej. PhotoDNA)",
         pt="Plataformas nacionais que usam correspondência de hashes (p. ex. PhotoDNA)",
         ar="المنصات المحلية التي تستخدم مطابقة البصمات الرقمية (مثل PhotoDNA)",
         more=[("en", "Companies using hash matching")]),
    dict(code="IN_COMPANIES_CHILD_POLICY_PCT",
         name="% of major domestic platforms with child-safety policy and reporting button",
         ext=False, caps=(19,), type="pct", unit="%", dis=(),
         desc="Share of major domestic platforms with a child-safety policy and a reporting "
              "button; between 0 and 100.",
         fr="% des grandes plateformes nationales dotées d'une politique de sécurité des enfants "
            "et d'un bouton de signalement",
         es="% de las principales plataformas nacionales con política de seguridad infantil y "
            "botón de denuncia",
         pt="% das principais plataformas nacionais com política de segurança infantil e botão "
            "de denúncia",
         ar="نسبة المنصات المحلية الكبرى التي لديها سياسة لسلامة الأطفال وزر للإبلاغ",
         more=[("en", "Platforms with child safety policy")]),
    # ---------------- Domain 6: Media and Communications ----------------
    dict(code="MC_MEDIA_GUIDELINES",
         name="Media guidelines / code on CSEA reporting (any of the 4 levels)", ext=False,
         caps=(20,), type="categorical", unit="category", dis=(),
         desc="Highest level of media regulation on CSEA reporting coded NONE, CODE_OF_CONDUCT, "
              "GUIDELINES, REGULATOR or LEGISLATION (several levels may apply).",
         fr="Lignes directrices ou code pour les médias sur le traitement de l'exploitation et "
            "des abus sexuels d'enfants (l'un des 4 niveaux)",
         es="Directrices o código para los medios sobre la cobertura de la explotación y el "
            "abuso sexual infantil (cualquiera de los 4 niveles)",
         pt="Diretrizes ou código para os meios de comunicação sobre a cobertura da exploração "
            "e do abuso sexual infantil (qualquer um dos 4 níveis)",
         ar="مبادئ توجيهية أو مدونة لوسائل الإعلام بشأن تغطية الاستغلال والاعتداء الجنسي على "
            "الأطفال (أي من المستويات الأربعة)",
         more=[("en", "Media guidelines")]),
    dict(code="MC_VICTIM_ANONYMITY_LAW", name="Child victim anonymity protected in law",
         ext=False, caps=(20,), type="binary", unit="0/1", dis=(),
         desc="1 if the law protects the anonymity of child victims.",
         fr="Anonymat des enfants victimes protégé par la loi",
         es="Anonimato de los niños, niñas y adolescentes víctimas protegido por la ley",
         pt="Anonimato das crianças vítimas protegido por lei",
         ar="حماية هوية الأطفال الضحايا بموجب القانون",
         more=[("en", "Victim anonymity law")]),
    dict(code="MC_TERMINOLOGY_ADOPTED",
         name="Luxembourg-Guidelines terminology used in law/official statistics "
              "(e.g. \"CSAM\" not \"child pornography\")", ext=False, caps=(21,),
         type="binary", unit="0/1", dis=(),
         desc="1 if law or official statistics use Luxembourg Guidelines terminology such as "
              "CSAM rather than child pornography.",
         fr="Terminologie des Lignes directrices de Luxembourg utilisée dans la loi ou les "
            "statistiques officielles",
         es="Terminología de las Orientaciones de Luxemburgo utilizada en la ley o las "
            "estadísticas oficiales",
         pt="Terminologia das Orientações do Luxemburgo utilizada na lei ou nas estatísticas "
            "oficiais",
         ar="استخدام مصطلحات إرشادات لوكسمبورغ في القانون أو الإحصاءات الرسمية",
         more=[("en", "Terminology adopted"), ("en", "Luxembourg Guidelines terminology")]),
]

DOMAIN_PREFIX = {"PG": "POLICY_GOVERNANCE", "CJ": "CRIMINAL_JUSTICE", "VS": "VICTIM",
                 "SO": "SOCIETAL", "IN": "INDUSTRY", "MC": "MEDIA_COMMUNICATIONS",
                 "CTX": "POLICY_GOVERNANCE"}


def bounds(ind: dict) -> tuple[object, object]:
    code, typ = ind["code"], ind["type"]
    if code in BOUNDS_BY_CODE:
        return BOUNDS_BY_CODE[code]
    if typ == "pct":
        return 0, 100
    if typ == "binary":
        return 0, 1
    if typ == "year":
        return 1990, 2100
    if typ == "categorical":
        return 0, len(CATEGORIES[code]) - 1
    if typ == "ordinal":
        values = [v for v, _, _ in ORDINALS[code]]
        return min(values), max(values)
    return 0, ""  # count, rate, duration, amount: >= 0, no maximum


def yoy(ind: dict):
    if ind["code"] in YOY_BY_CODE:
        return YOY_BY_CODE[ind["code"]]
    return YOY_BY_TYPE.get(ind["type"], "")


def indicator_rows() -> list[list]:
    rows = []
    for ind in INDICATORS:
        code = ind["code"]
        domain = DOMAIN_PREFIX[code.split("_", 1)[0]]
        # Primary capability: the first one listed that belongs to the indicator's domain, so
        # that (mnr_domain, mnr_capability) is always a consistent pair.  For
        # CJ_VICTIMS_IDENTIFIED (3,4) and CJ_CONVICTION_RATE (3,5) the catalogue lists
        # capability 3 (Legislation, Policy and Governance) first; it stays in
        # related_capabilities.
        cap = next(c for c in ind["caps"] if CAPABILITY_DOMAIN[c] == domain)
        lo, hi = bounds(ind)
        rows.append([
            code, ind["name"], domain, cap, "|".join(str(c) for c in ind["caps"]),
            ind["type"], ind["unit"], UNIT_MEASURE[ind["unit"]], "|".join(ind["dis"]),
            lo, hi, code in CHILD_PERSON_COUNTS, yoy(ind), ind["ext"], code in RESTRICTED,
            REQUIRED_FLAG.get(code, ""), ind["desc"],
        ])
    return sorted(rows, key=lambda r: r[0])


def indicator_name_rows() -> list[list]:
    """Each indicator's name in every language of the catalogue (the English one is indicators.csv's): the names
    that the SDMX code list CL_INDICATOR carries, one of the aliases of each language."""
    return sorted([ind["code"], lang, ind["name"] if lang == "en" else ind[lang]]
                  for ind in INDICATORS for lang in LANGS)


def category_rows() -> list[list]:
    rows = []
    for code, cats in CATEGORIES.items():
        for value, cat in enumerate(cats):
            rows.append([code, value, cat, CATEGORY_LABELS[(code, cat)]])
    for code, items in ORDINALS.items():
        for value, cat, label in items:
            rows.append([code, value, cat, label])
    return sorted(rows, key=lambda r: (r[0], r[1]))


# --------------------------------------------------------------------------------------------
# 3. Consistency relations (domain.md section 4, "Cross-indicator validation rules")
# --------------------------------------------------------------------------------------------
# le:       lhs <= rhs for the same ref_area, time_period, sex, age and offence.
# requires: a value of lhs above 0 needs rhs = 1 for the same ref_area and time_period.

RELATIONS = [
    ("FUNNEL_CONVICTIONS_LE_PROSECUTIONS", "le", "CJ_CONVICTIONS", "CJ_PROSECUTIONS",
     "More persons convicted than prosecuted in the same year. This can happen when "
     "convictions stem from earlier years' prosecutions; please check both figures and "
     "explain in a comment."),
    ("FUNNEL_PROSECUTIONS_LE_SUSPECTS", "le", "CJ_PROSECUTIONS", "CJ_SUSPECTS_ARRESTED",
     "More persons prosecuted than arrested or charged in the same year. Please check both "
     "figures or explain the difference in a comment."),
    ("FUNNEL_CASES_LE_REPORTS", "le", "CJ_CASES_OPENED", "CJ_REPORTS_RECEIVED",
     "More cases opened than reports received by law enforcement in the same year. Please "
     "check both figures or explain the difference in a comment."),
    ("VICTIMS_ICSE_LE_VICTIMS_IDENTIFIED", "le", "CJ_VICTIMS_IDENTIFIED_ICSE",
     "CJ_VICTIMS_IDENTIFIED",
     "Victims identified with ICSE or the national image database exceed all child victims "
     "identified in the same year. The ICSE figure should be part of the total; please check "
     "both figures."),
    ("VICTIMS_SUPPORTED_LE_REFERRED", "le", "VS_VICTIMS_SUPPORTED", "VS_VICTIMS_REFERRED",
     "More child victims with a support plan than victims referred to support services in "
     "the same year. Please check both figures or explain the difference in a comment."),
    ("HOTLINE_CONFIRMED_LE_REPORTS", "le", "SO_HOTLINE_CSAM_CONFIRMED", "SO_HOTLINE_REPORTS",
     "More reports confirmed as CSAM than reports the hotline received or assessed. Confirmed "
     "reports should be a part of all reports; please check both figures."),
    ("REQUIRES_PG_GOV_BODY_SECTORS_PG_GOV_BODY", "requires", "PG_GOV_BODY_SECTORS",
     "PG_GOV_BODY",
     "Sectors are reported for the governance body but the file does not say that the body "
     "exists (PG_GOV_BODY = 1). Please add PG_GOV_BODY = 1 or remove the sectors."),
    ("REQUIRES_CJ_UNIT_FTE_CJ_SPECIALISED_UNIT", "requires", "CJ_UNIT_FTE",
     "CJ_SPECIALISED_UNIT",
     "Investigators are reported for a dedicated unit but the file does not say that such a "
     "unit exists (CJ_SPECIALISED_UNIT = 1). Please add CJ_SPECIALISED_UNIT = 1 or check the "
     "investigator count."),
    ("REQUIRES_CJ_REGISTERED_OFFENDERS_CJ_OFFENDER_REGISTER", "requires",
     "CJ_REGISTERED_OFFENDERS", "CJ_OFFENDER_REGISTER",
     "Persons on a sex offender register are reported but the file does not say that a "
     "register exists (CJ_OFFENDER_REGISTER = 1). Please add CJ_OFFENDER_REGISTER = 1 or "
     "check the figure."),
    ("REQUIRES_VS_COMPENSATION_AWARDS_VS_COMPENSATION_SCHEME", "requires",
     "VS_COMPENSATION_AWARDS", "VS_COMPENSATION_SCHEME",
     "Compensation awards are reported but the file does not say that a state compensation "
     "scheme exists (VS_COMPENSATION_SCHEME = 1). If the awards were ordered by a court, say "
     "so in a comment; otherwise add VS_COMPENSATION_SCHEME = 1."),
    ("REQUIRES_SO_PREVENTION_CONTACTS_SO_PREVENTION_SERVICE", "requires",
     "SO_PREVENTION_CONTACTS", "SO_PREVENTION_SERVICE",
     "Contacts to a prevention service are reported but the file does not say that such a "
     "service exists (SO_PREVENTION_SERVICE = 1). Please add SO_PREVENTION_SERVICE = 1 or "
     "check the figure."),
    ("REQUIRES_CJ_ICSE_CONNECTED_CJ_SPECIALISED_UNIT", "requires", "CJ_ICSE_CONNECTED",
     "CJ_SPECIALISED_UNIT",
     "The country is reported as connected to INTERPOL's ICSE database, which needs a "
     "dedicated law-enforcement unit, but CJ_SPECIALISED_UNIT is not 1. Please check both "
     "answers."),
    ("REQUIRES_CJ_ICSE_CONNECTED_PG_LAW_CSAM_SPECIFIC", "requires", "CJ_ICSE_CONNECTED",
     "PG_LAW_CSAM_SPECIFIC",
     "The country is reported as connected to INTERPOL's ICSE database, which needs "
     "legislation on child sexual abuse material, but PG_LAW_CSAM_SPECIFIC is not 1. Please "
     "check both answers."),
    ("REQUIRES_PG_LAW_CSAM_DEFINED_PG_LAW_CSAM_SPECIFIC", "requires", "PG_LAW_CSAM_DEFINED",
     "PG_LAW_CSAM_SPECIFIC",
     "The law is reported to define child sexual abuse material but not to address it "
     "specifically (PG_LAW_CSAM_SPECIFIC is not 1). A law that defines CSAM normally "
     "addresses it; please check both answers."),
]


def relation_rows() -> list[list]:
    return sorted(([rid, rel, lhs, rhs, "warning", msg]
                   for rid, rel, lhs, rhs, msg in RELATIONS), key=lambda r: r[0])


# --------------------------------------------------------------------------------------------
# 4. Code lists
# --------------------------------------------------------------------------------------------

CL_SEX = [("F", "Female"), ("M", "Male"), ("_T", "Total"), ("_U", "Unknown"),
          ("_Z", "Not applicable")]

CL_AGE = [
    # code, label, lower, upper
    ("_T", "Total (all ages)", None, None),
    ("_U", "Unknown", None, None),
    ("_Z", "Not applicable", None, None),
    ("Y0T17", "Under 18 years", 0, 17),
    ("Y_GE18", "18 years and over", 18, None),
    ("Y0T2", "0 to 2 years", 0, 2),
    ("Y3T6", "3 to 6 years", 3, 6),
    ("Y7T10", "7 to 10 years", 7, 10),
    ("Y11T13", "11 to 13 years", 11, 13),
    ("Y14T15", "14 to 15 years", 14, 15),
    ("Y16T17", "16 to 17 years", 16, 17),
    ("Y0T4", "0 to 4 years", 0, 4),
    ("Y5T9", "5 to 9 years", 5, 9),
    ("Y10T14", "10 to 14 years", 10, 14),
    ("Y15T17", "15 to 17 years", 15, 17),
    ("Y12T17", "12 to 17 years", 12, 17),
    ("Y0T12", "0 to 12 years", 0, 12),
]
# Every band of whole years within childhood (DESIGN.md section 4: any Y{a}T{b}), and the open bands "n years and
# over" below 18 (adult ages included: never a child band). Files write them in many forms (Y15T17, 15-17,
# "15 to 17", Y_LT18); pipelines/ingest/codes.py reads those forms into these codes.
_NAMED_AGE = {c for c, *_ in CL_AGE}
CL_AGE += [(f"Y{a}T{b}", f"{a} to {b} years" if a != b else f"{a} years", a, b)
           for a in range(18) for b in range(a, 18) if f"Y{a}T{b}" not in _NAMED_AGE]
CL_AGE += [(f"Y_GE{n}", f"{n} years and over", n, None) for n in range(1, 18)]

CL_OFFENCE = [
    # code, label, parent  (ICCS 2015, section 03 "Injurious acts of a sexual nature")
    ("_T", "All OCSEA offences", ""),
    ("_Z", "Not applicable", ""),
    ("0301", "Sexual violence", "_T"),
    ("03011", "Rape", "0301"),
    ("03012", "Sexual assault", "0301"),
    ("03019", "Other acts of sexual violence", "0301"),
    ("0302", "Sexual exploitation", "_T"),
    ("03022", "Sexual exploitation of children", "0302"),
    ("030221", "Child sexual abuse material (ICCS child pornography)", "03022"),
    ("030222", "Sexual exploitation of children in prostitution", "03022"),
    ("030223", "Sexual grooming of children", "03022"),
    ("030229", "Other sexual exploitation of children", "03022"),
    ("OTHER_ONLINE", "Other online offences (sextortion, livestreamed abuse)", "_T"),
]

CL_OBS_STATUS = [  # SDMX CL_OBS_STATUS (standards.md 1.5)
    ("A", "Normal value"), ("B", "Time series break"), ("D", "Definition differs"),
    ("E", "Estimated value"), ("F", "Forecast value"), ("G", "Experimental value"),
    ("I", "Imputed value (CCSA definition)"),
    ("L", "Missing value; data exist but were not collected"),
    ("M", "Missing value; data cannot exist"), ("N", "Not significant"),
    ("O", "Missing value"), ("P", "Provisional value"), ("Q", "Missing value; suppressed"),
    ("S", "Strike and other special events"), ("U", "Low reliability"),
    ("V", "Unvalidated value"),
]

CL_OBS_CONF = [
    ("F", "Free"), ("N", "Not for publication, restricted for internal use only"),
    ("C", "Confidential statistical information (primary confidentiality)"),
    ("D", "Secondary confidentiality set by the sender, not for publication"),
    ("S", "Secondary confidentiality set and managed by the receiver, not for publication"),
]

CL_UNIT_MEASURE = [
    ("NUMBER", "Number"), ("PERSONS", "Persons"), ("PCNT", "Percentage"),
    ("RATE_100000", "Rate per 100,000 children"), ("HOURS", "Hours"), ("DAYS", "Days"),
    ("BOOL", "Yes (1) / No (0)"), ("CODE", "Category code"), ("YEAR", "Year"),
    ("USD", "US dollars"),
]

# --------------------------------------------------------------------------------------------
# 5. Reference areas (ISO 3166-1 + UN M49 regions)
# --------------------------------------------------------------------------------------------

# M49 intermediate region or sub-region (as in country_converter's UNregion) -> (region, sub-region)
M49_FROM_UNREGION = {
    "Eastern Africa": ("Africa", "Sub-Saharan Africa"),
    "Middle Africa": ("Africa", "Sub-Saharan Africa"),
    "Southern Africa": ("Africa", "Sub-Saharan Africa"),
    "Western Africa": ("Africa", "Sub-Saharan Africa"),
    "Northern Africa": ("Africa", "Northern Africa"),
    "Caribbean": ("Americas", "Latin America and the Caribbean"),
    "Central America": ("Americas", "Latin America and the Caribbean"),
    "South America": ("Americas", "Latin America and the Caribbean"),
    "Northern America": ("Americas", "Northern America"),
    "Central Asia": ("Asia", "Central Asia"),
    "Eastern Asia": ("Asia", "Eastern Asia"),
    "South-eastern Asia": ("Asia", "South-eastern Asia"),
    "Southern Asia": ("Asia", "Southern Asia"),
    "Western Asia": ("Asia", "Western Asia"),
    "Eastern Europe": ("Europe", "Eastern Europe"),
    "Northern Europe": ("Europe", "Northern Europe"),
    "Southern Europe": ("Europe", "Southern Europe"),
    "Western Europe": ("Europe", "Western Europe"),
    "Australia and New Zealand": ("Oceania", "Australia and New Zealand"),
    "Melanesia": ("Oceania", "Melanesia"),
    "Micronesia": ("Oceania", "Micronesia"),
    "Polynesia": ("Oceania", "Polynesia"),
    "Antarctica": ("", ""),  # M49 gives Antarctica no region
}


def coco_rows() -> dict[str, dict]:
    """country_converter's bundled country table, keyed by ISO3 (read without pandas)."""
    spec = importlib.util.find_spec("country_converter")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("country_converter is needed at build time: "
                 "uv pip install --python .venv/bin/python country-converter")
    path = Path(list(spec.submodule_search_locations)[0]) / "country_data.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["ISO3"]: r for r in csv.DictReader(fh, delimiter="\t")}


def ref_area_rows(coco: dict[str, dict]) -> list[list]:
    rows = []
    for c in pycountry.countries:
        unregion = coco[c.alpha_3]["UNregion"]
        region, subregion = M49_FROM_UNREGION[unregion]
        rows.append([c.alpha_3, c.alpha_2, f"{int(c.numeric):03d}", c.name, region, subregion])
    return sorted(rows, key=lambda r: r[0])


# --------------------------------------------------------------------------------------------
# 6. Aliases
# --------------------------------------------------------------------------------------------
# (kind, alias, code, language, country).  Matching rule (implemented by normalise()):
# strip accents, lowercase, collapse every run of characters that are not letters or digits
# (Arabic letters count as letters) to one space, trim.  Each (kind, normalised alias,
# country) maps to exactly one code; an empty country means "all countries".

LANGS = ("en", "fr", "es", "pt", "ar")

COLUMN_ALIASES = {
    "ref_area": {
        "code": ["REF_AREA"],
        "en": ["country", "country code", "country name", "reference area", "ref area", "iso3",
               "iso code", "area", "geo", "geo area code", "geo area name", "geographic area"],
        "fr": ["pays", "code pays", "code du pays"],
        "es": ["país", "código de país", "código del país"],
        "pt": ["país", "código do país"],
        "ar": ["البلد", "الدولة", "رمز البلد"],
    },
    "time_period": {
        "code": ["TIME_PERIOD"],
        "en": ["year", "period", "time period", "reference year", "reference period"],
        "fr": ["année", "période", "année de référence"],
        "es": ["año", "periodo", "período", "año de referencia"],
        "pt": ["ano", "período", "ano de referência"],
        "ar": ["السنة", "العام", "الفترة"],
    },
    "indicator": {
        "code": ["INDICATOR", "SERIES", "SeriesCode"],
        "en": ["indicator", "indicator code", "indicator name", "measure", "series", "series code"],
        "fr": ["indicateur", "code indicateur", "nom de l'indicateur"],
        "es": ["indicador", "código del indicador", "nombre del indicador"],
        "pt": ["indicador", "código do indicador", "nome do indicador"],
        "ar": ["المؤشر", "رمز المؤشر", "اسم المؤشر"],
    },
    "sex": {
        "code": ["SEX"],
        "en": ["sex", "gender"],
        "fr": ["sexe", "genre"],
        "es": ["sexo", "género"],
        "pt": ["sexo", "gênero", "género"],
        "ar": ["الجنس", "النوع الاجتماعي"],
    },
    "age": {
        "code": ["AGE"],
        "en": ["age", "age group", "age band", "age range"],
        "fr": ["âge", "tranche d'âge", "groupe d'âge"],
        "es": ["edad", "grupo de edad", "rango de edad"],
        "pt": ["idade", "faixa etária", "grupo etário"],
        "ar": ["العمر", "الفئة العمرية", "السن"],
    },
    "offence": {
        "code": ["OFFENCE", "ICCS"],
        "en": ["offence", "offense", "offence type", "offense type", "crime type", "crime"],
        "fr": ["infraction", "type d'infraction"],
        "es": ["delito", "tipo de delito"],
        "pt": ["crime", "tipo de crime", "infração"],
        "ar": ["الجريمة", "نوع الجريمة"],
    },
    "value": {
        "code": ["OBS_VALUE"],
        "en": ["value", "count", "number", "observation value"],
        "fr": ["valeur", "nombre"],
        "es": ["valor", "número", "cantidad"],
        "pt": ["valor", "número", "quantidade"],
        "ar": ["القيمة", "العدد"],
    },
    "unit": {
        "code": ["UNIT_MEASURE", "UNIT"],
        "en": ["unit", "units", "unit of measure", "unit measure"],
        "fr": ["unité", "unité de mesure"],
        "es": ["unidad", "unidad de medida"],
        "pt": ["unidade", "unidade de medida"],
        "ar": ["الوحدة", "وحدة القياس"],
    },
    "obs_status": {
        "code": ["OBS_STATUS"],
        "en": ["status", "observation status", "flag"],
        "fr": ["statut", "statut de l'observation"],
        "es": ["estado", "estatus"],
        "pt": ["estado", "situação", "status"],
        "ar": ["الحالة"],
    },
    # Eurostat's observation flags (seeds/obs_flags.csv) and SDMX CL_CONF_STATUS.
    "obs_flag": {
        "code": ["OBS_FLAG"],
        "en": ["observation flag", "observation status flag"],
    },
    "obs_conf": {
        "code": ["CONF_STATUS", "OBS_CONF"],
        "en": ["confidentiality status", "confidentiality"],
    },
    "comment": {
        "code": ["COMMENT", "OBS_FOOTNOTE"],
        "en": ["comment", "comments", "note", "notes", "footnote", "remarks"],
        "fr": ["commentaire", "commentaires", "note", "remarque"],
        "es": ["comentario", "comentarios", "nota", "notas", "observaciones"],
        "pt": ["comentário", "comentários", "nota", "notas", "observações"],
        "ar": ["ملاحظة", "ملاحظات", "تعليق"],
    },
}

SEX_ALIASES = {
    "F": {"en": ["female", "females", "women", "woman", "girls", "girl"],
          "fr": ["féminin", "femmes", "femme", "filles", "fille"],
          "es": ["femenino", "mujeres", "mujer", "niñas", "niña"],
          "pt": ["feminino", "mulheres", "mulher", "meninas", "menina"],
          "ar": ["أنثى", "إناث", "فتيات", "بنات"]},
    "M": {"en": ["male", "males", "men", "man", "boys", "boy"],
          "fr": ["masculin", "hommes", "homme", "garçons", "garçon"],
          "es": ["masculino", "hombres", "hombre", "niños", "niño"],
          "pt": ["masculino", "homens", "homem", "meninos", "menino"],
          "ar": ["ذكر", "ذكور", "فتيان", "أولاد"]},
    "_T": {"en": ["total", "both sexes", "all", "all sexes"],
           "fr": ["total", "les deux sexes", "ensemble"],
           "es": ["total", "ambos sexos"],
           "pt": ["total", "ambos os sexos"],
           "ar": ["المجموع", "الإجمالي", "كلا الجنسين"]},
    "_U": {"en": ["unknown", "not stated", "not specified", "unspecified"],
           "fr": ["inconnu", "non précisé", "non spécifié"],
           "es": ["desconocido", "no especificado", "sin especificar"],
           "pt": ["desconhecido", "não especificado", "ignorado"],
           "ar": ["غير معروف", "غير محدد"]},
    "_Z": {"en": ["not applicable"], "fr": ["sans objet", "non applicable"],
           "es": ["no aplica", "no aplicable"], "pt": ["não aplicável"],
           "ar": ["لا ينطبق"]},
}

AGE_ALIASES = {
    "Y0T17": {"en": ["0-17", "0-17 years", "under 18", "under 18 years", "children",
                     "minors", "juvenile", "juveniles", "below 18", "less than 18"],
              "fr": ["moins de 18 ans", "0-17 ans", "mineurs", "enfants"],
              "es": ["menores de 18", "menores de 18 años", "0-17 años", "menores"],
              "pt": ["menos de 18", "menos de 18 anos", "menores de 18 anos", "0-17 anos",
                     "crianças"],
              "ar": ["أقل من 18", "أقل من 18 سنة", "الأطفال", "القاصرون"]},
    "Y_GE18": {"en": ["18+", "18 and over", "18 years and over", "over 18", "adults", "adult"],
               "fr": ["18 ans et plus", "adultes", "adulte"],
               "es": ["18 años y más", "18 y más", "adultos", "adulto"],
               "pt": ["18 anos ou mais", "18 anos e mais", "adultos", "adulto"],
               "ar": ["18 سنة فأكثر", "البالغون", "بالغ"]},
    "Y0T2": {"any": ["0-2", "0 to 2"]},
    "Y3T6": {"any": ["3-6", "3 to 6"]},
    "Y7T10": {"any": ["7-10", "7 to 10"]},
    "Y11T13": {"any": ["11-13", "11 to 13"]},
    "Y14T15": {"any": ["14-15", "14 to 15"]},
    "Y16T17": {"any": ["16-17", "16 to 17"]},
    "Y0T4": {"any": ["0-4", "0 to 4"]},
    "Y5T9": {"any": ["5-9", "5 to 9"]},
    "Y10T14": {"any": ["10-14", "10 to 14"]},
    "Y15T17": {"any": ["15-17", "15 to 17"]},
    "Y12T17": {"any": ["12-17", "12 to 17"]},
    "Y0T12": {"any": ["0-12", "0 to 12"]},
    "_T": {"en": ["total", "all ages"], "fr": ["total", "tous âges", "tous les âges"],
           "es": ["total", "todas las edades"], "pt": ["total", "todas as idades"],
           "ar": ["المجموع", "جميع الأعمار"]},
    "_U": {"en": ["unknown", "age unknown", "not stated"],
           "fr": ["inconnu", "âge inconnu"], "es": ["desconocido", "edad desconocida"],
           "pt": ["desconhecido", "idade desconhecida", "ignorado"],
           "ar": ["غير معروف", "عمر غير معروف"]},
    "_Z": {"en": ["not applicable"], "fr": ["sans objet"], "es": ["no aplica"],
           "pt": ["não aplicável"], "ar": ["لا ينطبق"]},
}

OFFENCE_ALIASES = {
    "030221": {"en": ["CSAM", "child sexual abuse material", "child pornography",
                      "child abuse material", "indecent images of children", "IIOC",
                      "child sexual abuse images"],
               "fr": ["pornographie enfantine", "pédopornographie", "pornographie infantile",
                      "matériel d'abus sexuels sur enfants", "images pédopornographiques"],
               "es": ["pornografía infantil", "material de abuso sexual infantil", "MASI"],
               "pt": ["pornografia infantil", "material de abuso sexual infantil",
                      "pornografia de menores"],
               "ar": ["مواد الاعتداء الجنسي على الأطفال", "المواد الإباحية للأطفال",
                      "استغلال الأطفال في المواد الإباحية"]},
    "030223": {"en": ["grooming", "online grooming", "sexual grooming",
                      "sexual grooming of children", "solicitation of children",
                      "online solicitation of children"],
               "fr": ["pédopiégeage", "sollicitation d'enfants",
                      "sollicitation d'enfants à des fins sexuelles"],
               "es": ["acoso sexual de menores en línea", "aliciamiento",
                      "aliciamiento de menores", "embaucamiento de menores"],
               "pt": ["aliciamento", "aliciamento de crianças", "aliciamento online"],
               "ar": ["استدراج الأطفال", "الاستدراج عبر الإنترنت"]},
    "030222": {"en": ["child prostitution", "sexual exploitation of children in prostitution",
                      "exploitation of children in prostitution"],
               "fr": ["prostitution enfantine", "prostitution de mineurs"],
               "es": ["prostitución infantil"], "pt": ["prostituição infantil"],
               "ar": ["استغلال الأطفال في البغاء"]},
    "030229": {"en": ["other sexual exploitation of children"],
               "fr": ["autres formes d'exploitation sexuelle des enfants"],
               "es": ["otras formas de explotación sexual infantil"],
               "pt": ["outras formas de exploração sexual infantil"],
               "ar": ["أشكال أخرى من الاستغلال الجنسي للأطفال"]},
    "03022": {"en": ["sexual exploitation of children", "child sexual exploitation"],
              "fr": ["exploitation sexuelle des enfants"],
              "es": ["explotación sexual infantil", "explotación sexual de menores"],
              "pt": ["exploração sexual infantil", "exploração sexual de crianças"],
              "ar": ["الاستغلال الجنسي للأطفال"]},
    "0302": {"en": ["sexual exploitation"], "fr": ["exploitation sexuelle"],
             "es": ["explotación sexual"], "pt": ["exploração sexual"],
             "ar": ["الاستغلال الجنسي"]},
    "0301": {"en": ["sexual violence"], "fr": ["violence sexuelle", "violences sexuelles"],
             "es": ["violencia sexual"], "pt": ["violência sexual"], "ar": ["العنف الجنسي"]},
    "03011": {"en": ["rape"], "fr": ["viol"], "es": ["violación"],
              "pt": ["estupro", "violação"], "ar": ["الاغتصاب", "اغتصاب"]},
    "03012": {"en": ["sexual assault"], "fr": ["agression sexuelle"], "es": ["agresión sexual"],
              "pt": ["agressão sexual"], "ar": ["الاعتداء الجنسي"]},
    "03019": {"en": ["other acts of sexual violence"],
              "fr": ["autres actes de violence sexuelle"],
              "es": ["otros actos de violencia sexual"],
              "pt": ["outros atos de violência sexual"],
              "ar": ["أفعال أخرى من العنف الجنسي"]},
    "OTHER_ONLINE": {"en": ["sextortion", "sexual extortion", "livestreaming",
                            "livestreamed abuse", "live streaming of child sexual abuse",
                            "other online offences", "other online offenses"],
                     "fr": ["sextorsion", "extorsion sexuelle"],
                     "es": ["sextorsión", "extorsión sexual"],
                     "pt": ["sextorsão", "extorsão sexual"],
                     "ar": ["الابتزاز الجنسي"]},
    "_T": {"en": ["total", "all offences", "all offenses", "all OCSEA offences"],
           "fr": ["total", "toutes infractions", "toutes les infractions"],
           "es": ["total", "todos los delitos"], "pt": ["total", "todos os crimes"],
           "ar": ["المجموع", "جميع الجرائم"]},
    "_Z": {"en": ["not applicable"], "fr": ["sans objet"], "es": ["no aplica"],
           "pt": ["não aplicável"], "ar": ["لا ينطبق"]},
}

# Country-specific offence labels as they appear in national files (examples).
COUNTRY_OFFENCE_ALIASES = [
    ("KEN", "en", "Child pornography (Sec 16 Computer Misuse Act)", "030221"),
    ("KEN", "en", "Child pornography (Sec 24 Computer Misuse and Cybercrimes Act)", "030221"),
    ("KEN", "en", "Child pornography (Sec 16 Sexual Offences Act)", "030221"),
    ("PHL", "en", "Child pornography (RA 9775)", "030221"),
    ("FRA", "fr", "Détention d'images pédopornographiques", "030221"),
    ("FRA", "fr", "Propositions sexuelles à un mineur de 15 ans par voie électronique",
     "030223"),
    ("BRA", "pt", "Aliciamento de criança (art. 241-D ECA)", "030223"),
]

UNIT_ALIASES = {
    "NUMBER": {"en": ["number", "count", "counts", "no.", "cases", "reports", "offences",
                      "offenses", "contacts", "URLs", "awards", "companies", "sectors"],
               "fr": ["nombre", "cas", "signalements", "infractions"],
               "es": ["número", "cantidad", "casos", "denuncias", "delitos"],
               "pt": ["número", "quantidade", "casos", "denúncias", "crimes"],
               "ar": ["عدد", "العدد"]},
    "PERSONS": {"en": ["persons", "people", "children", "FTE", "individuals"],
                "fr": ["personnes", "enfants", "ETP"],
                "es": ["personas", "niños", "niños, niñas y adolescentes"],
                "pt": ["pessoas", "crianças"],
                "ar": ["أشخاص", "أطفال"]},
    "PCNT": {"en": ["%", "percent", "percentage", "pct", "per cent"],
             "fr": ["pourcentage", "pour cent"],
             "es": ["porcentaje", "por ciento"],
             "pt": ["porcentagem", "percentagem", "por cento"],
             "ar": ["نسبة مئوية", "النسبة المئوية"]},
    "RATE_100000": {"en": ["per 100,000", "per 100 000", "per 100000", "rate per 100,000",
                           "per 100,000 children"],
                    "fr": ["pour 100 000", "pour 100 000 enfants", "taux pour 100 000"],
                    "es": ["por 100.000", "por cada 100.000", "tasa por 100.000"],
                    "pt": ["por 100.000", "por 100 mil", "taxa por 100 mil"],
                    "ar": ["لكل 100,000", "لكل 100 ألف"]},
    "HOURS": {"en": ["hours", "hrs", "hour"], "fr": ["heures", "heure"],
              "es": ["horas", "hora"], "pt": ["horas"], "ar": ["ساعات", "ساعة"]},
    "DAYS": {"en": ["days", "day"], "fr": ["jours", "jour"], "es": ["días", "día"],
             "pt": ["dias"], "ar": ["أيام", "يوم"]},
    "BOOL": {"en": ["yes/no", "0/1", "binary", "boolean", "yes-no"],
             "fr": ["oui/non"], "es": ["sí/no"], "pt": ["sim/não"], "ar": ["نعم/لا"]},
    "CODE": {"en": ["category", "code", "categorical"], "fr": ["catégorie"],
             "es": ["categoría"], "pt": ["categoria"], "ar": ["فئة"]},
    "YEAR": {"en": ["year"], "fr": ["année"], "es": ["año"], "pt": ["ano"], "ar": ["سنة"]},
    "USD": {"en": ["US dollars", "dollars", "US$", "USD$"], "fr": ["dollars américains"],
            "es": ["dólares", "dólares estadounidenses"], "pt": ["dólares americanos"],
            "ar": ["دولار أمريكي"]},
}

OBS_STATUS_ALIASES = {
    "A": {"en": ["normal", "normal value", "final", "definitive"],
          "fr": ["valeur normale", "définitif", "définitive"],
          "es": ["valor normal", "definitivo"], "pt": ["definitivo", "valor normal"],
          "ar": ["عادي", "نهائي"]},
    "P": {"en": ["provisional", "preliminary", "prov."],
          "fr": ["provisoire", "préliminaire"], "es": ["provisional", "preliminar"],
          "pt": ["provisório", "provisória", "preliminar"], "ar": ["مؤقت", "أولي"]},
    "E": {"en": ["estimated", "estimate", "est."], "fr": ["estimé", "estimation", "estimée"],
          "es": ["estimado", "estimación"], "pt": ["estimado", "estimativa"],
          "ar": ["تقديري", "مقدر"]},
    "U": {"en": ["low reliability", "unreliable"], "fr": ["faible fiabilité"],
          "es": ["baja fiabilidad"], "pt": ["baixa fiabilidade", "baixa confiabilidade"],
          "ar": ["موثوقية منخفضة"]},
    "Q": {"en": ["suppressed", "confidential"], "fr": ["supprimé", "confidentiel"],
          "es": ["suprimido", "confidencial"], "pt": ["suprimido", "confidencial"],
          "ar": ["محجوب", "سري"]},
    "O": {"en": ["missing", "not available"], "fr": ["manquant", "non disponible"],
          "es": ["faltante", "no disponible"], "pt": ["em falta", "não disponível"],
          "ar": ["غير متوفر", "غير متاح"]},
    "B": {"en": ["break", "break in series", "series break"], "fr": ["rupture de série"],
          "es": ["ruptura de serie"], "pt": ["quebra de série"],
          "ar": ["انقطاع في السلسلة"]},
    "D": {"en": ["definition differs"], "fr": ["définition différente"],
          "es": ["definición diferente"], "pt": ["definição diferente"],
          "ar": ["تعريف مختلف"]},
    "V": {"en": ["unvalidated", "not validated"], "fr": ["non validé"],
          "es": ["no validado"], "pt": ["não validado"], "ar": ["غير مُتحقق منه"]},
}

# Country names in French, Spanish, Portuguese and Arabic (English names come from pycountry).
COUNTRY_NAMES = {
    "KEN": {"fr": ["Kenya"], "es": ["Kenia"], "pt": ["Quénia", "Quênia"], "ar": ["كينيا"]},
    "UGA": {"fr": ["Ouganda"], "es": ["Uganda"], "pt": ["Uganda"], "ar": ["أوغندا"]},
    "TZA": {"fr": ["Tanzanie", "République-Unie de Tanzanie"],
            "es": ["Tanzania", "República Unida de Tanzania"], "pt": ["Tanzânia"],
            "ar": ["تنزانيا", "جمهورية تنزانيا المتحدة"]},
    "PHL": {"fr": ["Philippines"], "es": ["Filipinas"], "pt": ["Filipinas"], "ar": ["الفلبين"]},
    "IDN": {"fr": ["Indonésie"], "es": ["Indonesia"], "pt": ["Indonésia"], "ar": ["إندونيسيا"]},
    "THA": {"fr": ["Thaïlande"], "es": ["Tailandia"], "pt": ["Tailândia"], "ar": ["تايلاند"]},
    "VNM": {"fr": ["Viet Nam", "Vietnam"], "es": ["Vietnam", "Viet Nam"],
            "pt": ["Vietname", "Vietnã"], "ar": ["فيتنام", "فييت نام"]},
    "KHM": {"fr": ["Cambodge"], "es": ["Camboya"], "pt": ["Camboja"], "ar": ["كمبوديا"]},
    "MYS": {"fr": ["Malaisie"], "es": ["Malasia"], "pt": ["Malásia"], "ar": ["ماليزيا"]},
    "ZAF": {"fr": ["Afrique du Sud"], "es": ["Sudáfrica"], "pt": ["África do Sul"],
            "ar": ["جنوب أفريقيا", "جنوب إفريقيا"]},
    "NAM": {"fr": ["Namibie"], "es": ["Namibia"], "pt": ["Namíbia"], "ar": ["ناميبيا"]},
    "ETH": {"fr": ["Éthiopie"], "es": ["Etiopía"], "pt": ["Etiópia"], "ar": ["إثيوبيا"]},
    "MOZ": {"fr": ["Mozambique"], "es": ["Mozambique"], "pt": ["Moçambique"],
            "ar": ["موزمبيق"]},
    "BRA": {"fr": ["Brésil"], "es": ["Brasil"], "pt": ["Brasil"], "ar": ["البرازيل"]},
    "MEX": {"fr": ["Mexique"], "es": ["México"], "pt": ["México"], "ar": ["المكسيك"]},
    "COL": {"fr": ["Colombie"], "es": ["Colombia"], "pt": ["Colômbia"], "ar": ["كولومبيا"]},
    "PER": {"fr": ["Pérou"], "es": ["Perú"], "pt": ["Peru"], "ar": ["بيرو"]},
    "FRA": {"fr": ["France"], "es": ["Francia"], "pt": ["França"], "ar": ["فرنسا"]},
    "SEN": {"fr": ["Sénégal"], "es": ["Senegal"], "pt": ["Senegal"], "ar": ["السنغال"]},
    "CIV": {"fr": ["Côte d'Ivoire"], "es": ["Costa de Marfil"], "pt": ["Costa do Marfim"],
            "ar": ["كوت ديفوار", "ساحل العاج"]},
    "MAR": {"fr": ["Maroc"], "es": ["Marruecos"], "pt": ["Marrocos"], "ar": ["المغرب"]},
    "TUN": {"fr": ["Tunisie"], "es": ["Túnez"], "pt": ["Tunísia"], "ar": ["تونس"]},
    "JOR": {"fr": ["Jordanie"], "es": ["Jordania"], "pt": ["Jordânia"], "ar": ["الأردن"]},
    "EGY": {"fr": ["Égypte"], "es": ["Egipto"], "pt": ["Egito", "Egipto"], "ar": ["مصر"]},
    "GBR": {"fr": ["Royaume-Uni"], "es": ["Reino Unido"], "pt": ["Reino Unido"],
            "ar": ["المملكة المتحدة"]},
    "PRT": {"fr": ["Portugal"], "es": ["Portugal"], "pt": ["Portugal"], "ar": ["البرتغال"]},
    "AGO": {"fr": ["Angola"], "es": ["Angola"], "pt": ["Angola"], "ar": ["أنغولا"]},
    "ESP": {"fr": ["Espagne"], "es": ["España"], "pt": ["Espanha"], "ar": ["إسبانيا"]},
    "IND": {"fr": ["Inde"], "es": ["India"], "pt": ["Índia"], "ar": ["الهند"]},
    "PAK": {"fr": ["Pakistan"], "es": ["Pakistán"], "pt": ["Paquistão"], "ar": ["باكستان"]},
}
# Extra English variants found in national and international files.
EXTRA_EN_COUNTRY_NAMES = {
    "GBR": ["UK", "Great Britain"], "USA": ["USA", "US", "United States of America"],
    "CIV": ["Ivory Coast", "Cote d'Ivoire"], "COD": ["DR Congo", "DRC"],
    "TUR": ["Turkey"], "CZE": ["Czech Republic"], "SWZ": ["Swaziland"],
    "MKD": ["Macedonia"], "CPV": ["Cape Verde"], "TLS": ["East Timor"],
}


def normalise(text: str) -> str:
    """Alias matching key: strip accents, lowercase, collapse non-alphanumeric runs, trim.

    Arabic letters are letters for this purpose (str.isalnum / \\w are Unicode-aware).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", " ", stripped.lower()).strip()


def alias_candidates(coco: dict[str, dict]) -> list[tuple[str, str, str, str, str]]:
    """All (kind, alias, code, language, country) before de-duplication, in priority order."""
    out: list[tuple[str, str, str, str, str]] = []

    def add_table(kind: str, table: dict) -> None:
        for code, by_lang in table.items():
            for lang, labels in by_lang.items():
                for label in labels:
                    out.append((kind, label, code, lang, ""))

    add_table("column", COLUMN_ALIASES)
    for field in COLUMN_ALIASES:  # the canonical field name itself
        out.append(("column", field, field, "code", ""))

    # indicators: code, English name, translations, variants
    for ind in INDICATORS:
        code = ind["code"]
        out.append(("indicator", code, code, "code", ""))
        out.append(("indicator", ind["name"], code, "en", ""))
        for lang in ("fr", "es", "pt", "ar"):
            out.append(("indicator", ind[lang], code, lang, ""))
        for lang, label in ind["more"]:
            out.append(("indicator", label, code, lang, ""))

    for code, _ in CL_SEX:
        out.append(("sex", code, code, "code", ""))
    out += [("sex", "F", "F", "code", ""), ("sex", "M", "M", "code", "")]
    add_table("sex", SEX_ALIASES)

    for code, *_ in CL_AGE:
        out.append(("age", code, code, "code", ""))
    add_table("age", AGE_ALIASES)

    for code, *_ in CL_OFFENCE:
        out.append(("offence", code, code, "code", ""))
    add_table("offence", OFFENCE_ALIASES)
    for country, lang, label, code in COUNTRY_OFFENCE_ALIASES:
        out.append(("offence", label, code, lang, country))

    for code, _ in CL_UNIT_MEASURE:
        out.append(("unit", code, code, "code", ""))
    add_table("unit", UNIT_ALIASES)

    for code, _ in CL_OBS_STATUS:
        out.append(("obs_status", code, code, "code", ""))
    add_table("obs_status", OBS_STATUS_ALIASES)

    # reference areas: codes, pycountry names, country_converter short/official names,
    # hand-written names in other languages
    for c in pycountry.countries:
        iso3 = c.alpha_3
        out.append(("ref_area", iso3, iso3, "code", ""))
        out.append(("ref_area", c.alpha_2, iso3, "code", ""))
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                out.append(("ref_area", value, iso3, "en", ""))
        cc = coco.get(iso3)
        if cc:
            for col in ("name_short", "name_official"):
                if cc.get(col):
                    out.append(("ref_area", cc[col], iso3, "en", ""))
        for name in EXTRA_EN_COUNTRY_NAMES.get(iso3, []):
            out.append(("ref_area", name, iso3, "en", ""))
        for lang, names in COUNTRY_NAMES.get(iso3, {}).items():
            for name in names:
                out.append(("ref_area", name, iso3, lang, ""))
    out += translated_country_names(out)
    return out


def translated_country_names(declared) -> list[tuple[str, str, str, str, str]]:
    """Every country's name in French, Spanish, Portuguese and Arabic, from the ISO 3166 translations that
    pycountry ships (Debian iso-codes). A translation that would collide with a label already declared for
    another code is left out (the hand-written names win)."""
    taken = {normalise(a): c for k, a, c, _l, cty in declared if k == "ref_area" and not cty}
    out = []
    for lang in ("fr", "es", "pt", "ar"):
        tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for c in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                value = getattr(c, attr, None)
                if not value:
                    continue
                label = tr.gettext(value)
                key = normalise(label)
                if label == value or not key or taken.get(key, c.alpha_3) != c.alpha_3:
                    continue
                taken[key] = c.alpha_3
                out.append(("ref_area", label, c.alpha_3, lang, ""))
    return out


def alias_rows(coco: dict[str, dict]) -> list[list]:
    """De-duplicate on (kind, normalised alias, country): one row per matching key.

    The first spelling declared is kept; if the same key is declared in several languages
    (e.g. Spanish and Portuguese "total") the language becomes "any".
    """
    problems = check_aliases(alias_candidates(coco))
    if problems:
        raise SystemExit("ambiguous or empty aliases:\n  " + "\n  ".join(problems))
    kept: dict[tuple[str, str, str], list] = {}
    for kind, alias, code, lang, country in alias_candidates(coco):
        key = (kind, normalise(alias) or alias.strip(), country)
        if key not in kept:
            kept[key] = [kind, alias, code, lang, country]
        elif kept[key][3] != lang and "code" not in (kept[key][3], lang):
            kept[key][3] = "any"
    return sorted(kept.values(), key=lambda r: (r[0], r[2], r[4], normalise(r[1]) or r[1]))


def check_aliases(candidates) -> list[str]:
    """Each (kind, normalised alias, country) must map to exactly one code.

    Aliases that normalise to an empty string ("%") are keyed on their stripped raw text,
    so consumers must fall back to an exact match for them.
    """
    seen: dict[tuple[str, str, str], set[str]] = {}
    labels: dict[tuple[str, str, str], set[str]] = {}
    problems = []
    for kind, alias, code, _lang, country in candidates:
        norm = normalise(alias)
        if not alias.strip():
            problems.append(f"empty alias for {kind} {code}")
        key = (kind, norm or alias.strip(), country)
        seen.setdefault(key, set()).add(code)
        labels.setdefault(key, set()).add(alias)
    for key, codes in sorted(seen.items()):
        if len(codes) > 1:
            problems.append(f"{key} -> {sorted(codes)} (from {sorted(labels[key])})")
    return problems


# --------------------------------------------------------------------------------------------
# 7. Writing
# --------------------------------------------------------------------------------------------

def fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        assert len(row) == len(header), (header, row)
        writer.writerow([fmt(v) for v in row])
    return buf.getvalue()


def build() -> dict[str, str]:
    coco = coco_rows()
    files = {
        "mnr_domains.csv": to_csv(
            ["domain_code", "domain_name", "outcome", "sort_order"],
            [[c, n, o, i] for i, (c, n, o) in enumerate(DOMAINS, start=1)]),
        "mnr_capabilities.csv": to_csv(
            ["capability", "capability_name", "domain_code", "outcome"],
            [list(c) for c in CAPABILITIES]),
        "indicators.csv": to_csv(
            ["indicator_code", "indicator_name", "mnr_domain", "mnr_capability",
             "related_capabilities", "indicator_type", "unit", "unit_measure",
             "disaggregations", "min_value", "max_value", "is_child_person_count",
             "yoy_tolerance_pct", "is_extension", "is_restricted", "required_flag",
             "description"],
            indicator_rows()),
        "indicator_names.csv": to_csv(["indicator_code", "language", "name"], indicator_name_rows()),
        "indicator_categories.csv": to_csv(
            ["indicator_code", "value", "category_code", "category_label"], category_rows()),
        "indicator_relations.csv": to_csv(
            ["rule_id", "relation", "lhs_indicator", "rhs_indicator", "severity", "message"],
            relation_rows()),
        "ref_areas.csv": to_csv(
            ["ref_area", "iso2", "m49_code", "name", "m49_region", "m49_subregion"],
            ref_area_rows(coco)),
        "cl_sex.csv": to_csv(["code", "label"], sorted(map(list, CL_SEX))),
        "cl_age.csv": to_csv(
            ["code", "label", "age_lower", "age_upper", "is_child_band"],
            sorted([c, lbl, lo, hi, hi is not None and hi <= 17] for c, lbl, lo, hi in CL_AGE)),
        "cl_offence.csv": to_csv(["code", "label", "parent"], sorted(map(list, CL_OFFENCE))),
        "cl_obs_status.csv": to_csv(["code", "label"], sorted(map(list, CL_OBS_STATUS))),
        "cl_obs_conf.csv": to_csv(["code", "label"], sorted(map(list, CL_OBS_CONF))),
        "cl_unit_measure.csv": to_csv(["code", "label"], sorted(map(list, CL_UNIT_MEASURE))),
        "aliases.csv": to_csv(["kind", "alias", "code", "language", "country"],
                              alias_rows(coco)),
    }
    self_check(files)
    return files


def self_check(files: dict[str, str]) -> None:
    """Cheap integrity checks across the generated tables."""
    def read(name):
        return list(csv.DictReader(io.StringIO(files[name])))

    inds = {r["indicator_code"]: r for r in read("indicators.csv")}
    assert len(read("mnr_domains.csv")) == 6 and len(read("mnr_capabilities.csv")) == 21
    assert len(inds) == len(INDICATORS), "duplicate indicator codes"
    units = {r["code"] for r in read("cl_unit_measure.csv")}
    for code, r in inds.items():
        assert r["unit_measure"] in units, code
        assert r["required_flag"] in ("", *inds), code
        if r["indicator_type"] in ("categorical", "ordinal"):
            assert code in CATEGORIES or code in ORDINALS, code
    for r in read("indicator_relations.csv"):
        assert r["lhs_indicator"] in inds and r["rhs_indicator"] in inds, r["rule_id"]
    flags = {(r["lhs_indicator"], r["rhs_indicator"]) for r in read("indicator_relations.csv")
             if r["relation"] == "requires"}
    for code, flag in REQUIRED_FLAG.items():
        assert (code, flag) in flags, code
    offences = {r["code"] for r in read("cl_offence.csv")}
    for r in read("cl_offence.csv"):
        assert r["parent"] in ("", *offences), r
    known = {
        "indicator": set(inds), "sex": {c for c, _ in CL_SEX},
        "age": {c for c, *_ in CL_AGE}, "offence": offences, "unit": units,
        "obs_status": {c for c, _ in CL_OBS_STATUS},
        "ref_area": {r["ref_area"] for r in read("ref_areas.csv")},
        "column": set(COLUMN_ALIASES),
    }
    for r in read("aliases.csv"):
        assert r["code"] in known[r["kind"]], r
        assert r["language"] in (*LANGS, "code", "any"), r
        assert r["country"] in ("", *known["ref_area"]), r
    alias_of = {normalise(r["alias"]): r["code"] for r in read("aliases.csv") if r["kind"] == "indicator"}
    for r in read("indicator_names.csv"):
        assert alias_of.get(normalise(r["name"])) == r["indicator_code"], r
        assert r["language"] != "en" or r["name"] == inds[r["indicator_code"]]["indicator_name"], r


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if any seed file on disk is out of date")
    parser.add_argument("--out", type=Path, default=SEEDS_DIR, help="output folder")
    args = parser.parse_args(argv)
    files = build()
    stale = []
    for name, text in files.items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        print(f"{name}: {text.count(chr(10)) - 1} rows")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run seeds/_build/build_seeds.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
