"""Settings from the environment: each value is read, and one hookline cannot use is refused by name."""

from __future__ import annotations

import pytest

from hookline.config import ConfigError, Settings


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("HOOKLINE_LEASE_SECONDS", "abc"),
        ("HOOKLINE_LEASE_SECONDS", "0"),
        ("HOOKLINE_LEASE_SECONDS", "-5"),
        ("HOOKLINE_REQUEST_TIMEOUT", "nan"),
        ("HOOKLINE_REQUEST_TIMEOUT", "inf"),
        ("HOOKLINE_PORT", "http"),
        ("HOOKLINE_PORT", "70000"),
        ("HOOKLINE_ENDPOINT_MAX_IN_FLIGHT", "0"),
        ("HOOKLINE_ENDPOINT_MAX_IN_FLIGHT", "many"),
        ("HOOKLINE_BREAKER_THRESHOLD", "2.5"),
    ],
)
def test_numeric_settings_refuse_nonsense_with_the_setting_named(name: str, text: str) -> None:
    with pytest.raises(ConfigError, match=name) as raised:
        Settings.from_env({name: text})
    assert raised.value.code == "invalid_config"


def test_numeric_settings_are_read() -> None:
    s = Settings.from_env(
        {"HOOKLINE_LEASE_SECONDS": "90", "HOOKLINE_REQUEST_TIMEOUT": "2.5", "HOOKLINE_PORT": "9000"}
    )
    assert (s.delivery.lease_seconds, s.delivery.request_timeout, s.port) == (90.0, 2.5, 9000)
    isolation = Settings.from_env({"HOOKLINE_ENDPOINT_MAX_IN_FLIGHT": "8", "HOOKLINE_BREAKER_THRESHOLD": "3"})
    assert (isolation.delivery.endpoint_max_in_flight, isolation.delivery.breaker_threshold) == (8, 3)


def test_a_port_flag_out_of_range_is_refused_as_the_variable_is() -> None:
    with pytest.raises(ConfigError, match=r"HOOKLINE_PORT \(or --port\): '70000' is not a port number"):
        Settings.from_env({}, port=70000)


@pytest.mark.parametrize(
    "url", ["sqllite:///x.db", "sqlite://x.db", "sqlite:///", "mysql://localhost/db"], ids=str
)
def test_a_database_url_hookline_cannot_open_is_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(ConfigError, match=r"^HOOKLINE_DATABASE_URL \(or --database\): "):
        Settings.from_env({"HOOKLINE_DATABASE_URL": url})


def test_operating_settings_are_read_and_bad_ones_refused_by_name() -> None:
    from hookline.config import ConfigError, Settings

    s = Settings.from_env(
        {
            "HOOKLINE_RETENTION_DAYS": "30", "HOOKLINE_RETENTION_INTERVAL": "5", "HOOKLINE_METRICS": "off",
            "HOOKLINE_METRICS_TOKEN": "m" * 40, "HOOKLINE_METRICS_PORT": "9071", "HOOKLINE_PARTITIONS": "off",
        }
    )  # fmt: skip
    assert (s.ops.retention.days, s.ops.retention.operational_days, s.ops.retention.interval_seconds) == (
        30,
        30,
        5,
    )
    assert not s.ops.retention.partitions and s.ops.retention.horizon_seconds == 30 * 86400
    assert (s.ops.metrics.enabled, s.ops.metrics.token, s.ops.metrics.worker_port) == (False, "m" * 40, 9071)
    defaults = Settings.from_env({})
    assert (
        defaults.ops.retention.days == 90
        and defaults.ops.metrics.enabled
        and defaults.ops.retention.partitions
    )
    assert Settings.from_env({"HOOKLINE_RETENTION_DAYS": "0"}).ops.retention.horizon_seconds is None
    for name, value in (
        ("HOOKLINE_RETENTION_DAYS", "-1"), ("HOOKLINE_RETENTION_DAYS", "soon"), ("HOOKLINE_RETENTION_INTERVAL", "0"),
        ("HOOKLINE_METRICS", "maybe"), ("HOOKLINE_METRICS_PORT", "70000"), ("HOOKLINE_PARTITIONS", "2"),
    ):  # fmt: skip
        with pytest.raises(ConfigError) as info:
            Settings.from_env({name: value})
        assert name in str(info.value)
