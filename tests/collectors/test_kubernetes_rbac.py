from pathlib import Path

import yaml

from collectors.kubernetes import RESOURCES

RBAC = Path(__file__).parents[2] / "deploy" / "rbac.yaml"


def test_the_shipped_cluster_role_grants_exactly_what_the_crawler_reads():
    role = next(d for d in yaml.safe_load_all(RBAC.read_text()) if d["kind"] == "ClusterRole")
    granted = {(group, resource) for rule in role["rules"] for group in rule["apiGroups"]
               for resource in rule["resources"]}
    read = {(r.group, r.plural) for r in RESOURCES} | {("", "namespaces")}  # namespaces: per-namespace fallback
    assert granted == read
    assert all(sorted(rule["verbs"]) == ["get", "list"] for rule in role["rules"])
    assert not any("secrets" in rule["resources"] for rule in role["rules"])
