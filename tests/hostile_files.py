"""Files that have stopped whole runs, generated for the tests that attack each guard (nothing third-party).

- a 2 KB workbook whose cells carry no references: a row numbered 1,048,576 holding 16,384 cells, which
  calamine (placing each unreferenced cell after the one before) sizes as a 17-billion-cell grid, asks for
  512 GiB and aborts the process;
- JSON with a value of 5,000 digits (Python's int() refuses more than 4,300);
- JSON whose records hold 80,000 distinct keys (collecting the header in a list took time growing with the square
  of their number).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def _inline(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def workbook_without_cell_references(path: Path) -> Path:
    rows = ("<row>" + "".join(map(_inline, ("indicator", "time_period", "value"))) + "</row>"
            "<row>" + _inline("CJ_PROSECUTIONS") + "<c><v>2022</v></c><c><v>41</v></c></row>"
            '<row r="1048576">' + "<c><v>1</v></c>" * 16384 + "</row>")
    parts = {
        "[Content_Types].xml":
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
            '/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels":
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml":
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml":
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><sheetData>{rows}</sheetData>'
            "</worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def json_with_a_long_number(path: Path, digits: int = 5000) -> Path:
    path.write_text('[{"indicator": "CJ_PROSECUTIONS", "time_period": 2022, "value": ' + "9" * digits + "}]")
    return path


def json_with_many_keys(path: Path, keys: int = 80_000) -> Path:
    path.write_text(json.dumps([{"indicator": "CJ_PROSECUTIONS", "time_period": 2022, "value": 1, f"note_{i}": i}
                                for i in range(keys)]))
    return path
