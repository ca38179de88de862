"""Read the Terraform under infra/terraform with python-hcl2, and render a module's resources.

No terraform binary runs here, so the tests read the HCL itself. `Module` evaluates the small
subset of expressions this repository's modules use to name and configure resources:
literals, `${...}` templates, references (`var.x`, `local.x`, `each.key`, `each.value.x`,
indexes `[...]`), `jsonencode({...})`, `toset([...])`, `compact([...])` and the filter form
`{for k, v in X : k => v if length(v.f) > 0}`, and `dynamic` blocks. A reference to another
resource's attribute stays symbolic, as the text `aws_sqs_queue.dlq["inventory"].arn`, so a
test can follow it to that resource. Anything else raises `Unsupported`, naming the
expression: keep the modules that simple, or teach this file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "infra" / "terraform"
MODULES = TERRAFORM / "modules"
ENVIRONMENTS = ("dev", "prod")

_META_KEYS = frozenset({"__start_line__", "__end_line__", "__is_block__"})


class Unsupported(Exception):
    """An expression outside the subset this evaluator understands."""


def parse(text: str) -> dict[str, Any]:
    # Imported here, so that tests needing only the JSON/YAML side run without python-hcl2.
    import hcl2
    from hcl2.utils import SerializationOptions

    options = SerializationOptions(
        with_comments=False, explicit_blocks=False, strip_string_quotes=True
    )
    parsed: dict[str, Any] = hcl2.loads(text, serialization_options=options)
    return parsed


def parse_file(path: Path) -> dict[str, Any]:
    return parse(path.read_text(encoding="utf-8"))


def tf_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.tf"))


def all_tf_files() -> list[Path]:
    return sorted(TERRAFORM.rglob("*.tf"))


@dataclass(frozen=True)
class Block:
    """One labelled block: a resource, data source, module call, variable or output."""

    kind: str
    labels: tuple[str, ...]
    body: dict[str, Any]
    file: Path


def _walk_labels(
    kind: str, node: Any, labels: tuple[str, ...], depth: int, file: Path
) -> Iterator[Block]:
    if depth == 0:
        yield Block(kind, labels, node, file)
        return
    for key, value in node.items():
        if key in _META_KEYS:
            continue
        yield from _walk_labels(kind, value, (*labels, key), depth - 1, file)


_LABEL_DEPTH = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1}


def blocks(directory: Path) -> list[Block]:
    """Every labelled block in the .tf files of one directory (one Terraform module)."""
    found: list[Block] = []
    for path in tf_files(directory):
        document = parse_file(path)
        for kind, depth in _LABEL_DEPTH.items():
            for entry in document.get(kind, []):
                found.extend(_walk_labels(kind, entry, (), depth, path))
    return found


def locals_of(directory: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in tf_files(directory):
        for entry in parse_file(path).get("locals", []):
            merged.update({k: v for k, v in entry.items() if k not in _META_KEYS})
    return merged


# --- expressions --------------------------------------------------------------------------

_WHOLE = re.compile(r"^\$\{(?P<expr>.*)\}$", re.DOTALL)
_FILTER_FOR = re.compile(
    r"^\{for (?P<k>\w+), (?P<v>\w+) in (?P<src>[\w.\[\]\"-]+) : (?P=k) => (?P=v)"
    r" if length\((?P=v)\.(?P<field>\w+)\) > 0\}$"
)
_CALL = re.compile(r"^(?P<fn>jsonencode|toset|compact)\((?P<arg>.*)\)$", re.DOTALL)
_REFERENCE = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[^\[\]]+\])*$")
_SEGMENT = re.compile(r"\.?([A-Za-z_][\w-]*)|\[([^\[\]]+)\]")


def _template_parts(text: str) -> list[tuple[bool, str]]:
    """Split a template into (is_expression, text) parts, honouring nested braces."""
    parts: list[tuple[bool, str]] = []
    i = 0
    literal = ""
    while i < len(text):
        if text.startswith("${", i):
            depth = 0
            j = i + 2
            while j < len(text):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    if depth == 0:
                        break
                    depth -= 1
                j += 1
            if literal:
                parts.append((False, literal))
                literal = ""
            parts.append((True, text[i + 2 : j]))
            i = j + 1
        else:
            literal += text[i]
            i += 1
    if literal:
        parts.append((False, literal))
    return parts


@dataclass
class Module:
    """One module directory evaluated with given input variables."""

    directory: Path
    variables: Mapping[str, Any]
    _locals_source: dict[str, Any] = field(default_factory=dict)
    _locals: dict[str, Any] = field(default_factory=dict)
    _blocks: list[Block] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._locals_source = locals_of(self.directory)
        self._blocks = blocks(self.directory)

    # -- resources

    def block(self, kind: str, *labels: str) -> Block:
        for candidate in self._blocks:
            if candidate.kind == kind and candidate.labels == labels:
                return candidate
        raise KeyError(f"{kind} {'.'.join(labels)} not found in {self.directory}")

    def blocks_of(self, kind: str) -> list[Block]:
        return [b for b in self._blocks if b.kind == kind]

    def instances(
        self, resource_type: str, name: str, kind: str = "resource"
    ) -> dict[str | None, dict[str, Any]]:
        """Each instance of a resource or data source (key None without for_each), evaluated.

        Attributes the evaluator cannot handle hold the `Unsupported` error instead of a
        value, so that a test only fails on what it actually reads.
        """
        body = self.block(kind, resource_type, name).body
        keys: list[str | None]
        if "for_each" in body:
            collection = self.evaluate(body["for_each"], {})
            if isinstance(collection, Mapping):
                keys = list(collection)
                values: Mapping[str, Any] = collection
            elif isinstance(collection, list):
                keys = [str(item) for item in collection]
                values = {str(item): item for item in collection}
            else:
                raise Unsupported(f"for_each over {collection!r}")
        else:
            keys, values = [None], {}
        rendered: dict[str | None, dict[str, Any]] = {}
        for key in keys:
            each = {} if key is None else {"key": key, "value": values[key]}
            rendered[key] = {
                attribute: self._try_evaluate(expression, each)
                for attribute, expression in body.items()
                if attribute not in _META_KEYS and attribute != "for_each"
            }
        return rendered

    def _try_evaluate(self, expression: Any, each: Mapping[str, Any]) -> Any:
        try:
            return self.evaluate(expression, each)
        except Unsupported as error:
            return error

    # -- expressions

    def local(self, name: str) -> Any:
        if name not in self._locals:
            if name not in self._locals_source:
                raise KeyError(f"local.{name} is not defined in {self.directory}")
            self._locals[name] = self.evaluate(self._locals_source[name], {})
        return self._locals[name]

    def dynamic(
        self, body: Mapping[str, Any], block: str, each: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """The evaluated `content` of each `dynamic "<block>"` iteration in a resource body."""
        rendered: list[dict[str, Any]] = []
        for entry in body.get("dynamic", []):
            if block not in entry:
                continue
            spec = entry[block]
            items = self.evaluate(spec["for_each"], each)
            if isinstance(items, Mapping):
                pairs: list[tuple[Any, Any]] = list(items.items())
            else:
                pairs = list(enumerate(items))
            (content,) = spec["content"]
            for key, value in pairs:
                iterator = {block: {"key": key, "value": value}}
                rendered.append(self.evaluate(content, each, iterator))
        return rendered

    def evaluate(
        self,
        expression: Any,
        each: Mapping[str, Any],
        scope: Mapping[str, Any] | None = None,
    ) -> Any:
        scope = scope or {}
        if isinstance(expression, list):
            return [self.evaluate(item, each, scope) for item in expression]
        if isinstance(expression, dict):
            return {
                key: self.evaluate(value, each, scope)
                for key, value in expression.items()
                if key not in _META_KEYS
            }
        if not isinstance(expression, str) or "${" not in expression:
            return expression
        whole = _WHOLE.match(expression)
        if whole and len(_template_parts(expression)) == 1:
            return self._expression(whole.group("expr").strip(), each, scope)
        rendered = ""
        for is_expression, text in _template_parts(expression):
            if is_expression:
                rendered += str(self._expression(text.strip(), each, scope))
            else:
                rendered += text
        return rendered

    def _expression(
        self, text: str, each: Mapping[str, Any], scope: Mapping[str, Any] | None = None
    ) -> Any:
        scope = scope or {}
        call = _CALL.match(text)
        if call:
            argument = parse(f"argument = {call.group('arg')}\n")["argument"]
            argument = self.evaluate(argument, each, scope)
            if call.group("fn") == "toset":
                if not isinstance(argument, list):
                    raise Unsupported(f"toset of {argument!r}")
                return sorted(set(argument))
            if call.group("fn") == "compact":
                if not isinstance(argument, list):
                    raise Unsupported(f"compact of {argument!r}")
                return [item for item in argument if item]
            return json.dumps(argument, sort_keys=True)
        loop = _FILTER_FOR.match(text)
        if loop:
            source = self._expression(loop.group("src"), each, scope)
            if not isinstance(source, Mapping):
                raise Unsupported(f"for over {source!r}: {text}")
            return {k: v for k, v in source.items() if len(v[loop.group("field")]) > 0}
        if _REFERENCE.match(text):
            return self._reference(text, each, scope)
        if text.startswith("{") or text.startswith("["):
            return self.evaluate(parse(f"argument = {text}\n")["argument"], each, scope)
        raise Unsupported(text)

    def _reference(self, text: str, each: Mapping[str, Any], scope: Mapping[str, Any]) -> Any:
        segments: list[str | tuple[str]] = []
        for match in _SEGMENT.finditer(text):
            name, index = match.groups()
            if name is not None:
                segments.append(name)
            else:
                index_text = index.strip()
                if index_text.startswith('"') and index_text.endswith('"'):
                    segments.append((index_text[1:-1],))
                else:
                    segments.append((str(self._expression(index_text, each, scope)),))
        head = segments[0]
        rest = segments[1:]
        if isinstance(head, str) and head in scope:
            return _descend(scope[head], rest, text)
        if head == "var":
            value: Any = self.variables[_name(rest[0])]
            return _descend(value, rest[1:], text)
        if head == "local":
            return _descend(self.local(_name(rest[0])), rest[1:], text)
        if head == "each":
            if not each:
                raise Unsupported(f"each outside for_each: {text}")
            return _descend(each, rest, text)
        return _symbolic(segments)


def _name(segment: str | tuple[str]) -> str:
    if isinstance(segment, tuple):
        return segment[0]
    return segment


def _descend(value: Any, segments: list[str | tuple[str]], text: str) -> Any:
    for segment in segments:
        key = _name(segment)
        if isinstance(value, Mapping) and key in value:
            value = value[key]
        else:
            raise Unsupported(f"cannot resolve {key!r} in {text}")
    return value


def _symbolic(segments: list[str | tuple[str]]) -> str:
    text = ""
    for segment in segments:
        if isinstance(segment, tuple):
            text += f'["{segment[0]}"]'
        else:
            text += f".{segment}" if text else segment
    return text
