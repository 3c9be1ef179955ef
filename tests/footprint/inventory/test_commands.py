"""manage.py ingest / inventory: the happy path, bad input (exit code 2, nothing written), round trips."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from collectors.spec import ModelSpec, spec_list, specs_from_list
from footprint.inventory.management.commands.ingest import Command as IngestCommand
from footprint.inventory.models import CrawlRun, Deployment, Source

pytestmark = pytest.mark.django_db

JUNE_1 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def write(tmp_path, name: str, specs: list[ModelSpec], *, as_yaml: bool = False):
    path = tmp_path / name
    document = spec_list(specs)
    path.write_text(yaml.safe_dump(document) if as_yaml else json.dumps(document))
    return path


def test_ingest_creates_the_file_source_and_prints_a_summary(tmp_path, make_spec):
    path = write(tmp_path, "fleet.yaml", [make_spec("chat"), make_spec("embed")], as_yaml=True)

    output = run("ingest", str(path), "--source", "lab")

    assert output.strip() == "lab (new source): 2 new, 0 changed, 0 unchanged, 0 ended"
    source = Source.objects.get(name="lab")
    assert (source.kind, source.settings) == ("file", {"path": str(path)})
    assert Deployment.objects.filter(source=source).count() == 2


def test_ingest_is_a_complete_crawl_of_the_source(tmp_path, make_spec):
    run("ingest", str(write(tmp_path, "a.json", [make_spec("chat"), make_spec("embed")])), "--source", "lab")

    output = run("ingest", str(write(tmp_path, "b.json", [make_spec("chat", version="v2")])), "--source", "lab")

    assert output.strip() == "lab: 0 new, 1 changed, 0 unchanged, 1 ended"
    assert CrawlRun.objects.filter(source__name="lab", status="ok").count() == 2


def test_ingest_reads_stdin(monkeypatch, make_spec):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(spec_list([make_spec("chat")]))))

    assert "1 new" in run("ingest", "-", "--source", "lab")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("kind: ModelSpecList\nitems: [\n", "invalid YAML at line"),
        ('{"kind": "ModelSpecList", "items": [{"workload": {"kind": "Deployment"}}]}',
         "items[0]: workload.name is required"),
        ('{"kind": "ModelSpecList", "items": [{"workload": {"kind": "Deployment", "name": "x"}, '
         '"runtime": {"engine": "vllm2"}}]}', "items[0]: runtime.engine 'vllm2' is not one of"),
        ("just a string", "expected a ModelSpecList document"),
        ("", "expected a ModelSpecList document"),
    ],
)
def test_ingest_rejects_bad_input_with_exit_code_2_and_writes_nothing(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)

    with pytest.raises(CommandError) as raised:
        call_command("ingest", str(path), "--source", "lab")

    assert raised.value.returncode == 2
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert (Source.objects.count(), Deployment.objects.count(), CrawlRun.objects.count()) == (0, 0, 0)


def test_ingest_rejects_duplicates_missing_files_and_foreign_sources(tmp_path, make_spec):
    duplicated = write(tmp_path, "dup.json", [make_spec("chat"), make_spec("chat", version="v2")])
    with pytest.raises(CommandError, match=r"items\[1\] repeats the workload of items\[0\]"):
        call_command("ingest", str(duplicated), "--source", "lab")
    with pytest.raises(CommandError, match="cannot read .*missing.yaml"):
        call_command("ingest", str(tmp_path / "missing.yaml"), "--source", "lab")
    with pytest.raises(CommandError, match="must be a slug"):
        call_command("ingest", str(duplicated), "--source", "not a slug")
    Source.objects.create(name="prod", kind="kubernetes")
    with pytest.raises(CommandError, match="is a kubernetes source"):
        call_command("ingest", str(write(tmp_path, "ok.json", [make_spec()])), "--source", "prod")
    assert (Source.objects.count(), Deployment.objects.count()) == (1, 0)


def test_ingest_exits_with_status_2_from_the_command_line(tmp_path, capsys, monkeypatch):
    # run_from_argv closes the connections on its way out; the test's transaction still needs this one.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    path = tmp_path / "bad.json"
    path.write_text("{not json")

    with pytest.raises(SystemExit) as raised:
        IngestCommand().run_from_argv(["manage.py", "ingest", str(path), "--source", "lab"])

    assert raised.value.code == 2
    assert "invalid JSON at line 1" in capsys.readouterr().err
    assert Source.objects.count() == 0


def test_inventory_json_round_trips_through_modelspec(tmp_path, make_spec):
    specs = [
        make_spec("chat", labels={"app": "chat"}, variant="canary"),
        make_spec("ray", cluster=None, namespace=None, unit="app-a", accelerator=None, per_replica=None),
        make_spec("embed", engine="tei", team=None, environment=None, region=None, per_replica=0.5),
    ]
    run("ingest", str(write(tmp_path, "fleet.json", specs)), "--source", "lab")

    document = json.loads(run("inventory", "--format", "json"))

    assert document["kind"] == "ModelSpecList"
    round_tripped = specs_from_list(document)
    by_name = {spec.workload.name: spec for spec in specs}
    assert sorted(s.workload.name for s in round_tripped) == ["chat", "embed", "ray"]
    for spec in round_tripped:
        assert spec == by_name[spec.workload.name]
        assert ModelSpec.from_dict(spec.to_dict()) == spec


def test_inventory_as_of_yaml_and_source_filter(tmp_path, make_spec):
    july_1 = datetime(2026, 7, 1, tzinfo=UTC)
    run("ingest", str(write(tmp_path, "a.json", [make_spec("chat", version="v1", observed_at=JUNE_1)])),
        "--source", "lab")
    run("ingest", str(write(tmp_path, "b.json", [make_spec("chat", version="v2", observed_at=july_1)])),
        "--source", "lab")

    past = specs_from_list(yaml.safe_load(run("inventory", "--as-of", "2026-06-10", "--format", "yaml")))
    now = specs_from_list(json.loads(run("inventory", "--source", "lab")))

    assert [s.model.version for s in past] == ["v1"]
    assert [s.model.version for s in now] == ["v2"]
    assert specs_from_list(json.loads(run("inventory", "--as-of", "2026-05-01T00:00:00Z"))) == []
    with pytest.raises(CommandError, match="no source named 'nope'") as raised:
        run("inventory", "--source", "nope")
    assert raised.value.returncode == 2
    with pytest.raises(CommandError, match="is not a date"):
        run("inventory", "--as-of", "last tuesday")


def test_inventory_table_has_aligned_columns(tmp_path, make_spec):
    specs = [make_spec("chat", version="2024-07"),
             make_spec("embedding-service", cluster="prod-eu-west-1", engine="tei", engine_version=None,
                       accelerator="L4", per_replica=1, replicas=3, ready=1, team=None, variant="canary")]
    run("ingest", str(write(tmp_path, "fleet.json", specs)), "--source", "lab")

    lines = run("inventory", "--format", "table").splitlines()

    assert lines[0].split() == ["CLUSTER", "NAMESPACE", "WORKLOAD", "MODEL", "VERSION", "ENGINE", "PLATFORM",
                                "ACCELERATOR", "REPLICAS", "TEAM", "ENV"]
    assert lines[1].split() == ["prod-a", "llm", "Deployment/chat", "meta-llama/Llama-3.1-8B-Instruct", "2024-07",
                                "vllm", "0.6.3", "kubernetes", "1xA100-80GB", "2/2", "search", "prod"]
    assert lines[2].split() == ["prod-eu-west-1", "llm", "Deployment/embedding-service",
                                "meta-llama/Llama-3.1-8B-Instruct", "-", "tei", "kubernetes", "1xL4", "1/3", "-",
                                "prod/canary"]
    starts = [line.index("llm") for line in lines[1:]]
    assert starts == [lines[0].index("NAMESPACE")] * 2
