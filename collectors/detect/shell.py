"""Shell and argv parsing: what a container's command line runs.

A container's argv (the image's entrypoint when the manifest only sets `args`, else `command` + `args`) is
split into the simple commands a shell would run (`sh -c "huggingface-cli download … && exec vllm serve …"`):
`;` `&&` `|` newlines, quotes, line continuations, comments, redirections and here-documents are handled as a
shell would; `NAME=value` / `export` assignments are folded into the environment; launchers (`exec`, `env A=1`,
`mpirun -n 4`, `numactl …`, `uv run`) and the Python interpreter (`python3 -u -m module`) are dropped from each
command. `$(VAR)`, `${VAR:-default}` and `$VAR` are expanded from the container env only when the manifest
says what they are.

Nothing here knows about models or Django; `models` reads the commands this module returns.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from collectors.detect import runtimes
from collectors.detect.objects import seq, text

# --- $VAR expansion ---------------------------------------------------------------------------------

_VAR = re.compile(
    r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)"                          # $(VAR)       Kubernetes
    r"|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])([^}]*))?\}"      # ${VAR} ${VAR:-default} ${VAR-default}
    r"|\$([A-Za-z_][A-Za-z0-9_]*)"                              # $VAR
)


def expand(value: str, env: Mapping[str, str]) -> str | None:
    """Expand $(VAR) (Kubernetes), ${VAR}, ${VAR:-default} and $VAR (shell) from the container env.

    Returns None when anything cannot be resolved (an unset or valueFrom variable, $1, $(cat file),
    backticks): an unknown value is not a model name.
    """
    if "$" not in value and "`" not in value:
        return value
    unresolved = False

    def sub(match: re.Match[str]) -> str:
        nonlocal unresolved
        name = match.group(1) or match.group(2) or match.group(5)
        operator, default = match.group(3), match.group(4)
        found = env.get(name)
        if found:
            return found
        if operator is not None and (operator.startswith(":") or name not in env):
            return default
        unresolved = True
        return ""

    out = _VAR.sub(sub, value.replace("$$", "\0"))
    if unresolved or "$" in out or "`" in out:
        return None
    return out.replace("\0", "$")


def container_env(container: Mapping[str, Any]) -> dict[str, str]:
    """Literal env values by name, $(VAR) references to earlier entries resolved as Kubernetes does.

    A valueFrom entry (secret, fieldRef) is present but unknown: its value is the empty string.
    """
    out: dict[str, str] = {}
    for item in seq(container.get("env")):
        if not isinstance(item, Mapping):
            continue
        name = text(item.get("name"))
        if not name:
            continue
        raw = item.get("value")
        value = "" if raw is None or isinstance(raw, Mapping | list) else str(raw)
        if "$(" in value:
            value = expand(value, out) or ""
        out[name] = value
    return out


# --- shell words and commands -----------------------------------------------------------------------

SHELLS = {"sh", "bash", "dash", "zsh", "ash", "ksh", "busybox"}
_KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time", "fi", "done", "esac"}
_LAUNCHERS = {"exec", "nohup", "env", "sudo", "nice", "ionice", "taskset", "numactl", "stdbuf", "chrt", "tini",
              "dumb-init", "timeout", "mpirun", "mpiexec", "srun", "gosu", "su-exec", "setsid", "unbuffer",
              "catchsegv", "command", "builtin", "xvfb-run", "uv", "poetry", "pipenv", "conda", "micromamba"}
_RUNNER_SUBCOMMANDS = {"uv": "run", "poetry": "run", "pipenv": "run", "conda": "run", "micromamba": "run"}
_PYTHON = re.compile(r"^(?:python|pypy)[\d.]*$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SPACE = re.compile(r"\s")
_QUOTE_OR_BRACKET = re.compile(r"[\"'{}\[\]]")
_C_OPTION = re.compile(r"-[a-zA-Z]*c[a-zA-Z]*")                 # sh -c, bash -lc, bash -ec
_LAUNCHER_VALUE = re.compile(r"(?:0x[0-9a-fA-F]+|[\d.,:-]+[smhd]?)")   # taskset 0x3, timeout 30m, numactl 0-3


def shell_split(script: str) -> list[list[str]]:
    """The words of each simple command in a shell script.

    `;` `&` `&&` `|` `||` newlines and parentheses end a command; quotes are removed, comments, redirections
    and here-documents dropped, line continuations joined. `$VAR`, `${VAR}` and `$(…)` stay in the words
    (see `expand`).
    """
    return [list(words) for words in _split(script)]


@functools.lru_cache(maxsize=1024)
def _split(script: str) -> tuple[tuple[str, ...], ...]:
    """`shell_split`, kept: replicas and charts repeat the same scripts across a cluster."""
    return tuple(map(tuple, _split_commands(script)))


def _split_commands(script: str) -> list[list[str]]:
    commands: list[list[str]] = []
    words: list[str] = []
    word: list[str] = []
    started = False          # a word is being read (possibly empty, as in "")
    skip_word = False        # the next word is a redirection target
    i, n = 0, len(script)

    def end_word() -> None:
        nonlocal word, started, skip_word
        if started:
            if skip_word:
                skip_word = False
            else:
                words.append("".join(word))
        word, started = [], False

    def end_command() -> None:
        nonlocal words
        end_word()
        if words:
            commands.append(words)
        words = []

    def balanced(start: int, opening: str, closing: str) -> int:
        """Index after the `closing` that matches the `opening` at `start` (quotes respected)."""
        depth, j, quote = 0, start, ""
        while j < n:
            ch = script[j]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\" and quote == '"':
                    j += 1
            elif ch in "'\"":
                quote = ch
            elif ch == opening:
                depth += 1
            elif ch == closing:
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        return n

    while i < n:
        ch = script[i]
        if ch == "\\":
            if i + 1 < n and script[i + 1] == "\n":
                i += 2
                continue
            if i + 1 < n:
                word.append(script[i + 1])
            started = True
            i += 2
        elif ch in "'\"" and not _closed(script, i):
            i += 1                                          # an unterminated quote: read on as if absent
        elif ch == "'":
            end = script.find("'", i + 1)
            word.append(script[i + 1:end])
            started = True
            i = end + 1
        elif ch == '"':
            j = i + 1
            while j < n and script[j] != '"':
                if script[j] == "\\" and j + 1 < n:
                    if script[j + 1] == "\n":
                        j += 2
                        continue
                    if script[j + 1] in '"\\$`':
                        j += 1
                elif script[j] == "$" and j + 1 < n and script[j + 1] == "(":
                    end = balanced(j + 1, "(", ")")
                    word.append(script[j:end])
                    j = end
                    continue
                word.append(script[j])
                j += 1
            started = True
            i = j + 1
        elif ch == "$" and i + 1 < n and script[i + 1] in "({":
            end = balanced(i + 1, script[i + 1], ")" if script[i + 1] == "(" else "}")
            word.append(script[i:end])
            started = True
            i = end
        elif ch == "`":
            end = script.find("`", i + 1)
            end = n if end < 0 else end
            word.append(script[i:end + 1])
            started = True
            i = end + 1
        elif ch == "#" and not started:
            end = script.find("\n", i)
            i = n if end < 0 else end
        elif ch in " \t\r":
            end_word()
            i += 1
        elif ch in "\n;()":
            end_command()
            i += 1
        elif ch in "&|":
            if ch == "&" and script[i + 1:i + 2] == ">":   # &> file
                end_word()
                skip_word = True
                i += 2
                if script[i:i + 1] == ">":
                    i += 1
                continue
            end_command()
            i += 2 if script[i + 1:i + 2] in ("&", "|") else 1
        elif ch in "<>":
            if started and "".join(word).isdigit():       # 2>&1, 2> file
                word, started = [], False
            else:
                end_word()
            j = i
            while j < n and script[j] in "<>|":
                j += 1
            operator = script[i:j]
            if operator.startswith("<<") and operator != "<<<":
                i = _skip_heredoc(script, j)
                continue
            if j < n and script[j] == "&":                 # >&2, <&0: a descriptor, no target
                j += 1
                while j < n and (script[j].isdigit() or script[j] == "-"):
                    j += 1
            else:
                skip_word = True
            i = j
        else:
            word.append(ch)
            started = True
            i += 1
    end_command()
    return commands


def _closed(script: str, i: int) -> bool:
    """Whether the quote at i has its closing quote (a backslash escapes `"` inside double quotes)."""
    quote, j = script[i], i + 1
    while j < len(script):
        if script[j] == quote:
            return True
        j += 2 if quote == '"' and script[j] == "\\" else 1
    return False


def _skip_heredoc(script: str, i: int) -> int:
    """Index after a here-document whose `<<` operator ends at i (`<<-'EOF'` … `EOF`)."""
    match = re.match(r"-?\s*(['\"]?)([A-Za-z0-9_]+)\1", script[i:])
    if not match:
        return i
    delimiter = match.group(2)
    line_end = script.find("\n", i)
    if line_end < 0:
        return len(script)
    end = re.search(rf"^\s*{re.escape(delimiter)}\s*$", script[line_end + 1:], re.M)
    return len(script) if end is None else line_end + 1 + end.end()


@dataclass(frozen=True)
class Command:
    """One simple command: its program (a path, or `python -m`'s module) and its arguments."""

    program: str
    args: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.program.rstrip("/").rsplit("/", 1)[-1]

    @property
    def line(self) -> str:
        return " ".join((self.program, *self.args))


@dataclass
class Script:
    """What a container runs: its commands in order, and the variables the script itself sets."""

    commands: list[Command] = field(default_factory=list)
    assignments: dict[str, str] = field(default_factory=dict)


def argv_words(value: Any) -> list[str]:
    """A manifest's `command` / `args` (or an exec hook's command) as a list of strings."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    out = []
    for item in seq(value):
        word = text(item) if not isinstance(item, str) else item
        if word is not None:
            out.append(word)
    return out


def container_argv(container: Mapping[str, Any], entrypoint: Sequence[str] = (), engine: str | None = None) -> list[str]:
    """command + args, or the engine image's entrypoint + args when the manifest sets no command."""
    command = argv_words(container.get("command"))
    args = argv_words(container.get("args"))
    if command or not entrypoint:
        return command + args
    head = " ".join(args[:4])
    if args and (engine and runtimes.command_runs(engine, head) or basename(args[0]) in SHELLS):
        return args
    return [*entrypoint, *args]


def parse_argv(argv: Sequence[str], env: Mapping[str, str] | None = None) -> Script:
    """Split an argv (with `sh -c` scripts, single-string args) into commands and script assignments."""
    script = Script()
    _parse_into(list(argv), dict(env or {}), script, depth=0)
    return script


def _parse_into(argv: list[str], env: dict[str, str], script: Script, depth: int) -> None:
    if not argv or depth > 4:
        return
    if len(argv) == 1 and _SPACE.search(argv[0]):
        for words in _split(argv[0]):
            _command_into(words, env, script, depth)
        return
    if _SPACE.search(argv[0]) and not argv[0].startswith("-"):   # command: ["vllm serve m"], args: [...]
        argv = [*shlex_words(argv[0]), *argv[1:]]
    words: list[str] = []
    for token in argv:
        # `args: ["--model meta-llama/x"]` is one word to Kubernetes but meant as two.
        if token.startswith("-") and _SPACE.search(token) and not _QUOTE_OR_BRACKET.search(token):
            words.extend(token.split())
        else:
            words.append(token)
    _command_into(words, env, script, depth)


def shlex_words(value: str) -> list[str]:
    """POSIX words of a string; plain whitespace splitting when its quotes do not balance."""
    try:
        return shlex.split(value, comments=False)
    except ValueError:
        return value.split()


def _command_into(words: Sequence[str], env: dict[str, str], script: Script, depth: int) -> None:
    """Strip keywords and assignments from one simple command; recurse into `sh -c`."""
    while words and words[0] in _KEYWORDS:
        words = words[1:]
    if not words or words[0] in {"for", "case", "function", "return", "exit", "set", "cd", "source", "."}:
        return
    if words[0] in {"export", "declare", "local", "readonly", "typeset"}:
        for word in words[1:]:
            if _ASSIGNMENT.match(word):
                _assign(word, env, script)
        return
    while words and _ASSIGNMENT.match(words[0]):
        _assign(words[0], env, script)
        words = words[1:]
    if not words:
        return
    name = basename(words[0])
    if name in SHELLS:
        rest = words[1:]
        if name == "busybox" and rest and rest[0] in SHELLS:
            rest = rest[1:]
        for index, word in enumerate(rest):
            if _C_OPTION.fullmatch(word):
                body = rest[index + 1:]
                if not body:
                    return
                # `sh -c` runs its first argument; several words after it were meant as one script.
                code = body[0] if len(body) == 1 or _SPACE.search(body[0]) else " ".join(map(shlex.quote, body))
                for inner in _split(code):
                    _command_into(inner, env, script, depth + 1)
                return
            if not word.startswith("-"):
                script.commands.append(_normalise(rest[index:]))   # `bash /start.sh args`: the script runs
                return
        return
    script.commands.append(_normalise(words))


def _assign(word: str, env: dict[str, str], script: Script) -> None:
    name, _, raw = word.partition("=")
    value = expand(raw, env) or ""
    env[name] = value
    script.assignments[name] = value


def basename(word: str) -> str:
    """/usr/bin/vllm → vllm."""
    return word.rstrip("/").rsplit("/", 1)[-1]


def _program_like(word: str) -> bool:
    name = basename(word)
    return bool(_PYTHON.match(name)) or "/" in word or name.endswith((".py", ".sh")) or name in _KNOWN_PROGRAMS


_KNOWN_PROGRAMS = {"vllm", "sglang", "trtllm-serve", "tritonserver", "text-generation-launcher",
                   "text-embeddings-router", "ollama", "llama-server", "lmdeploy", "torchserve",
                   "tensorflow_model_server", "mlserver", "onnxruntime_server", "huggingface-cli", "hf"}


def _normalise(words: Sequence[str]) -> Command:
    """Drop launchers (exec, env A=1, mpirun -n 4, numactl …) and the Python interpreter from a command."""
    i, n = 0, len(words)
    while i < n:
        name = basename(words[i])
        if name not in _LAUNCHERS:
            break
        i += 1
        if name in _RUNNER_SUBCOMMANDS and i < n and words[i] == _RUNNER_SUBCOMMANDS[name]:
            i += 1
        while i < n:
            word = words[i]
            if word == "--":
                i += 1
                break
            if word.startswith("-"):
                takes_value = "=" not in word and i + 1 < n and not words[i + 1].startswith("-") \
                    and not _program_like(words[i + 1]) and not _ASSIGNMENT.match(words[i + 1])
                i += 2 if takes_value else 1
            elif _ASSIGNMENT.match(word) or _LAUNCHER_VALUE.fullmatch(word):
                i += 1
            else:
                break
    words = words[i:]
    if not words or words[0].startswith("-"):   # arguments to the image's own entrypoint
        return Command("", tuple(words))
    if _PYTHON.match(basename(words[0])):
        j = 1
        while j < len(words) and words[j].startswith("-"):
            if words[j] == "-m" and j + 1 < len(words):
                return Command(words[j + 1], tuple(words[j + 2:]))
            if words[j] == "-c":
                return Command("python -c", tuple(words[j + 2:]))
            j += 2 if words[j] in ("-W", "-X") else 1
        if j < len(words):
            return Command(words[j], tuple(words[j + 1:]))
    return Command(words[0], tuple(words[1:]))


__all__ = [
    "SHELLS", "Command", "Script", "argv_words", "basename", "container_argv", "container_env", "expand",
    "parse_argv", "shell_split", "shlex_words",
]
