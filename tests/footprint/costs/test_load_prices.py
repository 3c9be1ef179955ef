"""load-prices: the same loader as the seed migration; row-level errors; all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from footprint.costs.models import PriceEntry
from footprint.costs.services import SEED_FILE, prices_parse

pytestmark = pytest.mark.django_db
HEADER = "cloud,region,kind,instance_type,accelerator,gpus_per_instance,usd_per_hour,pricing,source,as_of,note\n"


def _sheet(tmp_path, body: str):
    path = tmp_path / "sheet.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return str(path)


def test_seed_migration_loaded_every_row_with_source_and_as_of():
    rows = prices_parse(text=SEED_FILE.read_text(encoding="utf-8"))
    assert PriceEntry.objects.count() == len(rows) > 100
    assert not PriceEntry.objects.filter(source="").exists()
    assert set(PriceEntry.objects.values_list("cloud", flat=True)) == {"aws", "gcp", "azure", "lambda", "nebius",
                                                                       "coreweave"}
    sagemaker = PriceEntry.objects.filter(key__startswith="ml.")
    assert sagemaker.exists() and all(e.unverified for e in sagemaker)
    p4d = PriceEntry.objects.get(cloud="aws", region="us-east-1", key="p4d.24xlarge")
    assert (p4d.accelerator, p4d.gpus_per_instance, p4d.usd_per_hour) == ("A100-40GB", 8, Decimal("21.957642"))


def test_good_file_creates_and_updates(tmp_path, capsys):
    path = _sheet(tmp_path, "aws,eu-west-1,instance,g5.xlarge,,,1.123,on-demand,my-sheet,2026-11-01,\n"
                            "aws,us-east-1,instance,g5.xlarge,A10G,1,0.9,on-demand,my-sheet,2026-11-01,negotiated list\n"
                            "nebius,,gpu,,B200,,5.25,,my-sheet,2026-11-01,\n")
    call_command("load-prices", path)
    assert "1 created, 2 updated, 0 deleted" in capsys.readouterr().out
    assert PriceEntry.objects.get(cloud="aws", region="eu-west-1", key="g5.xlarge").accelerator == "A10G"
    assert PriceEntry.objects.get(cloud="aws", region="us-east-1", key="g5.xlarge").usd_per_hour == Decimal("0.9")
    assert PriceEntry.objects.get(cloud="nebius", key="B200").source == "my-sheet"


def test_replace_source_deletes_rows_the_file_no_longer_lists(tmp_path):
    before = PriceEntry.objects.filter(source="SKY-LAMBDA").count()
    path = _sheet(tmp_path, "lambda,,gpu,,H100-80GB,,2.49,on-demand,SKY-LAMBDA,2026-11-01,\n")
    call_command("load-prices", path, replace_source="SKY-LAMBDA")
    assert before > 1
    assert list(PriceEntry.objects.filter(source="SKY-LAMBDA").values_list("key", "usd_per_hour")) == [
        ("H100-80GB", Decimal("2.49"))]


def test_bad_file_names_each_line_and_imports_nothing(tmp_path):
    count = PriceEntry.objects.count()
    path = _sheet(tmp_path,
                  "aws,eu-west-1,instance,g5.xlarge,,,1.123,on-demand,my-sheet,2026-11-01,\n"   # line 2: good
                  "aws,eu-west-1,instance,g5.xlarge,L4,,1.1,on-demand,my-sheet,2026-11-01,\n"   # 3: wrong GPU
                  "aws,eu-west-1,instance,zz9.huge,,,1.1,on-demand,my-sheet,2026-11-01,\n"     # 4: unknown type
                  "aws,eu-west-1,instance,g6.xlarge,,,cheap,on-demand,my-sheet,2026-11-01,\n"  # 5: price
                  "mars,,gpu,,H100-80GB,,1,on-demand,my-sheet,2026-11-01,\n"                   # 6: cloud
                  "lambda,,gpu,,H100-80GB,,1,on-demand,my-sheet,November,\n"                   # 7: date
                  "aws,eu-west-1,instance,G5.XLARGE,,,1.2,on-demand,my-sheet,2026-11-01,\n")   # 8: duplicate
    with pytest.raises(CommandError) as caught:
        call_command("load-prices", path)
    message = str(caught.value)
    assert "nothing imported, 6 bad row(s)" in message
    assert "line 3: g5.xlarge carries A10G, not L4" in message
    assert "line 4: unknown instance type 'zz9.huge': give accelerator and gpus_per_instance" in message
    assert "line 5: usd_per_hour 'cheap' is not a number" in message
    assert "line 6: cloud 'mars' is not one of" in message
    assert "line 7: as_of 'November' is not a date (YYYY-MM-DD)" in message
    assert "line 8: aws eu-west-1 G5.XLARGE on-demand is already priced on line 2" in message
    assert "line 2" not in message.replace("on line 2", "")
    assert PriceEntry.objects.count() == count
    assert not PriceEntry.objects.filter(source="my-sheet").exists()


def test_bad_header_and_wrong_source_for_replace(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("cloud,price\naws,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 1: missing column"):
        call_command("load-prices", str(path))
    sheet = _sheet(tmp_path, "lambda,,gpu,,H100-80GB,,2.49,on-demand,other,2026-11-01,\n")
    with pytest.raises(CommandError, match=r"line 2: source is 'other', not 'SKY-LAMBDA'"):
        call_command("load-prices", sheet, replace_source="SKY-LAMBDA")
    assert PriceEntry.objects.filter(source="SKY-LAMBDA").count() > 1
