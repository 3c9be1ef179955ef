"""Overrides: a discount % or a negotiated price, per source or per cloud, the most specific in force."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from footprint.costs.catalog import PriceCatalog
from footprint.costs.models import PriceOverride
from footprint.costs.pricing import Node, deployment_price
from footprint.inventory.models import Source
from tests.conftest import spec_make

pytestmark = pytest.mark.django_db
AT = date(2026, 11, 1)


@pytest.fixture
def aws_source():
    return Source.objects.create(name="prod-aws", kind="aws")


def _price(spec, *, hint=None, source=None, at=AT):
    return deployment_price(spec=spec, node_hint=hint, catalog=PriceCatalog.load(), source=source, at=at)


def test_source_discount_takes_percentage_off(aws_source):
    PriceOverride.objects.create(source=aws_source, kind="discount", discount_percent=Decimal("20"),
                                 effective_from=date(2026, 1, 1), created_by="finance@example.com")
    price = _price(spec_make(accelerator="A10G", per_replica=1, replicas=2), source="prod-aws")
    assert price.hourly == Decimal("1.609600")  # 2 × 1.006 × 0.8
    assert price.override_id is not None
    assert "20% discount on everything (override #" in price.basis and "source prod-aws" in price.basis
    assert "by finance@example.com" in price.basis
    # another source pays list price
    assert _price(spec_make(accelerator="A10G", per_replica=1, replicas=2), source="other").hourly == Decimal("2.012")


def test_negotiated_instance_price(aws_source):
    PriceOverride.objects.create(cloud="aws", instance_type="p4d.24xlarge", kind="price",
                                 usd_per_hour=Decimal("15"), effective_from=date(2026, 1, 1))
    price = _price(spec_make(accelerator="A100-40GB", per_replica=1, replicas=2), hint=Node("p4d.24xlarge"))
    assert price.hourly == Decimal("3.750000")  # 2 × 1/8 × 15
    assert price.basis.startswith("2 × p4d.24xlarge share: 1/8 of $15.00/h")
    assert "negotiated $15.00/h for p4d.24xlarge" in price.basis


def test_negotiated_gpu_price_paid_per_gpu_hour():
    PriceOverride.objects.create(cloud="azure", accelerator="A100-80GB", kind="price", usd_per_hour=Decimal("2"),
                                 effective_from=date(2026, 1, 1))
    spec = spec_make(accelerator="A100-80GB", per_replica=1, replicas=2, cloud="azure", region="eastus")
    price = _price(spec, hint=Node("Standard_ND96amsr_A100_v4"))
    assert price.hourly == Decimal("4.000000")  # 2 GPUs × $2
    assert price.basis.startswith("2 × 1 A100-80GB at $2.00/GPU-h on Standard_ND96amsr_A100_v4")


def test_negotiated_gpu_price_on_a_gpu_cloud():
    PriceOverride.objects.create(cloud="lambda", accelerator="H100-80GB", kind="price", usd_per_hour=Decimal("2.25"),
                                 effective_from=date(2026, 1, 1))
    spec = spec_make(accelerator="H100-80GB", per_replica=8, replicas=1, cloud="lambda", region=None)
    assert _price(spec).hourly == Decimal("18.000000")  # 8 × 2.25


def test_most_specific_override_wins_and_dates_apply(aws_source):
    PriceOverride.objects.create(cloud="aws", kind="discount", discount_percent=Decimal("10"),
                                 effective_from=date(2026, 1, 1))
    PriceOverride.objects.create(source=aws_source, accelerator="A10G", kind="discount",
                                 discount_percent=Decimal("30"), effective_from=date(2026, 6, 1))
    spec = spec_make(accelerator="A10G", per_replica=1, replicas=1)
    assert _price(spec, source=aws_source.pk).hourly == Decimal("0.704200")  # 1.006 × 0.7, source + accelerator
    assert _price(spec, source=aws_source.pk, at=date(2026, 5, 31)).hourly == Decimal("0.905400")  # before: cloud 10 %
    assert _price(spec, source="someone-else").hourly == Decimal("0.905400")


def test_constraints_refuse_inconsistent_overrides():
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceOverride.objects.create(cloud="aws", kind="price", usd_per_hour=Decimal("1"))  # price for everything
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceOverride.objects.create(kind="discount", discount_percent=Decimal("5"))  # no scope
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceOverride.objects.create(cloud="aws", kind="discount", discount_percent=Decimal("120"))
