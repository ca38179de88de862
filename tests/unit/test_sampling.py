"""Trace sampling by rules: reservoirs per second, rates, matching, settings; failures kept."""

from pathlib import Path

import pytest

from ecommerce.platform.sampling import (
    Always,
    Never,
    Rule,
    Sampler,
    failed_status,
    keep,
    sampler_from_env,
)


def test_the_reservoir_takes_the_first_traces_of_each_second_then_the_rate() -> None:
    now = [100.2]
    draws = iter([0.5, 0.01, 0.9])
    sampler = Sampler(
        default=Rule("default", fixed_target=2, rate=0.05),
        clock=lambda: now[0],
        draw=lambda: next(draws),
    )

    def decide() -> bool:
        return sampler.decide(service="orders", method="POST", path="/orders")

    assert [decide(), decide()] == [True, True]  # the reservoir
    assert [decide(), decide()] == [False, True]  # then 5 %: 0.5 no, 0.01 yes
    now[0] = 101.0
    assert decide() is True  # a new second, a new reservoir
    assert decide() is True
    assert decide() is False  # 0.9


def test_the_first_matching_rule_applies_with_its_own_reservoir() -> None:
    sampler = Sampler(
        rules=(
            Rule("health", fixed_target=0, rate=0.0, path="/healthz"),
            Rule("placing", fixed_target=1, rate=0.0, service="orders", method="POST"),
        ),
        default=Rule("default", fixed_target=0, rate=0.0),
        clock=lambda: 5.0,
        draw=lambda: 0.5,
    )
    assert not sampler.decide(service="orders", method="GET", path="/healthz")
    assert sampler.decide(service="orders", method="POST", path="/orders")
    assert not sampler.decide(service="orders", method="POST", path="/orders")
    assert not sampler.decide(service="catalog", method="GET", path="/products")


def test_failures_are_always_kept() -> None:
    assert keep(sampled=False, failed=True)
    assert keep(sampled=True, failed=False)
    assert not keep(sampled=False, failed=False)
    assert [failed_status(s) for s in (200, 202, 404, 422, 429, 500, 503)] == [
        False,
        False,
        False,
        False,
        True,
        True,
        True,
    ]


def test_the_setting_chooses_the_sampler(tmp_path: Path) -> None:
    assert type(sampler_from_env({})) is Sampler
    assert type(sampler_from_env({"ECOMMERCE_TRACE_SAMPLING": "rules"})) is Sampler
    assert isinstance(sampler_from_env({"ECOMMERCE_TRACE_SAMPLING": "all"}), Always)
    assert isinstance(sampler_from_env({"ECOMMERCE_TRACE_SAMPLING": "none"}), Never)
    rules = tmp_path / "sampling.json"
    rules.write_text(
        '{"version": 2, "rules": [{"description": "orders", "service_name": "orders",'
        ' "http_method": "POST", "url_path": "/orders", "fixed_target": 3, "rate": 0.2}],'
        ' "default": {"fixed_target": 1, "rate": 0.05}}'
    )
    sampler = sampler_from_env({"ECOMMERCE_TRACE_SAMPLING": str(rules)})
    assert sampler.rules == (
        Rule("orders", fixed_target=3, rate=0.2, service="orders", method="POST", path="/orders"),
    )
    assert sampler.default == Rule("default", fixed_target=1, rate=0.05)
    rules.write_text('{"rules": [], "default": {"fixed_target": 1, "rate": 7}}')
    with pytest.raises(ValueError, match="rate in"):
        sampler_from_env({"ECOMMERCE_TRACE_SAMPLING": str(rules)})
