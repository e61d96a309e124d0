"""A case's region, read from its customer's USCC, and collectors' rules by region (no infrastructure)."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

from dunning.collectors.regions import division_of, in_regions, is_known_region, region_names
from dunning.collectors.rules import CaseProfile, CollectorRules, choose_collector, matches, no_match_reason

SHANGHAI = "91310000MA1FL8XY2K"  # division 310000
SHENZHEN = "91440300MA5FUTQ53B"  # division 440300
GUANGZHOU = "91440101MA59TL0J3X"  # division 440101


def case(uscc: str | None, tier: str = "C", amount: str = "5000") -> CaseProfile:
    return CaseProfile(uuid4(), tier, Decimal(amount), division_of(uscc))


def test_the_division_is_characters_three_to_eight_of_the_uscc() -> None:
    assert division_of(SHANGHAI) == "310000"
    assert division_of(SHENZHEN) == "440300"
    assert division_of(" 91440101ma59tl0j3x ") == "440101"


def test_a_missing_malformed_or_unknown_province_uscc_has_no_division() -> None:
    assert division_of(None) is None
    assert division_of("") is None
    assert division_of("9131000MA1FL8XY2K") is None  # 17 characters
    assert division_of("91310000MA1FL8XYIK") is None  # I is not in the USCC's alphabet
    assert division_of("91990000MA1FL8XY2K") is None  # no province 99
    assert division_of("91AB0000MA1FL8XY2K") is None  # a division is digits


def test_a_region_is_a_known_province_or_a_prefix_under_one() -> None:
    assert is_known_region("44") and is_known_region("4403") and is_known_region("440305")
    assert not is_known_region("99") and not is_known_region("4") and not is_known_region("44030")


def test_a_province_rule_takes_every_city_in_it_and_a_city_rule_only_its_own() -> None:
    guangdong = CollectorRules("gd", regions=frozenset({"44"}))
    shenzhen = CollectorRules("sz", regions=frozenset({"4403"}))
    assert matches(guangdong, case(SHENZHEN)) and matches(guangdong, case(GUANGZHOU))
    assert matches(shenzhen, case(SHENZHEN)) and not matches(shenzhen, case(GUANGZHOU))
    assert not matches(guangdong, case(SHANGHAI))


def test_no_region_on_the_rule_takes_any_case_but_a_region_rule_not_one_of_unknown_region() -> None:
    assert matches(CollectorRules("any"), case(None))
    assert not matches(CollectorRules("sh", regions=frozenset({"31"})), case(None))
    assert not in_regions(None, frozenset({"31"})) and in_regions(None, frozenset())


def test_region_combines_with_tier_and_amount() -> None:
    rules = CollectorRules("sh", tiers=frozenset({"D"}), regions=frozenset({"31"}), max_amount=Decimal(1000))
    assert matches(rules, case(SHANGHAI, tier="D", amount="1000"))
    assert not matches(rules, case(SHANGHAI, tier="C", amount="1000"))
    assert not matches(rules, case(SHANGHAI, tier="D", amount="1000.01"))


def test_the_regional_collector_gets_the_case_even_when_a_general_one_is_less_loaded() -> None:
    collectors = [CollectorRules("gd", regions=frozenset({"44"})), CollectorRules("sh", regions=frozenset({"31"}))]
    assert choose_collector(collectors, {"gd": 5, "sh": 0}, case(SHENZHEN)) == "gd"
    assert choose_collector(collectors, {}, case(None)) is None


def test_the_reason_names_the_province_in_both_languages() -> None:
    assert region_names("440300") == ("Guangdong (440300)", "广东（440300）")
    en, zh = no_match_reason(case(SHENZHEN))
    assert "Guangdong (440300)" in en and "广东（440300）" in zh
    en, zh = no_match_reason(case(None))
    assert "an unknown region" in en and "未知地区" in zh
