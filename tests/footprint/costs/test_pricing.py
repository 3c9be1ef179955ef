"""Pricing maths against hand-computed figures, per cloud, from the seeded catalog (data/prices.csv)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from collectors.spec import Accelerator, Replicas
from footprint.costs.catalog import PriceCatalog
from footprint.costs.pricing import Node, deployment_price
from tests.conftest import spec_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog() -> PriceCatalog:
    return PriceCatalog.load()


def _spec(accelerator="A100-80GB", per_replica=1, replicas=2, cloud="aws", region="us-east-1", source=None, **kw):
    spec = spec_make(accelerator=accelerator, per_replica=per_replica, replicas=replicas, cloud=cloud,
                     region=region, **kw)
    if source is not None:
        spec = replace(spec, accelerator=replace(spec.accelerator, source=source))
    return spec


def _sagemaker(instance_type, instances, region="us-east-1"):
    spec = spec_make("chat-endpoint", kind="SageMakerEndpoint", cluster=f"sagemaker:{region}", namespace=None,
                     region=region, accelerator=None, per_replica=None, replicas=instances)
    return replace(spec, accelerator=Accelerator("A10G", 1, instances, f"sagemaker:instanceType={instance_type}"))


# --- AWS ---------------------------------------------------------------------------------------------

def test_aws_p4d_share_is_one_eighth_per_gpu(catalog):
    price = deployment_price(spec=_spec("A100-40GB"), node_hint=Node("p4d.24xlarge"), catalog=catalog)
    # 2 replicas × 1/8 × 21.957642
    assert price.hourly.quantize(Decimal("0.0001")) == Decimal("5.4894")
    assert price.basis == "2 × p4d.24xlarge share: 1/8 of $21.96/h, aws us-east-1 on-demand, catalog 2026-01 (KP-price)"
    assert len(price.entry_ids) == 1 and price.override_id is None and not price.unverified


def test_aws_pod_asking_two_of_eight_pays_two_eighths(catalog):
    price = deployment_price(spec=_spec("A100-40GB", per_replica=2, replicas=1), node_hint=Node("p4d.24xlarge"),
                             catalog=catalog)
    assert price.hourly.quantize(Decimal("0.0001")) == Decimal("5.4894")  # 21.957642 / 4
    assert price.basis.startswith("1 × p4d.24xlarge share: 1/4 of $21.96/h")


def test_aws_g5_share_and_monthly(catalog):
    price = deployment_price(spec=_spec("A10G", replicas=3), node_hint=Node("g5.12xlarge"), catalog=catalog)
    assert price.hourly == Decimal("4.254000")  # 3 × 5.672 / 4
    assert price.monthly == Decimal("3105.420000")  # × 730 h
    assert price.basis.startswith("3 × g5.12xlarge share: 1/4 of $5.672/h, aws us-east-1")


def test_aws_without_node_assumes_cheapest_instance(catalog):
    price = deployment_price(spec=_spec("A10G"), catalog=catalog)
    assert price.hourly == Decimal("2.012000")  # 2 × g5.xlarge 1.006
    assert "assumed g5.xlarge, the cheapest A10G instance in us-east-1" in price.basis


def test_aws_instance_type_from_accelerator_source(catalog):
    spec = _spec("A10G", replicas=1, source="nodeSelector:instanceType:g5.48xlarge")
    price = deployment_price(spec=spec, catalog=catalog)
    assert price.hourly == Decimal("2.036000")  # 16.288 / 8
    assert "assumed" not in price.basis


def test_region_without_price_falls_back_to_reference_region_with_note(catalog):
    price = deployment_price(spec=_spec("A100-40GB", region="eu-west-1"), node_hint=Node("p4d.24xlarge"),
                             catalog=catalog)
    assert price.hourly.quantize(Decimal("0.0001")) == Decimal("5.4894")
    assert "priced at us-east-1, the aws reference region: no eu-west-1 price in the catalog" in price.basis


# --- GCP and Azure ------------------------------------------------------------------------------------

def test_gcp_a2_instance(catalog):
    spec = _spec("A100-40GB", replicas=1, cloud="gcp", region="us-central1")
    price = deployment_price(spec=spec, node_hint=Node("a2-highgpu-1g"), catalog=catalog)
    assert price.hourly == Decimal("3.673390")
    assert price.basis.startswith("1 × a2-highgpu-1g at $3.6734/h, gcp us-central1 on-demand, catalog 2025-01 (SKY-GCP)")


def test_gcp_g2_cheapest_l4(catalog):
    price = deployment_price(spec=_spec("L4", cloud="gcp", region="us-central1"), catalog=catalog)
    assert price.hourly == Decimal("1.413660")  # 2 × g2-standard-4 0.70683
    assert "assumed g2-standard-4, the cheapest L4 instance in us-central1" in price.basis


def test_gcp_t4_priced_per_gpu_hour(catalog):
    price = deployment_price(spec=_spec("T4", per_replica=2, cloud="gcp", region="us-central1"), catalog=catalog)
    assert price.hourly == Decimal("1.400000")  # 2 replicas × 2 T4 × 0.35
    assert "2 × 2 T4 at $0.35/GPU-h" in price.basis


def test_azure_nc_a100(catalog):
    spec = _spec("A100-80GB", cloud="azure", region="eastus", source="node:instanceType:Standard_NC24ads_A100_v4")
    price = deployment_price(spec=spec, catalog=catalog)
    assert price.hourly == Decimal("7.346000")  # 2 × 3.673
    assert price.basis.startswith("2 × Standard_NC24ads_A100_v4 at $3.673/h, azure eastus on-demand")


def test_azure_nd_a100_share_matches_issue_example(catalog):
    spec = _spec("A100-80GB", cloud="azure", region="eastus")
    price = deployment_price(spec=spec, node_hint=Node("Standard_ND96amsr_A100_v4"), catalog=catalog)
    assert price.hourly == Decimal("8.192500")  # 2 × 32.77 / 8
    assert price.basis.startswith("2 × Standard_ND96amsr_A100_v4 share: 1/8 of $32.77/h, azure eastus on-demand, "
                                  "catalog 2024-01 (SKY-AZ)")


# --- GPU clouds ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cloud", "accelerator", "per_replica", "replicas", "hourly", "unverified"), [
    ("lambda", "H100-80GB", 8, 2, "47.840000", False),    # 16 × 2.99
    ("nebius", "H200-141GB", 2, 1, "7.000000", False),    # 2 × 3.50
    ("coreweave", "A100-80GB", 4, 1, "10.800000", True),  # 4 × 2.70, second-hand price
])
def test_gpu_clouds_per_gpu_hour(catalog, cloud, accelerator, per_replica, replicas, hourly, unverified):
    spec = _spec(accelerator, per_replica=per_replica, replicas=replicas, cloud=cloud, region=None)
    price = deployment_price(spec=spec, catalog=catalog)
    assert price.hourly == Decimal(hourly)
    assert f"{replicas} × {per_replica} {accelerator} at $" in price.basis
    assert price.unverified is unverified
    assert ("list price unverified" in price.basis) is unverified


def test_lambda_instance_from_node(catalog):
    spec = _spec("H100-80GB", replicas=1, cloud="lambda", region="us-east-1")
    price = deployment_price(spec=spec, node_hint=Node("gpu_8x_h100_sxm5"), catalog=catalog)
    assert price.hourly == Decimal("2.990000")  # 23.92 / 8


# --- SageMaker ----------------------------------------------------------------------------------------

def test_sagemaker_priced_by_ml_instance(catalog):
    price = deployment_price(spec=_sagemaker("ml.g5.xlarge", 3), catalog=catalog)
    assert price.hourly == Decimal("4.230000")  # 3 × 1.41 (not the EC2 g5.xlarge price)
    assert price.basis.startswith("3 × ml.g5.xlarge at $1.41/h, aws us-east-1 on-demand, catalog 2025-10 (SM-2nd)")
    assert price.unverified and "list price unverified" in price.basis


def test_sagemaker_multi_gpu_instance_is_whole_instance(catalog):
    price = deployment_price(spec=_sagemaker("ml.g5.12xlarge", 2), catalog=catalog)
    assert price.hourly == Decimal("14.180000")  # 2 × 7.09


# --- fractions ----------------------------------------------------------------------------------------

def test_mig_slice_pays_its_fraction(catalog):
    spec = _spec("A100-80GB", per_replica=0.1429)  # 1/7 (MIG 1g.10gb), as detection rounds it
    price = deployment_price(spec=spec, node_hint=Node("p4de.24xlarge"), catalog=catalog)
    assert price.hourly == Decimal("0.980252")  # 2 × 27.44705 / 56
    assert "2 × p4de.24xlarge share: 1/56 of $27.45/h" in price.basis
    assert "1/7 of one A100-80GB per replica" in price.basis


def test_time_sliced_slot_pays_its_share_of_the_node(catalog):
    spec = _spec("A10G", replicas=4, source="node:instanceType:g5.48xlarge (time-sliced)")
    price = deployment_price(spec=spec, node_hint=Node("g5.48xlarge", "A10G", allocatable=32), catalog=catalog)
    assert price.hourly == Decimal("2.036000")  # 4 × 16.288 / 32
    assert "the node offers 32 slots over 8 GPUs" in price.basis


def test_zero_replicas_is_an_explicit_zero(catalog):
    price = deployment_price(spec=_spec("A10G", replicas=0), catalog=catalog)
    assert price.hourly == Decimal(0) and "scaled to zero" in price.basis


# --- unknown, with the reason ----------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "hint", "reason"), [
    (_spec(cloud="onprem", region=None), None, "no price catalog for cloud onprem"),
    (_spec(cloud="unknown", region=None), None, "cloud unknown"),
    (replace(_spec(), replicas=Replicas(desired=None)), None, "replicas unknown"),
    (_spec(accelerator=None), None, "accelerator unknown"),
    (_spec(per_replica=None), None, "A100-80GB count per replica unknown"),
    (_spec("MI300X", cloud="gcp", region="europe-west4"), None,
     "no price for MI300X in gcp europe-west4 (nor in the reference region us-central1)"),
    (_spec("A10G", region="us-west-2"), Node("g5.3xlarge"),
     "no price for g5.3xlarge in aws us-west-2 (nor in the reference region us-east-1)"),
    (_spec("L40S", cloud="lambda", region=None), None, "no price for L40S in lambda (region unknown)"),
    (replace(_sagemaker("ml.g5.xlarge", 1), accelerator=Accelerator()), None,
     "SageMaker endpoint instance type unknown"),
    (_sagemaker("ml.g6.xlarge", 1), None,
     "no price for SageMaker ml.g6.xlarge in aws us-east-1"),
])
def test_unknown_names_the_reason(catalog, spec, hint, reason):
    price = deployment_price(spec=spec, node_hint=hint, catalog=catalog)
    assert price.is_unknown and price.hourly is None and price.monthly is None
    assert price.reason == reason
    assert price.basis == f"unknown: {reason}"


def test_pricing_is_pure_given_a_catalog(catalog, django_assert_num_queries):
    specs = [_spec("A10G", region=r) for r in ("us-east-1", "eu-west-1")] * 5
    with django_assert_num_queries(0):
        prices = [deployment_price(spec=s, catalog=catalog, at=date(2026, 11, 1)) for s in specs]
    assert all(not p.is_unknown for p in prices)
