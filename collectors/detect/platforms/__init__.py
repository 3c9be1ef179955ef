"""Serving platforms: how a pod's containers or a serving CRD become Candidates.

`from_containers` recognises engines and container-level platforms (NIM images, BentoML, Ray Serve
commands) in any pod template. `RECOGNISERS` maps (API group, kind) of serving CRDs to the function
that reads them; each platform lives in its own module and registers its kinds here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from collectors.detect import runtimes
from collectors.detect.candidate import Candidate, Skip
from collectors.detect.models import interpret_model, model_from_container
from collectors.detect.objects import annotations_of, command_line, env_map, text
from collectors.spec import ENGINES, ModelRef

Recogniser = Callable[[Mapping[str, Any], Any, Any], "list[Candidate] | Skip"]

# Commands that use a serving engine's image without serving (load generators, downloads, debugging).
NOT_SERVING = re.compile(
    r"(^|[\s/])(vllm\s+bench|benchmark_serving|benchmarks?/|genai-perf|perf_analyzer|guidellm|locust|"
    r"huggingface-cli\s+download|hf\s+download|sleep\s+(infinity|inf|\d{3,})|tail\s+-f\s+/dev/null)"
)
# Opt-in/opt-out annotations for servers no signature can know (documented in README).
ANNOTATION_SERVING = "footprint.io/serving"
ANNOTATION_MODEL = "footprint.io/model"
ANNOTATION_MODEL_VERSION = "footprint.io/model-version"
ANNOTATION_ENGINE = "footprint.io/engine"

_PLATFORM_COMMAND = re.compile(r"(^|[\s/])(bentoml|openllm|serve)\s")
_NIM_IMAGE = re.compile(r"(^|/)nim/([a-z0-9._-]+)/([a-z0-9._-]+)$")
_NIM_PROFILE_ENGINE = (("tensorrt_llm", "tensorrt-llm"), ("trtllm", "tensorrt-llm"), ("vllm", "vllm"),
                       ("sglang", "sglang"))


def nim_model(image: str | None) -> tuple[ModelRef, str] | None:
    """nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3 → (meta/llama-3.1-8b-instruct, version 1.3.3)."""
    repo, tag = runtimes.image_parts(image)
    match = _NIM_IMAGE.search(repo.lower())
    if not match:
        return None
    name = f"{match.group(2)}/{match.group(3)}"
    return ModelRef(name=name, version=tag if tag and tag != "latest" else None), f"NIM image {repo}"


def nim_engine(env: Mapping[str, str]) -> str:
    """A NIM's engine only where its profile says so (NIM_MODEL_PROFILE names a backend), else unknown."""
    profile = (env.get("NIM_MODEL_PROFILE") or "").lower()
    for token, engine in _NIM_PROFILE_ENGINE:
        if token in profile:
            return engine
    return "unknown"


def from_containers(ctrs: Sequence[Mapping[str, Any]], obj: Mapping[str, Any], *,
                    pod_spec: Mapping[str, Any] | None = None) -> Candidate | Skip | None:
    """Candidate for a pod template, Skip when it uses a serving image without serving, None otherwise."""
    notes = annotations_of(obj)
    opt = (notes.get(ANNOTATION_SERVING) or "").lower()
    if opt in {"false", "no", "0"}:
        return Skip(f"opted out with {ANNOTATION_SERVING}: {opt}")

    for container in ctrs:
        image = text(container.get("image"))
        found = nim_model(image) if image and "nim/" in image.lower() else None
        if found:
            model, signal = found
            env = env_map(container)
            candidate = Candidate(engine=nim_engine(env), platform="nim", model=model,
                                  image=text(container.get("image")), engine_version=None, signals=[signal])
            if env.get("NIM_MODEL_NAME"):
                candidate.model = ModelRef(name=model.name, version=model.version, uri=env["NIM_MODEL_NAME"])
            candidate.settings.update(model_from_container("vllm", container).settings)
            return candidate

    match = runtimes.best_engine(list(ctrs))
    cmd_all = " ".join(" ".join(command_line(c)) for c in ctrs) if ctrs else ""
    if match is None and not _PLATFORM_COMMAND.search(cmd_all) and not (
            opt in {"true", "yes", "1"} or notes.get(ANNOTATION_MODEL)):
        return None  # the common case: an ordinary container, nothing more to look at
    if match is not None:
        cmd = " ".join(command_line(match.container))
        # A shell that also downloads, sleeps or tails while starting the server still serves.
        if not match.by_command and NOT_SERVING.search(cmd):
            return Skip(f"runs {match.engine}'s image but not its server: `{cmd[:80]}`", signals=list(match.signals))
        found = model_from_container(match.engine, match.container, pod_spec=pod_spec)
        platform = "bentoml" if re.search(r"(^|[\s/])(bentoml|openllm)\s+(serve|start)", cmd_all) else "kubernetes"
        candidate = Candidate(engine=match.engine, platform=platform, model=found.model, image=match.image,
                              settings=dict(found.settings), signals=[*match.signals, *found.signals])
        _apply_annotations(candidate, notes)
        return candidate

    bento = re.search(r"(^|[\s/])bentoml\s+(serve|serve-http|start-http-server|start-runner-server)\b\s*(\S+)?", cmd_all)
    if bento:
        candidate = Candidate(engine="custom", platform="bentoml", image=_main_image(ctrs),
                              signals=["command `bentoml serve`"])
        target = bento.group(3)
        if target and not target.startswith("-") and not target.startswith("."):
            name, _, version = target.partition(":")
            if ":" in target or "/" not in target:
                candidate.model = ModelRef(name=name, version=version or None)
        _apply_annotations(candidate, notes)
        return candidate
    if re.search(r"(^|[\s/])serve\s+(run|deploy)\b", cmd_all):
        candidate = Candidate(engine="custom", platform="ray-serve", image=_main_image(ctrs),
                              signals=["command `serve run`"])
        _apply_annotations(candidate, notes)
        return candidate

    if opt in {"true", "yes", "1"} or notes.get(ANNOTATION_MODEL):
        candidate = Candidate(engine="custom", platform="kubernetes", image=_main_image(ctrs),
                              signals=[f"annotated {ANNOTATION_SERVING}/{ANNOTATION_MODEL}"])
        _apply_annotations(candidate, notes)
        return candidate
    return None


def _apply_annotations(candidate: Candidate, notes: Mapping[str, str]) -> None:
    """footprint.io/model, -model-version and -engine state what detection cannot see."""
    if notes.get(ANNOTATION_MODEL):
        model = interpret_model(notes[ANNOTATION_MODEL])
        candidate.model = ModelRef(model.name, notes.get(ANNOTATION_MODEL_VERSION) or model.version,
                                   model.uri or candidate.model.uri)
        candidate.signals.append(f"model from annotation {ANNOTATION_MODEL}")
    elif notes.get(ANNOTATION_MODEL_VERSION):
        candidate.model = ModelRef(candidate.model.name, notes[ANNOTATION_MODEL_VERSION], candidate.model.uri)
    engine = (notes.get(ANNOTATION_ENGINE) or "").lower()
    if engine in ENGINES:
        candidate.engine = engine


def _main_image(ctrs: Sequence[Mapping[str, Any]]) -> str | None:
    return text(ctrs[0].get("image")) if ctrs else None


def _registry() -> dict[tuple[str, str], Recogniser]:
    from collectors.detect.platforms import bentoml, kaito, kserve, lws, nim, ray, seldon

    table: dict[tuple[str, str], Recogniser] = {}
    for module in (lws, kserve, seldon, ray, nim, kaito, bentoml):
        table.update(module.KINDS)
    return table


class _Registry(dict):
    """Filled on first use, so platform modules can import this package's helpers."""

    def get(self, key, default=None):  # type: ignore[override]
        if not self:
            self.update(_registry())
        return super().get(key, default)


RECOGNISERS: dict[tuple[str, str], Recogniser] = _Registry()
