"""The shell and argv parser: $VAR expansion, container env, shell splitting, commands and assignments."""

from __future__ import annotations

import pytest

from collectors.detect.shell import container_env, expand, parse_argv, shell_split

# --- expand ------------------------------------------------------------------------------------------------

ENV = {"MODEL_ID": "meta-llama/Llama-3.1-8B", "TP": "2", "EMPTY": "", "SECRET": ""}
EXPANSIONS = [
    ("$(MODEL_ID)", "meta-llama/Llama-3.1-8B"),
    ("${MODEL_ID}", "meta-llama/Llama-3.1-8B"),
    ("$MODEL_ID", "meta-llama/Llama-3.1-8B"),
    ("/models/$(MODEL_ID)/v1", "/models/meta-llama/Llama-3.1-8B/v1"),
    ("${MAX_LEN:-4096}", "4096"),
    ("${EMPTY:-fallback}", "fallback"),
    ("${EMPTY-fallback}", None),            # set but empty: `-` keeps the empty value, which is unknown
    ("${UNSET-fallback}", "fallback"),
    ("--tp=$TP", "--tp=2"),
    ("$(UNDEFINED)", None),
    ("$SECRET", None),                      # valueFrom: present but unknown
    ("$1", None),
    ("$(cat /etc/model)", None),
    ("`cat /etc/model`", None),
    ("${MODEL_ID:+yes}", None),
    ("$$(MODEL_ID)", "$(MODEL_ID)"),        # Kubernetes' escape
    ("plain", "plain"),
]


@pytest.mark.parametrize("value, expected", EXPANSIONS, ids=[e[0] for e in EXPANSIONS])
def test_expand(value: str, expected: str | None) -> None:
    assert expand(value, ENV) == expected


def test_container_env_resolves_earlier_references_and_keeps_secrets_unknown() -> None:
    env = container_env({"env": [
        {"name": "BASE", "value": "/models"},
        {"name": "MODEL_DIR", "value": "$(BASE)/llama"},
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}},
        {"name": "LATER", "value": "$(DEFINED_AFTER)"},
        {"name": "DEFINED_AFTER", "value": "x"},
        {"name": "N", "value": 8},
        {"name": None}, None, "junk",
    ]})
    assert env == {"BASE": "/models", "MODEL_DIR": "/models/llama", "TOKEN": "", "LATER": "",
                   "DEFINED_AFTER": "x", "N": "8"}


# --- shell splitting ---------------------------------------------------------------------------------------

SCRIPTS = [
    ("vllm serve m --tp 2", [["vllm", "serve", "m", "--tp", "2"]]),
    ("a && b; c | d || e & f", [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]),
    ("vllm serve m \\\n  --tp 2 \\\n  --dtype half", [["vllm", "serve", "m", "--tp", "2", "--dtype", "half"]]),
    ("echo \"a b\" 'c d' e\\ f", [["echo", "a b", "c d", "e f"]]),
    ("run --model \"$(MODEL_ID)\" ${X:-1}", [["run", "--model", "$(MODEL_ID)", "${X:-1}"]]),
    ("cmd > /dev/null 2>&1 &>/tmp/log < in", [["cmd"]]),
    ("# comment\nserve m  # trailing", [["serve", "m"]]),
    ("while ! ollama ps; do\n  sleep 5\ndone", [["while", "!", "ollama", "ps"], ["do"], ["sleep", "5"], ["done"]]),
    ("python3 - <<'EOF'\nprint('x; y')\nEOF\nvllm serve m", [["python3", "-"], ["vllm", "serve", "m"]]),
    ("(cd /app && serve)", [["cd", "/app"], ["serve"]]),
    ("json '{\"a\": 1, \"b\": [2]}'", [["json", '{"a": 1, "b": [2]}']]),
    ("broken 'quote here", [["broken", "quote", "here"]]),
    ("", []),
]


@pytest.mark.parametrize("script, expected", SCRIPTS, ids=[s[0][:40] for s in SCRIPTS])
def test_shell_split(script: str, expected: list[list[str]]) -> None:
    assert shell_split(script) == expected


ARGVS = [
    # argv → [(program, args)] after shells, launchers, interpreters and assignments are unwrapped
    (["/bin/sh", "-c", "vllm serve m"], [("vllm", ("serve", "m"))]),
    (["bash", "-lc", "exec python3 -u -m vllm.entrypoints.openai.api_server --model m"],
     [("vllm.entrypoints.openai.api_server", ("--model", "m"))]),
    (["sh", "-c", "vllm", "serve", "m"], [("vllm", ("serve", "m"))]),     # words after -c meant as one script
    (["bash", "-ec", "export A=1\nB=2 env C=3 numactl --cpunodebind=0 text-generation-launcher --port 80"],
     [("text-generation-launcher", ("--port", "80"))]),
    (["mpirun", "--allow-run-as-root", "-n", "4", "trtllm-serve", "m"], [("trtllm-serve", ("m",))]),
    (["tini", "--", "/usr/bin/tritonserver", "--model-store=/models"], [("/usr/bin/tritonserver", ("--model-store=/models",))]),
    (["uv", "run", "python", "serve.py", "--x"], [("serve.py", ("--x",))]),
    (["vllm serve m --tp 2"], [("vllm", ("serve", "m", "--tp", "2"))]),    # args given as one string
    (["--model meta-llama/x", "--tp", "2"], [("", ("--model", "meta-llama/x", "--tp", "2"))]),
    (["bash", "/scripts/start.sh", "--x"], [("/scripts/start.sh", ("--x",))]),
    (["sh", "-c", "if [ -n \"$X\" ]; then exec ollama serve; fi"], [("[", ("-n", "$X", "]")), ("ollama", ("serve",))]),
    (["sh", "-c", "bash -c 'vllm serve inner'"], [("vllm", ("serve", "inner"))]),
    (["sh", "-c"], []),
]


@pytest.mark.parametrize("argv, expected", ARGVS, ids=[" ".join(a[0])[:50] for a in ARGVS])
def test_parse_argv(argv: list[str], expected: list[tuple[str, tuple[str, ...]]]) -> None:
    assert [(c.program, c.args) for c in parse_argv(argv).commands] == expected


def test_script_assignments_feed_expansion() -> None:
    script = parse_argv(["sh", "-c", "export MODEL=org/m; REV=${REV:-main}; serve $MODEL --rev $REV"], {"REV": ""})
    assert script.assignments == {"MODEL": "org/m", "REV": "main"}
