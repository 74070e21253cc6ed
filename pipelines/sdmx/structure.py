"""The SDMX structures of the published observations: dataflow MNR:DF_MNR_OCSEA(1.0.0), its data structure
DSD_MNR_OCSEA, the concept scheme CS_MNR_OCSEA and a code list for every coded component.

Everything comes from the definitions the rest of the system uses: the code lists from seeds/ (through
pipelines.reference); the columns, their descriptions and which attributes are mandatory (the not-null ones)
from the harmonised schema's declaration (pipelines/schema.py: the dbt contract and docs of the observations);
the concepts' ids, roles and names, which are SDMX's own, here. The SDMX-ML 2.1
structure message is written by pysdmx; what pysdmx cannot write is added to its output (see `structure_message`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from pipelines.reference import read_seed
from pipelines.schema import OBSERVATIONS

AGENCY = "MNR"
VERSION = "1.0.0"
DATAFLOW = "DF_MNR_OCSEA"
DSD = "DSD_MNR_OCSEA"
CONCEPT_SCHEME = "CS_MNR_OCSEA"
DATAFLOW_NAME = "Administrative data on online child sexual exploitation and abuse (MNR Data Hub)"
DATAFLOW_URN = f"{AGENCY}:{DATAFLOW}({VERSION})"


@dataclass(frozen=True)
class Concept:
    id: str           # the SDMX concept and component id
    column: str       # its column in published.observations
    role: str         # dimension, time, measure, attribute
    name: str
    codelist: str | None = None

    @property
    def mandatory(self) -> bool:
        """Attributes: Mandatory where the column is never null, else Conditional."""
        return OBSERVATIONS.column(self.column).not_null


# The data structure, in its order (DESIGN.md section 11): dimensions, the time dimension, the measure, the
# attributes, all attached to the observation (each published cell carries its own).
CONCEPTS = (
    Concept("REF_AREA", "ref_area", "dimension", "Reference area", "CL_REF_AREA"),
    Concept("INDICATOR", "indicator_code", "dimension", "Indicator", "CL_INDICATOR"),
    Concept("SEX", "sex", "dimension", "Sex", "CL_SEX"),
    Concept("AGE", "age", "dimension", "Age", "CL_AGE"),
    Concept("OFFENCE", "offence", "dimension", "Offence", "CL_OFFENCE"),
    Concept("TIME_PERIOD", "time_period", "time", "Time period"),
    Concept("OBS_VALUE", "obs_value", "measure", "Observation value"),
    Concept("UNIT_MEASURE", "unit_measure", "attribute", "Unit of measure", "CL_UNIT_MEASURE"),
    Concept("OBS_STATUS", "obs_status", "attribute", "Observation status", "CL_OBS_STATUS"),
    Concept("OBS_CONF", "obs_conf", "attribute", "Observation confidentiality", "CL_OBS_CONF"),
    Concept("COMMENT", "comment", "attribute", "Comment"),
    Concept("MNR_DOMAIN", "mnr_domain", "attribute", "MNR domain", "CL_MNR_DOMAIN"),
    Concept("MNR_CAPABILITY", "mnr_capability", "attribute", "MNR capability", "CL_MNR_CAPABILITY"),
    Concept("SUBMISSION_ID", "submission_id", "attribute", "Submission"),
    Concept("SOURCE_REF", "source_ref", "attribute", "Source reference"),
)
DIMENSIONS = tuple(c for c in CONCEPTS if c.role == "dimension")   # the key's positions, in order
ATTRIBUTES = tuple(c for c in CONCEPTS if c.role == "attribute")
BY_ID = {c.id: c for c in CONCEPTS}
if sorted(c.column for c in CONCEPTS) != sorted(OBSERVATIONS.names):
    raise ImportError("every column of the harmonised schema is one SDMX component: "
                      f"{sorted(set(OBSERVATIONS.names) ^ {c.column for c in CONCEPTS})}")

CODELIST_NAMES = {
    "CL_REF_AREA": "Reference areas (ISO 3166-1 alpha-3)",
    "CL_INDICATOR": "Indicators of the MNR indicator catalogue",
    "CL_SEX": "Sex",
    "CL_AGE": "Age bands",
    "CL_OFFENCE": "Offences (ICCS-based)",
    "CL_UNIT_MEASURE": "Units of measure",
    "CL_OBS_STATUS": "Observation status",
    "CL_OBS_CONF": "Confidentiality status",
    "CL_MNR_DOMAIN": "Domains of the WeProtect Model National Response",
    "CL_MNR_CAPABILITY": "Capabilities of the WeProtect Model National Response",
}
LANGUAGES = ("en", "fr", "es", "pt", "ar")


@dataclass(frozen=True)
class Code:
    id: str
    names: dict[str, str]          # language -> name; English always there
    description: str | None = None
    parent: str | None = None


def descriptions() -> dict[str, str]:
    """Column -> description (the dbt docs of the observations' columns)."""
    return {c.name: c.description for c in OBSERVATIONS.columns}


def restricted_indicators() -> frozenset[str]:
    """Indicators that never leave the hub (the MNR maturity self-assessment): not in CL_INDICATOR, never served,
    as they never enter a release."""
    return frozenset(r["indicator_code"] for r in read_seed("indicators") if r["is_restricted"] == "true")


@lru_cache(maxsize=None)
def codelists() -> dict[str, tuple[Code, ...]]:
    """Every code list of the data structure, from the seeds."""
    def plain(seed: str, code: str = "code", label: str = "label") -> tuple[Code, ...]:
        return tuple(Code(r[code], {"en": r[label]}) for r in read_seed(seed))

    names: dict[str, dict[str, str]] = {}
    for r in read_seed("indicator_names"):
        names.setdefault(r["indicator_code"], {})[r["language"]] = r["name"]
    hidden = restricted_indicators()
    indicators = tuple(
        Code(r["indicator_code"], {lang: names[r["indicator_code"]][lang] for lang in LANGUAGES
                                   if lang in names.get(r["indicator_code"], {})} or {"en": r["indicator_name"]},
             r["description"] or None)
        for r in read_seed("indicators") if r["indicator_code"] not in hidden)
    return {
        "CL_REF_AREA": tuple(Code(r["ref_area"], {"en": r["name"]}) for r in read_seed("ref_areas")),
        "CL_INDICATOR": indicators,
        "CL_SEX": plain("cl_sex"),
        "CL_AGE": plain("cl_age"),
        "CL_OFFENCE": _parents_first([Code(r["code"], {"en": r["label"]}, parent=r["parent"] or None)
                                      for r in read_seed("cl_offence")]),
        "CL_UNIT_MEASURE": plain("cl_unit_measure"),
        "CL_OBS_STATUS": plain("cl_obs_status"),
        "CL_OBS_CONF": plain("cl_obs_conf"),
        "CL_MNR_DOMAIN": tuple(Code(r["domain_code"], {"en": r["domain_name"]}, r["outcome"] or None)
                               for r in read_seed("mnr_domains")),
        "CL_MNR_CAPABILITY": tuple(Code(r["capability"], {"en": r["capability_name"]}, r["outcome"] or None)
                                   for r in sorted(read_seed("mnr_capabilities"), key=lambda r: int(r["capability"]))),
    }


def _parents_first(codes: list[Code]) -> tuple[Code, ...]:
    """The codes of a hierarchy, each after its parent (sdmx1 turns a parent written after its child into a stray
    code list of its own)."""
    out: list[Code] = []

    def add(parent: str | None) -> None:
        for c in codes:
            if c.parent == parent:
                out.append(c)
                add(c.id)

    add(None)
    assert len(out) == len(codes), "a code whose parent is not in its code list"
    return tuple(out)


def code_ids(codelist: str) -> frozenset[str]:
    return frozenset(c.id for c in codelists()[codelist])


# ------------------------------------------------------------------------------------------ pysdmx objects
def _urn(kind: str, ident: str) -> str:
    return f"urn:sdmx:org.sdmx.infomodel.{kind}={AGENCY}:{ident}({VERSION})"


def _pysdmx_codelist(cl_id: str, only: frozenset[str] | None = None):
    from pysdmx.model import Code as PCode, Codelist

    items = [PCode(id=c.id, name=c.names["en"], description=c.description,
                   urn=_urn("codelist.Code", cl_id) + f".{c.id}")
             for c in codelists()[cl_id] if only is None or c.id in only]
    return Codelist(id=cl_id, agency=AGENCY, version=VERSION, name=CODELIST_NAMES[cl_id], items=items,
                    is_final=False, is_partial=only is not None, urn=_urn("codelist.Codelist", cl_id))


def _pysdmx_concept_scheme(only: frozenset[str] | None = None):
    from pysdmx.model import Concept as PConcept, ConceptScheme

    docs = descriptions()
    items = [PConcept(id=c.id, name=c.name, description=docs.get(c.column),
                      urn=_urn("conceptscheme.Concept", CONCEPT_SCHEME) + f".{c.id}")
             for c in CONCEPTS if only is None or c.id in only]
    return ConceptScheme(id=CONCEPT_SCHEME, agency=AGENCY, version=VERSION, name="Concepts of the MNR Data Hub",
                         items=items, is_final=False, is_partial=only is not None,
                         urn=_urn("conceptscheme.ConceptScheme", CONCEPT_SCHEME))


def _pysdmx_dsd():
    from pysdmx.model import (Component, Components, Concept as PConcept, DataStructureDefinition, DataType,
                              Role)

    comps = []
    for c in CONCEPTS:
        concept = PConcept(id=c.id, urn=_urn("conceptscheme.Concept", CONCEPT_SCHEME) + f".{c.id}")
        role = {"dimension": Role.DIMENSION, "time": Role.DIMENSION, "measure": Role.MEASURE,
                "attribute": Role.ATTRIBUTE}[c.role]
        dtype = {"time": DataType.PERIOD, "measure": DataType.DOUBLE}.get(c.role)
        if dtype is None and not c.codelist:
            dtype = DataType.STRING
        comps.append(Component(
            id=c.id, required=c.role != "attribute" or c.mandatory, role=role, concept=concept,
            local_dtype=dtype, local_codes=_pysdmx_codelist(c.codelist) if c.codelist else None,
            attachment_level="O" if c.role == "attribute" else None,
            urn=_urn({"dimension": "datastructure.Dimension", "time": "datastructure.TimeDimension",
                      "measure": "datastructure.PrimaryMeasure", "attribute": "datastructure.DataAttribute"}[c.role],
                     DSD) + f".{c.id}"))
    return DataStructureDefinition(id=DSD, agency=AGENCY, version=VERSION, name=DATAFLOW_NAME,
                                   components=Components(comps), is_final=False,
                                   urn=_urn("datastructure.DataStructure", DSD))


def _pysdmx_dataflow():
    from pysdmx.model import Dataflow

    return Dataflow(id=DATAFLOW, agency=AGENCY, version=VERSION, name=DATAFLOW_NAME,
                    description=("Harmonised, quality-gated and disclosure-controlled administrative statistics on "
                                 "online child sexual exploitation and abuse, indexed by the WeProtect Model National "
                                 "Response. Suppressed cells have no value and OBS_STATUS Q."),
                    structure=f"DataStructure={AGENCY}:{DSD}({VERSION})", is_final=False,
                    urn=_urn("datastructure.Dataflow", DATAFLOW))


# ------------------------------------------------------------------------------------------ the artefacts
# (kind as the REST API names it, id) of every maintainable artefact served, and what each references.
ARTEFACTS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("dataflow", DATAFLOW): (("datastructure", DSD),),
    ("datastructure", DSD): (("conceptscheme", CONCEPT_SCHEME),
                             *(("codelist", cl) for cl in CODELIST_NAMES)),
    ("conceptscheme", CONCEPT_SCHEME): (),
    **{("codelist", cl): () for cl in CODELIST_NAMES},
}


def references(artefact: tuple[str, str], which: str) -> list[tuple[str, str]]:
    """The artefacts `?references=` adds to one (SDMX 2.1 REST: none, parents, parentsandsiblings, children,
    descendants, all, or a kind of artefact: the descendants and parents of that kind)."""
    def children(a):
        return list(ARTEFACTS[a])

    def descendants(a):
        out, todo = [], children(a)
        while todo:
            x = todo.pop(0)
            if x not in out:
                out.append(x)
                todo += children(x)
        return out

    def parents(a):
        return [p for p, kids in ARTEFACTS.items() if a in kids]

    if which == "none":
        return []
    if which == "children":
        return children(artefact)
    if which == "descendants":
        return descendants(artefact)
    if which == "parents":
        return parents(artefact)
    siblings = [s for p in parents(artefact) for s in [p, *children(p)] if s != artefact]
    if which == "parentsandsiblings":
        return list(dict.fromkeys(siblings))
    if which == "all":
        return list(dict.fromkeys(siblings + descendants(artefact)))
    # a kind of artefact (codelist, conceptscheme, datastructure, dataflow)
    return [a for a in dict.fromkeys(descendants(artefact) + parents(artefact)) if a[0] == which]


def pysdmx_artefact(artefact: tuple[str, str], items: frozenset[str] | None = None):
    kind, ident = artefact
    if kind == "dataflow":
        return _pysdmx_dataflow()
    if kind == "datastructure":
        return _pysdmx_dsd()
    if kind == "conceptscheme":
        return _pysdmx_concept_scheme(items)
    return _pysdmx_codelist(ident, items)


# ------------------------------------------------------------------------------------------ the message
NS = {
    "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def message_id(prefix: str) -> str:
    return f"{prefix}_{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S%f')}"


def structure_message(artefacts: list[tuple[str, str]], items: frozenset[str] | None = None,
                      prepared: datetime | None = None) -> bytes:
    """An SDMX-ML 2.1 structure message holding these artefacts (a part of an item scheme's items with `items`).

    pysdmx writes it; two things it cannot write are then added to its tree: the indicators' names in the other
    languages of the catalogue (pysdmx names are one English string) and the parents of the offence codes (its
    code lists are flat)."""
    from pysdmx.io.xml.sdmx21.writer.structure import write
    from pysdmx.model import Organisation
    from pysdmx.model.message import Header

    objects = [pysdmx_artefact(a, items) for a in artefacts]
    header = Header(id=message_id("MNR_STRUCTURE"), test=False, sender=Organisation(id=AGENCY),
                    prepared=prepared or datetime.now(timezone.utc))
    text = write(objects, prettyprint=False, header=header)
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    root = ET.fromstring(text.encode("utf-8"))
    by_list = {c: {code.id: code for code in codes} for c, codes in codelists().items()}
    for cl in root.iter(f"{{{NS['str']}}}Codelist"):
        known = by_list.get(cl.get("id"), {})
        for el in cl.findall(f"{{{NS['str']}}}Code"):
            code = known.get(el.get("id"))
            if code is None:
                continue
            children = list(el)
            after = max((i for i, ch in enumerate(children) if ch.tag == f"{{{NS['com']}}}Name"), default=-1)
            for offset, lang in enumerate(lang for lang in code.names if lang != "en"):
                name = ET.Element(f"{{{NS['com']}}}Name", {XML_LANG: lang})
                name.text = code.names[lang]
                el.insert(after + 1 + offset, name)
            if code.parent:
                parent = ET.SubElement(el, f"{{{NS['str']}}}Parent")
                ET.SubElement(parent, "Ref", {"id": code.parent})
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
