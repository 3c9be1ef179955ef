import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).parents[3]
SCHEMA = json.loads((ROOT / "schemas" / "modelspec-v1.schema.json").read_text())


def run_scan(*args):
    # Production mode (DATABASE_URL set, as in CI) refuses to start without its secrets: give it some.
    env = {**os.environ, "SECRET_KEY": "test-secret", "FOOTPRINT_FERNET_KEY": Fernet.generate_key().decode()}
    return subprocess.run([sys.executable, "manage.py", "scan", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_scan_prints_a_valid_model_spec_list_for_the_examples():
    done = run_scan("examples/manifests", "--format", "json", "--cloud", "gcp", "--cluster", "prod-euw4")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    jsonschema.validate(data, SCHEMA)
    by_name = {item["workload"]["name"]: item for item in data["items"]}
    chat = by_name["chat-vllm"]
    assert chat["model"]["name"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert chat["runtime"]["engine"] == "vllm"
    assert chat["runtime"]["engineVersion"] == "0.6.3"
    assert chat["replicas"] == {"desired": 3, "ready": None, "min": 2, "max": 6, "autoscaled": True}
    assert chat["accelerator"]["type"] == "L4"
    assert chat["owner"]["team"] == "search"
    assert chat["workload"]["cluster"] == "prod-euw4"
    assert chat["workload"]["cloud"] == "gcp"
    assert "web-frontend" not in by_name and "finetune-llama" not in by_name


def test_scan_yaml_and_table_formats():
    done = run_scan("examples/manifests/search", "--format", "yaml")
    assert done.returncode == 0
    assert yaml.safe_load(done.stdout)["kind"] == "ModelSpecList"
    table = run_scan("examples/manifests/search", "--format", "table")
    header, *rows = table.stdout.strip().splitlines()
    assert header.split()[:4] == ["CLUSTER", "NAMESPACE", "WORKLOAD", "MODEL"]
    assert any("Deployment/embeddings" in row and "BAAI/bge-large-en-v1.5" in row for row in rows)


def test_explain_lists_signals_and_why_gpu_workloads_were_left_out():
    done = run_scan("examples/manifests", "--format", "json", "--explain")
    assert done.returncode == 0
    json.loads(done.stdout)  # the explanation never pollutes the machine-readable output
    assert "+ Deployment search-prod/chat-vllm" in done.stderr
    assert "image vllm/vllm-openai:v0.6.3" in done.stderr
    assert "- Job research-dev/finetune-llama" in done.stderr and "left out" in done.stderr
    assert "web-frontend" not in done.stderr  # no GPU, nothing to explain


@pytest.mark.parametrize("content", ["kind: Deployment\nmetadata: {name: x\n", "{\"kind\": "])
def test_unreadable_input_exits_2_with_a_one_line_error_naming_file_and_line(tmp_path, content):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    done = run_scan(bad, tmp_path.parent / "does-not-matter-missing.yaml")
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert any(line.startswith(f"error: {bad}:") for line in lines)
    assert json.loads(done.stdout)["items"] == []
