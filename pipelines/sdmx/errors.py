"""SDMX errors and the SDMX-ML 2.1 error message (SDMX 2.1 REST, "Error handling": each SDMX error code has its
HTTP status, and the body says what was wrong)."""

from __future__ import annotations

from xml.sax.saxutils import escape

ERROR_CONTENT_TYPE = "application/vnd.sdmx.error+xml;version=2.1"

# SDMX error code -> (HTTP status, title)
CODES = {
    100: (404, "No results found"),
    140: (400, "Syntax error"),
    150: (403, "Semantic error"),
    406: (406, "Not acceptable"),
    500: (500, "Internal server error"),
    501: (501, "Not implemented"),
    503: (503, "Service unavailable"),
}


class SdmxError(Exception):
    """An answer other than data: `code` is the SDMX error code, `message` what to do about it."""

    def __init__(self, code: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code, self.message, self.headers = code, message, headers or {}

    @property
    def status(self) -> int:
        return CODES[self.code][0]

    def body(self) -> bytes:
        return error_message(self.code, self.message)


def no_results(message: str) -> SdmxError:
    return SdmxError(100, message)


def bad_syntax(message: str) -> SdmxError:
    return SdmxError(140, message)


def not_implemented(message: str) -> SdmxError:
    return SdmxError(501, message)


def not_acceptable(message: str) -> SdmxError:
    return SdmxError(406, message)


def error_message(code: int, text: str) -> bytes:
    """<message:Error> with one ErrorMessage (written here: pysdmx 1.21's SDMX-ML 2.1 error writer writes nothing)."""
    title = CODES.get(code, (500, "Error"))[1]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<message:Error xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message" '
        'xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common">'
        f'<message:ErrorMessage code="{code}">'
        f'<common:Text xml:lang="en">{escape(title)}: {escape(text)}</common:Text>'
        "</message:ErrorMessage></message:Error>\n"
    ).encode("utf-8")
