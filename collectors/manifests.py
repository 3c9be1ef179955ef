"""Offline scan of manifest files: kubectl dumps, GitOps repos, rendered Helm output.

Files are read document by document so one broken document is reported (file and line) without
hiding the good ones around it. `kind: List` dumps and typed lists (DeploymentList...) are
flattened; the objects then go through exactly the detection a live crawl uses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import yaml

from collectors.detect.workloads import DetectContext, Detection, Verdict, detect
from collectors.gcmode import no_full_collections
from collectors.spec import ModelSpec

try:  # libyaml is several times faster; PyYAML without it still works
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MANIFEST_SUFFIXES = {".yaml", ".yml", ".json", ".jsonl", ".ndjson"}
_DOC_SEPARATOR = re.compile(r"^---(?=\s|$)", re.MULTILINE)


@dataclass(frozen=True)
class ManifestError:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class ScanResult:
    specs: list[ModelSpec] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    errors: list[ManifestError] = field(default_factory=list)
    files: int = 0
    objects: int = 0


def iter_manifest_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given, and manifest files below folders (hidden folders like .git skipped), sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if child.is_file() and child.suffix.lower() in MANIFEST_SUFFIXES:
                    yield child
        else:
            yield path


def load_objects(path: Path) -> tuple[list[Mapping[str, Any]], list[str], list[ManifestError]]:
    """Every Kubernetes object in one file, with its origin ("file:line"), and the errors met."""
    name = str(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        return [], [], [ManifestError(name, None, f"cannot read: {exc.strerror or exc}")]
    try:
        body = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [], [ManifestError(name, None, f"not UTF-8 text (byte {exc.start})")]
    objects: list[Mapping[str, Any]] = []
    origins: list[str] = []
    errors: list[ManifestError] = []
    stripped = body.lstrip()
    if path.suffix.lower() in {".json", ".jsonl", ".ndjson"} or stripped.startswith(("{", "[")):
        documents = _json_documents(name, body, errors)
    else:
        documents = _yaml_documents(name, body, errors)
    for line, document in documents:
        _collect(document, f"{name}:{line}", objects, origins, errors, name, line)
    return objects, origins, errors


def _json_documents(name: str, body: str, errors: list[ManifestError]) -> list[tuple[int, Any]]:
    try:  # orjson parses a 80 MiB kubectl dump in a third of the stdlib's time
        return [(1, orjson.loads(body))]
    except orjson.JSONDecodeError:
        pass  # not one JSON document: let the stdlib say why (JSON lines, YAML, or a line/column error)
    try:
        return [(1, json.loads(body))]
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            # Not JSON after all? YAML is a superset; let it try before giving up.
            if not body.lstrip().startswith(("{", "[")):
                return _yaml_documents(name, body, errors)
            errors.append(ManifestError(name, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})"))
            return []
    # JSON lines: one object a line, each on its own
    out = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            errors.append(ManifestError(name, number, f"invalid JSON: {exc.msg} (column {exc.colno})"))
    return out


def _yaml_documents(name: str, body: str, errors: list[ManifestError]) -> list[tuple[int, Any]]:
    out: list[tuple[int, Any]] = []
    starts = [0] + [m.start() for m in _DOC_SEPARATOR.finditer(body)]
    line_of = _line_counter(body)
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(body)
        chunk = body[start:end]
        if start and chunk.startswith("---"):
            chunk = chunk[3:]
            offset = start + 3
        else:
            offset = start
        if not chunk.strip():
            continue
        first_line = line_of(offset)
        try:
            data = yaml.load(chunk, Loader=_Loader)  # noqa: S506 - CSafeLoader/SafeLoader only
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = first_line + mark.line if mark is not None else first_line
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            errors.append(ManifestError(name, line, f"invalid YAML: {problem}"))
            continue
        if data is not None:
            # report the line of the document's first non-blank, non-comment line
            out.append((first_line + _leading_blank_lines(chunk), data))
    return out


def _line_counter(body: str):
    newlines = [m.start() for m in re.finditer("\n", body)]

    def line_of(offset: int) -> int:
        import bisect

        return bisect.bisect_left(newlines, offset) + 1

    return line_of


def _leading_blank_lines(chunk: str) -> int:
    count = 0
    for line in chunk.split("\n"):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        count += 1
    return count


def _collect(document: Any, origin: str, objects: list, origins: list, errors: list[ManifestError],
             name: str, line: int) -> None:
    """Add an object, or the items of a List, to the scan; anything else is an error or ignored."""
    if isinstance(document, list):
        for item in document:
            _collect(item, origin, objects, origins, errors, name, line)
        return
    if not isinstance(document, Mapping):
        errors.append(ManifestError(name, line, f"expected a Kubernetes object, found {type(document).__name__}"))
        return
    kind = document.get("kind")
    items = document.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        item_kind = kind[: -len("List")] if kind != "List" else None
        for item in items:
            if isinstance(item, Mapping) and item_kind and "kind" not in item:
                # typed API lists (DeploymentList) leave kind/apiVersion off their items
                item = {"kind": item_kind, "apiVersion": document.get("apiVersion"), **item}
            _collect(item, origin, objects, origins, errors, name, line)
        return
    if not isinstance(kind, str):
        return  # values files, kustomizations without kind, etc.: not Kubernetes objects
    objects.append(document)
    origins.append(origin)


def scan_paths(paths: Iterable[str | Path], context: DetectContext | None = None) -> ScanResult:
    """Detect model-serving workloads in files and folders of manifests.

    All files are detected together, so a ServingRuntime or HPA in one file applies to an
    InferenceService or Deployment in another, as they would in the cluster.
    """
    ctx = context or DetectContext(observed_at=datetime.now(UTC).replace(microsecond=0))
    with no_full_collections():
        return _scan(paths, ctx)


def _scan(paths: Iterable[str | Path], ctx: DetectContext) -> ScanResult:
    result = ScanResult()
    objects: list[Mapping[str, Any]] = []
    origins: list[str] = []
    for path in iter_manifest_files(paths):
        if not path.exists():
            result.errors.append(ManifestError(str(path), None, "no such file or directory"))
            continue
        result.files += 1
        found, where, errors = load_objects(path)
        objects.extend(found)
        origins.extend(where)
        result.errors.extend(errors)
    result.objects = len(objects)
    detection: Detection = detect(objects, ctx, origins=origins)
    result.specs = detection.specs
    result.verdicts = detection.verdicts
    return result
