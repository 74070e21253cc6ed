"""Findings and verdicts (DESIGN.md section 6; the findings document is a contract)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

SEVERITIES = ("error", "warning", "info")
FINDING_FIELDS = (
    "rule_id", "level", "severity", "message", "sheet", "row", "column", "value", "expected",
    "indicator_code", "time_period",
)
# Optional fields added to the findings document (contract extension): a warning the country explained with a
# comment on the same row is acknowledged; it still counts as a warning and still makes the verdict
# accepted_with_warnings (the verdict rule is the contract), the report shows it as acknowledged.
OPTIONAL_FIELDS = ("acknowledged", "acknowledgement")
# Kept in the warehouse only: the observation a finding is about, to match comments and draw its series, and
# the message's id and parameters (JSON), so that a report in another language can say it in its own.
STORED_FIELDS = (*FINDING_FIELDS, *OPTIONAL_FIELDS, "obs_key", "source_ref", "message_id", "message_params")


@dataclass
class Finding:
    rule_id: str
    level: int
    severity: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None
    indicator_code: str | None = None
    time_period: int | None = None
    acknowledged: bool = False
    acknowledgement: str | None = None
    obs_key: str | None = None          # indicator|year|sex|age|offence
    source_ref: str | None = None       # the cell in the file (lineage), e.g. Sheet1!D7
    message_id: str | None = None       # the message's text in each language: messages/<lang>.json finding.<id>
    message_params: str | None = None   # its parameters, as JSON
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")


def message(message_id: str, **params) -> dict:
    """The message fields of a Finding, from the message's id and parameters (texts: pipelines/feedback/messages/):
    Finding(rule_id=..., **message("UNKNOWN_SEX", value="x"), ...)."""
    from pipelines.feedback.i18n import finding_text

    params = {k: "" if v is None else v for k, v in params.items()}
    return {"message": finding_text(message_id, **params), "message_id": message_id,
            "message_params": json.dumps(params, ensure_ascii=False, sort_keys=True, default=str)}


def counts(findings: list[Finding] | list[dict]) -> dict[str, int]:
    c = {s: 0 for s in SEVERITIES}
    for f in findings:
        c[f["severity"] if isinstance(f, dict) else f.severity] += 1
    return c


def verdict(c: dict[str, int]) -> str:
    """rejected if any error, accepted_with_warnings if any warning, else accepted (contract)."""
    if c.get("error", 0):
        return "rejected"
    if c.get("warning", 0):
        return "accepted_with_warnings"
    return "accepted"
