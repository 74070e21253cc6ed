"""The static HTML pages the system writes (feedback reports, country profiles): templates always escaped, and a
content security policy in every page.

A report is shared by e-mail and opened from disk, where no server sends headers, so the policy travels in the
page as a meta tag: no script at all (the pages ship none), no network, styles only those of the page itself
(by hash), images only inline. Text from a submitted file that got past the escaping could therefore still not
run or load anything.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader

_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_CHARSET = '<meta charset="utf-8">'


def environment(templates: Path) -> Environment:
    """Every template escaped, whatever its file name (select_autoescape went by the extension, and missed
    report.html.j2)."""
    return Environment(loader=FileSystemLoader(templates), autoescape=True)


def policy(html: str) -> str:
    """The content security policy of a page: nothing but its own inline styles and inline images."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                      for s in _STYLE.findall(html))
    return (f"default-src 'none'; script-src 'none'; style-src {hashes or repr('none')}; "
            "img-src data:; font-src 'none'; connect-src 'none'; object-src 'none'; base-uri 'none'; "
            "form-action 'none'")


def with_policy(html: str) -> str:
    """The page with its policy as the first thing after the charset (before anything it governs)."""
    if _CHARSET not in html:
        raise ValueError("a page template must start its head with <meta charset=\"utf-8\">")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy(html)}">'
    return html.replace(_CHARSET, _CHARSET + "\n" + meta, 1)
