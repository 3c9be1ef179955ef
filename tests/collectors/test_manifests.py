import json

from collectors.manifests import load_objects, scan_paths

VLLM = """apiVersion: apps/v1
kind: Deployment
metadata: {name: %s, namespace: llm}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.6.3
        args: ["--model", "Qwen/Qwen2.5-7B-Instruct"]
        resources: {limits: {nvidia.com/gpu: 1}}
"""


def test_one_bad_document_is_reported_with_its_line_and_hides_nothing(tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text(VLLM % "first" + "---\nkind: Deployment\nmetadata: {name: broken\n  : :\n---\n" + VLLM % "second")
    result = scan_paths([path])
    assert sorted(s.workload.name for s in result.specs) == ["first", "second"]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.path == str(path)
    assert error.line == 16
    assert str(error).startswith(f"{path}:16: invalid YAML")


def test_kubectl_list_dumps_and_typed_api_lists_are_flattened(tmp_path):
    import yaml

    deployment = yaml.safe_load(VLLM % "listed")
    kubectl = {"apiVersion": "v1", "kind": "List", "items": [deployment], "metadata": {"resourceVersion": ""}}
    typed = {"apiVersion": "apps/v1", "kind": "DeploymentList",
             "items": [{k: v for k, v in yaml.safe_load(VLLM % "typed").items() if k not in ("kind", "apiVersion")}]}
    (tmp_path / "dump.json").write_text(json.dumps(kubectl))
    (tmp_path / "typed.yaml").write_text(yaml.safe_dump(typed))
    result = scan_paths([tmp_path])
    assert sorted(s.workload.name for s in result.specs) == ["listed", "typed"]
    assert not result.errors


def test_json_lines_and_invalid_json_are_reported_per_line(tmp_path):
    import yaml

    good = json.dumps(yaml.safe_load(VLLM % "jl"))
    path = tmp_path / "objects.jsonl"
    path.write_text(good + "\n{not json}\n" + good.replace('"jl"', '"jl2"') + "\n")
    objects, origins, errors = load_objects(path)
    assert [o["metadata"]["name"] for o in objects] == ["jl", "jl2"]
    assert origins == [f"{path}:1", f"{path}:3"]
    assert [e.line for e in errors] == [2]


def test_folders_skip_hidden_directories_and_non_manifest_files(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text(VLLM % "hidden")
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "a.yml").write_text(VLLM % "visible")
    (tmp_path / "README.md").write_text("# not yaml: [")
    result = scan_paths([tmp_path])
    assert [s.workload.name for s in result.specs] == ["visible"]
    assert result.files == 1


def test_unreadable_input_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "scalar.yaml").write_text("just a string\n")
    (tmp_path / "values.yaml").write_text("replicaCount: 2\nimage: {repository: vllm/vllm-openai}\n")
    result = scan_paths([tmp_path, tmp_path / "missing.yaml"])
    messages = sorted(str(e) for e in result.errors)
    assert any("not UTF-8" in m for m in messages)
    assert any("expected a Kubernetes object, found str" in m for m in messages)
    assert any("missing.yaml: no such file" in m for m in messages)
    assert result.specs == []  # a Helm values file is not an object and not an error


def test_unrendered_helm_templates_fail_per_document(tmp_path):
    path = tmp_path / "chart.yaml"
    path.write_text("# Source: chart/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n"
                    "---\n" + VLLM % "rendered")
    result = scan_paths([path])
    assert [s.workload.name for s in result.specs] == ["rendered"]
    assert [e.line for e in result.errors] == [5]


def test_scan_records_each_workloads_file_as_its_source(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(VLLM % "x")
    [spec] = scan_paths([path]).specs
    assert spec.workload.source == str(path)


def test_a_huge_multi_document_file_with_a_broken_document_in_the_middle(tmp_path):
    docs = [VLLM % f"m{i}" for i in range(3000)]
    docs.insert(1500, "kind: Deployment\nmetadata: [unclosed\n")
    path = tmp_path / "huge.yaml"
    path.write_text("---\n".join(docs))
    result = scan_paths([path])
    assert len(result.specs) == 3000
    # each document is 12 lines plus its "---"; the broken one spans lines 19501-19503
    [error] = result.errors
    assert 1500 * 13 + 1 <= error.line <= 1500 * 13 + 3
    assert result.errors[0].message.startswith("invalid YAML")

