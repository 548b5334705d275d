"""Importing CRM attributes: the service and `manage.py import_customers`."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tracking.customer_keys import customer_key
from tracking.models import VisitorProfile
from tracking.selectors import get_profile_entry
from tracking.services import import_customer_attributes, known_profile

pytestmark = pytest.mark.django_db

CSV = """customer_id,age_band,gender,city,loyalty_tier
C-1,25-34,female,Leeds,gold
C-2,65+,Male,,none
C-3,17-20,female,York,silver
,35-44,male,Bath,bronze
C-4,45-54,female,Bristol,diamond
C-5,,,,
"""


def profile_of(customer_id: str) -> VisitorProfile:
    return VisitorProfile.objects.get(
        customer_key=customer_key(customer_id, settings.PZ_CUSTOMER_ID_PEPPER)
    )


def test_good_rows_are_kept_and_bad_rows_reported_by_line() -> None:
    report = import_customer_attributes(io.StringIO(CSV))

    assert report.imported == 3
    assert [line for line, _ in report.errors] == [4, 5, 6]
    reasons = dict(report.errors)
    assert "age_band must be one of" in reasons[4] and "'17-20'" in reasons[4]
    assert "customer_id is required" in reasons[5]
    assert "loyalty_tier must be one of" in reasons[6] and "'diamond'" in reasons[6]
    assert profile_of("C-1").attributes == {
        "age_band": "25-34", "gender": "female", "city": "Leeds", "loyalty_tier": "gold"
    }  # fmt: skip
    assert profile_of("C-2").attributes == {"age_band": "65+", "gender": "male",
                                            "loyalty_tier": "none"}  # fmt: skip
    assert profile_of("C-5").attributes == {}
    assert not VisitorProfile.objects.filter(attributes__loyalty_tier="diamond").exists()


def test_attributes_are_visible_on_a_cached_profile(django_capture_on_commit_callbacks) -> None:
    visitor_id = known_profile("C-1").visitor_id
    assert get_profile_entry(visitor_id).state.attributes == {}  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        import_customer_attributes(io.StringIO(CSV))

    assert get_profile_entry(visitor_id).state.attributes["loyalty_tier"] == "gold"


def test_reimport_updates_and_keeps_unmentioned_attributes() -> None:
    import_customer_attributes(io.StringIO(CSV))
    visitor_id = profile_of("C-1").visitor_id

    report = import_customer_attributes(
        io.StringIO("Customer_ID ,loyalty_tier,city\nC-1,Platinum,\n")
    )

    assert (report.imported, report.errors) == (1, [])
    profile = profile_of("C-1")
    assert profile.visitor_id == visitor_id
    assert profile.attributes == {
        "age_band": "25-34", "gender": "female", "city": "Leeds", "loyalty_tier": "platinum"
    }  # fmt: skip
    assert VisitorProfile.objects.count() == 3  # C-1, C-2, C-5: no new profile


def test_command_prints_count_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("\ufeff" + CSV, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()

    call_command("import_customers", str(path), stdout=out, stderr=err)

    assert "imported 3 customers" in out.getvalue()
    assert "3 bad rows skipped" in out.getvalue()
    lines = err.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["line 4", "line 5", "line 6"]


def test_command_fails_on_a_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="file not found"):
        call_command("import_customers", str(tmp_path / "missing.csv"))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00customer_id")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_customers", str(binary))
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,tier\n1,gold\n")
    with pytest.raises(CommandError, match="header must include customer_id"):
        call_command("import_customers", str(wrong))


def test_the_committed_sample_has_three_bad_rows() -> None:
    path = Path(settings.PZ_DEMO_DATA_DIR) / "crm" / "customers_sample.csv"
    report = import_customer_attributes(path.read_text(encoding="utf-8").splitlines(True))
    assert report.imported == 197
    assert [line for line, _ in report.errors] == [43, 119, 191]


def test_email_and_first_name_are_imported_and_a_bad_email_is_reported():
    report = import_customer_attributes(
        [
            "customer_id,email,first_name\n",
            "C-1,ada@example.com,Ada\n",
            "C-2,not-an-address,Ben\n",
        ]
    )
    assert report.imported == 1
    assert report.errors == [(3, "email is not an email address (got 'not-an-address')")]
    profile = VisitorProfile.objects.get(attributes__email="ada@example.com")
    assert profile.attributes["first_name"] == "Ada"


def test_a_nul_in_a_crm_value_rejects_its_row_and_keeps_the_export_readable() -> None:
    from tracking.services import export_visitor

    report = import_customer_attributes(
        io.StringIO("customer_id,city,first_name\nC-1,Leeds,Ada\nC-2,Le\x00eds,Bob\n")
    )
    assert report.imported == 1
    assert [line for line, _ in report.errors] == [3]
    assert "city must be valid Unicode text" in report.errors[0][1]
    assert not VisitorProfile.objects.filter(attributes__first_name="Bob").exists()
    export_visitor(visitor_id=profile_of("C-1").visitor_id)
