"""The `/docs` page: an OpenAPI document rendered server-side as one self-contained HTML page.

No script and no external asset (the page must work with no internet): every operation with its
parameters, request body and responses, then every schema as JSON, linked by anchors.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

_REF = re.compile(r"&quot;#/components/schemas/([^&]+)&quot;")
_CODE = re.compile(r"`([^`\n]+)`")

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#222}
h1{margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:1px solid #ddd}
section.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.method{display:inline-block;min-width:4.5rem;font-weight:700;font-family:monospace}
.get{color:#0a6}.post{color:#06c}.put{color:#a60}.patch{color:#a0a}.delete{color:#c22}
.auth{font-size:.8rem;background:#eee;border-radius:4px;padding:0 .4rem;margin-left:.5rem}
table{border-collapse:collapse;margin:.3rem 0}td,th{border:1px solid #ddd;padding:.2rem .6rem;
text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:.6rem;overflow:auto}
code{font-family:monospace}
"""


def render_docs_page(document: dict[str, Any], json_url: str) -> str:
    info = document["info"]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_text(info['title'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_text(info['title'])}</h1>",
        f"<p>Version {_text(info['version'])} · OpenAPI {_text(document['openapi'])} · "
        f'the document as JSON: <a href="{_text(json_url)}">{_text(json_url)}</a></p>',
        f"<p>{_text(info.get('description', ''))}</p>",
        "<h2>Operations</h2>",
    ]
    for path, methods in document["paths"].items():
        for method, described in methods.items():
            parts.append(_operation(path, method, described))
    parts.append("<h2>Schemas</h2>")
    for name, schema in document["components"]["schemas"].items():
        parts.append(f'<h3 id="schema-{_text(name)}">{_text(name)}</h3>{_json(schema)}')
    parts.append("</body></html>")
    return "\n".join(parts)


def _operation(path: str, method: str, described: dict[str, Any]) -> str:
    auth = ""
    if described.get("security"):
        role = described.get("x-required-role")
        auth = f'<span class="auth">{"admin token" if role else "bearer token"}</span>'
    parts = [
        f'<section class="op" id="op-{_text(described["operationId"])}">',
        f'<h3><span class="method {method}">{method.upper()}</span> <code>{_text(path)}</code>'
        f"{auth}</h3>",
        f"<p>{_text(described.get('summary', ''))}</p>",
    ]
    if described.get("description"):
        parts.append(f"<p>{_text(described['description'])}</p>")
    parameters = described.get("parameters", [])
    if parameters:
        rows = "".join(
            f"<tr><td><code>{_text(p['name'])}</code></td><td>{_text(p['in'])}</td>"
            f"<td>{'yes' if p.get('required') else 'no'}</td>"
            f"<td>{_text(p.get('description', ''))}</td></tr>"
            for p in parameters
        )
        parts.append(
            "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th>"
            f"<th>description</th></tr>{rows}</table>"
        )
    body = described.get("requestBody")
    if body:
        parts.append("<h4>Request body</h4>")
        for media, content in body["content"].items():
            parts.append(f"<p><code>{_text(media)}</code>: {_schema_link(content['schema'])}</p>")
    rows = ""
    for status, response in described["responses"].items():
        content = response.get("content", {})
        shape = "; ".join(
            f"<code>{_text(media)}</code> {_schema_link(value['schema'])}"
            for media, value in content.items()
        )
        rows += (
            f"<tr><td>{_text(status)}</td><td>{_text(response['description'])}</td>"
            f"<td>{shape}</td></tr>"
        )
    parts.append(
        "<h4>Responses</h4><table><tr><th>status</th><th>meaning</th><th>body</th></tr>"
        f"{rows}</table></section>"
    )
    return "".join(parts)


def _schema_link(schema: dict[str, Any]) -> str:
    reference = schema.get("$ref", "")
    if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
        name = reference.rsplit("/", 1)[1]
        return f'<a href="#schema-{_text(name)}">{_text(name)}</a>'
    return _json(schema)


def _json(value: Any) -> str:
    text = html.escape(json.dumps(value, indent=2), quote=True)
    return "<pre>" + _REF.sub(r'&quot;<a href="#schema-\1">\1</a>&quot;', text) + "</pre>"


def _text(value: object) -> str:
    """Escaped HTML of a description, where `code` (Markdown's backticks) becomes <code>."""
    return _CODE.sub(r"<code>\1</code>", html.escape(str(value), quote=True))
