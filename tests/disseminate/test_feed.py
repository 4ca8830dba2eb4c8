"""The live feed message (tocsin.feed/1): pure mapping from alert records, topic and subject names."""

from __future__ import annotations

import pytest

from tocsin.disseminate.feed import (
    feed_message,
    message_id,
    mqtt_zone_topic,
    nats_subject,
    parse_alert_line,
    utc_iso,
    zone_polygons,
)
from tocsin.errors import BadInputError

ALERT = {
    "t_unix_s": 1578436452.5,
    "zone": "z-0012",
    "level": "take_cover",
    "threats": ["T12"],
    "p_impact": 0.83,
    "impact_t_unix_s": 1578436510.0,
    "reason": "p >= threshold",
}


def test_pre_alert_and_siren_are_distinct_commands() -> None:
    sirens = {lvl: feed_message({**ALERT, "level": lvl}, 1)["siren"] for lvl in ("pre_alert", "take_cover")}
    assert sirens == {"pre_alert": "standby", "take_cover": "sound"}
    assert feed_message({**ALERT, "level": "all_clear"}, 2)["siren"] == "all_clear"
    assert feed_message({**ALERT, "level": "cancel"}, 3)["siren"] == "silence"


def test_message_carries_the_record_time_in_utc_and_its_sequence() -> None:
    m = feed_message(ALERT, 7)
    assert m["seq"] == 7 and m["schema"] == "tocsin.feed/1"
    # 1578436452.5 s is 2020-01-07 22:34:12.5 UTC (the Al Asad strike began about 01:34 local, UTC+3).
    assert m["issued_utc"] == "2020-01-07T22:34:12.500Z" == utc_iso(ALERT["t_unix_s"])
    assert m["threats"] == ["T12"] and m["p_impact"] == 0.83 and "polygons_latlon" not in m


def test_zone_polygons_are_lat_lon_rings_of_every_part() -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "a"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[42.4, 33.8], [42.5, 33.8], [42.5, 33.9], [42.4, 33.8]]],
                },
            },
            {
                "type": "Feature",
                "properties": {"id": "b"},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [
                        [[[44.0, 36.1], [44.1, 36.1], [44.1, 36.2], [44.0, 36.1]]],
                        [[[44.2, 36.1], [44.3, 36.1], [44.3, 36.2], [44.2, 36.1]]],
                    ],
                },
            },
        ],
    }
    polys = zone_polygons(fc)
    assert polys["a"] == [[[33.8, 42.4], [33.8, 42.5], [33.9, 42.5], [33.8, 42.4]]]
    assert len(polys["b"]) == 2 and polys["b"][1][0] == [36.1, 44.2]
    assert feed_message({**ALERT, "zone": "a"}, 1, polys)["polygons_latlon"] == polys["a"]


def test_topic_and_subject_names_escape_reserved_characters() -> None:
    assert mqtt_zone_topic("tocsin", "z-0012") == "tocsin/zone/z-0012"
    assert mqtt_zone_topic("tocsin", "a/b+#c%") == "tocsin/zone/a%2Fb%2B%23c%25"
    assert nats_subject("alerts.zone", "base.north *>") == "alerts.zone.base%2Enorth%20%2A%3E"
    assert nats_subject("alerts.zone", "Tel Aviv") == "alerts.zone.Tel%20Aviv"


def test_message_id_is_stable_and_separates_changes() -> None:
    a, b = feed_message(ALERT, 1), feed_message(ALERT, 99)
    assert message_id(a) == message_id(b)  # a re-sent alert is the same message whatever its seq
    assert message_id(a) != message_id(feed_message({**ALERT, "level": "all_clear"}, 2))
    assert message_id(a) != message_id(feed_message({**ALERT, "t_unix_s": 1578436453.5}, 2))


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("not json", None),
        ("[1]", None),
        ('{"zone": "z", "level": "take_cover"}', "t_unix_s"),
        ('{"t_unix_s": NaN, "zone": "z", "level": "take_cover"}', "t_unix_s"),
        ('{"t_unix_s": 1, "zone": "", "level": "take_cover"}', "zone"),
        ('{"t_unix_s": 1, "zone": "z", "level": "run"}', "level"),
    ],
)
def test_bad_alert_lines_name_line_and_field(text: str, field: str | None) -> None:
    with pytest.raises(BadInputError) as e:
        parse_alert_line(text, "alerts.jsonl", 4)
    assert (e.value.file, e.value.where, e.value.field) == ("alerts.jsonl", 4, field)
