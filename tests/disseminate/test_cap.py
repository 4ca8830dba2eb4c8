"""CAP 1.2 builder, composer, validator and writer."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tocsin.disseminate.cap import (
    CAP_NS,
    CapComposer,
    CapConfig,
    CapZone,
    cap_errors,
    cap_identifier,
    cap_polygon,
    cap_time,
    parse_cap_time,
    write_cap,
    zones_from_geojson,
)

NS = {"c": CAP_NS}
T0 = 1578436212.5  # 2020-01-07T22:30:12.5Z, the Al Asad night

# A flight-line zone at Al Asad (33.79 N, 42.44 E): latitude and longitude are far apart, so a swap
# shows at once.
ZONES_DOC: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "z-0012", "name": "Flight line", "shelter_s": 60},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [42.430, 33.780],
                        [42.450, 33.780],
                        [42.450, 33.790],
                        [42.430, 33.790],
                        [42.430, 33.780],
                    ],
                    [[42.435, 33.783], [42.440, 33.783], [42.440, 33.786], [42.435, 33.783]],
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"id": "z 7/north", "name": "Quarters & HQ", "shelter_s": 30},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [
                    # Open ring on purpose: the builder must close it.
                    [[[42.44, 33.80], [42.45, 33.80], [42.45, 33.81], [42.44, 33.81]]],
                    [[[42.46, 33.80], [42.47, 33.80], [42.465, 33.81], [42.46, 33.80]]],
                ],
            },
        },
    ],
}


def _decision(level: str, t: float, zone: str = "z-0012", p: float = 0.7, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "t_unix_s": t,
        "zone": zone,
        "level": level,
        "threats": ["T12"],
        "p_impact": p,
        "impact_t_unix_s": T0 + 170.3,
        "reason": "predicted impact ellipse overlaps zone",
    }
    d.update(kw)
    return d


EPISODE = [
    _decision("pre_alert", T0, p=0.3),
    _decision("take_cover", T0 + 60.2, p=0.95),
    _decision("all_clear", T0 + 400.0, p=0.0, impact_t_unix_s=None),
    _decision("take_cover", T0 + 900.0, p=0.6),
    _decision("cancel", T0 + 930.0, p=0.0),
]


def _composer(**cfg: Any) -> CapComposer:
    return CapComposer(zones_from_geojson(ZONES_DOC), CapConfig(**cfg))


def _text(xml: bytes, path: str) -> list[str]:
    return [e.text or "" for e in etree.fromstring(xml).iterfind(path, NS)]


def test_vendored_xsd_is_the_oasis_file() -> None:
    raw = files("tocsin.disseminate").joinpath("CAP-v1.2.xsd").read_text(encoding="utf-8")
    assert "Copyright OASIS Open 2010 All Rights Reserved" in raw
    root = etree.fromstring(raw.encode())
    assert root.get("targetNamespace") == "urn:oasis:names:tc:emergency:cap:1.2"
    assert root.get("version") == "1.2"


def test_cap_time_floors_and_writes_minus_zero() -> None:
    assert cap_time(T0) == "2020-01-07T22:30:12-00:00"
    assert cap_time(T0 + 0.999) == "2020-01-07T22:30:13-00:00"
    assert parse_cap_time("2020-01-07T22:30:12-00:00") == 1578436212.0
    assert parse_cap_time("2020-01-08T01:30:12+03:00") == 1578436212.0


def test_every_level_validates_and_maps_per_table() -> None:
    msgs = _composer().compose_all(EPISODE)
    expected = [
        ("Alert", "Prepare", "Expected", "Severe", "Possible"),
        ("Update", "Shelter", "Immediate", "Extreme", "Observed"),  # p 0.95 >= 0.9
        ("Update", "AllClear", "Past", "Minor", "Observed"),
        ("Alert", "Shelter", "Immediate", "Extreme", "Likely"),  # new episode, p 0.6
        ("Cancel", "None", "Past", "Minor", "Observed"),
    ]
    assert len(msgs) == len(expected)
    for msg, (mtype, resp, urg, sev, cert) in zip(msgs, expected, strict=True):
        assert cap_errors(msg.xml) == [], msg.level
        assert _text(msg.xml, "c:msgType") == [mtype] == [msg.msg_type]
        assert _text(msg.xml, "c:info/c:responseType") == [resp]
        assert _text(msg.xml, "c:info/c:urgency") == [urg]
        assert _text(msg.xml, "c:info/c:severity") == [sev]
        assert _text(msg.xml, "c:info/c:certainty") == [cert]
        assert _text(msg.xml, "c:info/c:category") == ["Security"]
        assert _text(msg.xml, "c:status") == ["Exercise"]


def test_references_follow_the_episode() -> None:
    msgs = _composer().compose_all(EPISODE)
    pre, tc, ac, tc2, cancel = msgs
    assert pre.references == () and not _text(pre.xml, "c:references")
    assert tc.references == (pre.ref,)
    assert _text(tc.xml, "c:references") == [f"tocsin.example,{pre.identifier},2020-01-07T22:30:12-00:00"]
    assert ac.references == (pre.ref, tc.ref)
    assert tc2.references == ()  # the all_clear closed the episode
    assert cancel.references == (tc2.ref,)
    # incidents names the episode by its first message
    assert _text(ac.xml, "c:incidents") == [pre.identifier]
    assert _text(cancel.xml, "c:incidents") == [tc2.identifier]


def test_sent_and_expires_come_from_the_data() -> None:
    msg = _composer().compose(EPISODE[1])
    assert _text(msg.xml, "c:sent") == ["2020-01-07T22:31:12-00:00"]
    (expires,) = _text(msg.xml, "c:info/c:expires")
    assert parse_cap_time(expires) > parse_cap_time(msg.sent)
    assert _text(msg.xml, "c:info/c:onset") == [cap_time(T0 + 170.3)]


def test_polygon_is_lat_lon_closed_and_drops_holes() -> None:
    msg = _composer().compose(EPISODE[0])
    (poly,) = _text(msg.xml, "c:info/c:area/c:polygon")  # the hole is not sent
    pairs = [tuple(float(v) for v in tok.split(",")) for tok in poly.split()]
    assert len(pairs) == 5 and pairs[0] == pairs[-1]
    for lat, lon in pairs:
        assert 33.77 < lat < 33.80 and 42.42 < lon < 42.46  # latitude first
    assert pairs[1] == (33.78, 42.45)


def test_multipolygon_zone_gives_one_polygon_each_and_safe_identifier() -> None:
    msg = _composer().compose(_decision("take_cover", T0, zone="z 7/north"))
    assert cap_errors(msg.xml) == []
    polys = _text(msg.xml, "c:info/c:area/c:polygon")
    assert len(polys) == 2
    first = polys[0].split()
    assert len(first) == 5 and first[0] == first[-1]  # the open ring was closed
    assert msg.identifier == "tocsin.example.z%207%2Fnorth.00001"
    assert _text(msg.xml, "c:info/c:area/c:geocode/c:value") == ["z 7/north"]
    assert cap_identifier("s", "z-1", 3) == "s.z-1.00003"


def test_replay_gives_identical_bytes(tmp_path: Path) -> None:
    a = _composer().compose_all(EPISODE)
    b = _composer().compose_all(EPISODE)
    assert [m.xml for m in a] == [m.xml for m in b]
    paths = [write_cap(tmp_path, m) for m in a]
    assert [p.name for p in paths] == [f"tocsin.example.z-0012.0000{i}.xml" for i in range(1, 6)]
    assert all(p.parent == tmp_path / "cap" for p in paths)
    assert paths[2].read_bytes() == a[2].xml
    assert not list((tmp_path / "cap").glob("*.tmp"))


def test_actual_status_only_when_asked() -> None:
    assert _text(_composer().compose(EPISODE[0]).xml, "c:status") == ["Exercise"]
    msg = _composer(status="Actual").compose(EPISODE[0])
    assert _text(msg.xml, "c:status") == ["Actual"] and not _text(msg.xml, "c:note")
    with pytest.raises(ValueError, match="sender"):
        CapConfig(sender="tocsin example")


def test_closing_message_without_history_is_refused() -> None:
    with pytest.raises(ValueError, match="no earlier message"):
        _composer().compose(_decision("all_clear", T0))


def _mutate(xml: bytes, path: str, text: str | None) -> bytes:
    root = etree.fromstring(xml)
    el = root.find(path, NS)
    assert el is not None
    if text is None:
        el.getparent().remove(el)  # type: ignore[union-attr]
    else:
        el.text = text
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@pytest.mark.parametrize(
    ("path", "text", "needle"),
    [
        ("c:sent", "2020-01-07T22:31:12Z", "sent"),  # XSD pattern
        ("c:sent", "2020-01-07T22:31:12.5-00:00", "sent"),
        ("c:sent", "2020-01-07T22:31:12+00:00", "-00:00"),  # XSD accepts it; the spec does not
        ("c:info/c:area/c:polygon", "33.78,42.43 33.78,42.45 33.79,42.45 33.79,42.43", "not closed"),
        ("c:info/c:area/c:polygon", "33.78,42.43 33.78,42.45 33.78,42.43", "at least 4"),
        ("c:info/c:area/c:polygon", "133.78,42.43 33.78,42.45 33.79,42.45 133.78,42.43", "out of range"),
        ("c:references", None, "references: required"),
        ("c:references", "tocsin.example;x", "sender,identifier,sent"),
        ("c:info/c:expires", "2020-01-07T22:31:12-00:00", "not after sent"),
        ("c:identifier", "has space", "identifier"),
        ("c:msgType", "Warning", "msgType"),  # XSD enumeration
    ],
)
def test_broken_messages_are_caught(path: str, text: str | None, needle: str) -> None:
    good = _composer().compose_all(EPISODE[:2])[1].xml  # an Update with references
    assert cap_errors(good) == []
    errors = cap_errors(_mutate(good, path, text))
    assert errors, (path, text)
    assert any(needle in e for e in errors), errors


def test_element_order_is_enforced_by_the_xsd() -> None:
    root = etree.fromstring(_composer().compose(EPISODE[0]).xml)
    sender = root.find("c:sender", NS)
    assert sender is not None
    root.remove(sender)
    root.insert(0, sender)  # sender before identifier
    assert any("sender" in e or "identifier" in e for e in cap_errors(etree.tostring(root)))
    assert cap_errors(b"<alert") and cap_errors(b"<x/>")


def test_cap_polygon_rejects_degenerate_rings() -> None:
    with pytest.raises(ValueError):
        cap_polygon([(42.0, 33.0), (42.1, 33.0), (42.0, 33.0)])
    assert cap_polygon([(190.0, 10.0), (191.0, 10.0), (191.0, 11.0)]).startswith("10.000000,-170.000000")


def test_zone_from_feature_rejects_points() -> None:
    with pytest.raises(ValueError, match="Polygon"):
        CapZone.from_feature(
            {"properties": {"id": "p"}, "geometry": {"type": "Point", "coordinates": [0, 0]}}
        )
