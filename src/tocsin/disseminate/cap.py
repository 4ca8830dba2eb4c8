"""CAP 1.2 alert messages: build, validate and write them.

One tocsin alert decision (a line of ``alerts.jsonl``) for one zone becomes one CAP 1.2 ``<alert>``
document (OASIS CAP 1.2, <https://docs.oasis-open.org/emergency/cap/v1.2/CAP-v1.2-os.html>). The
mapping (ecosystem.md section 2):

============  =====================================  ============  ==================================
level         msgType                                responseType  urgency / severity / certainty
============  =====================================  ============  ==================================
pre_alert     Alert (Update inside an open episode)  Prepare       Expected / Severe / Possible
take_cover    Alert (Update inside an open episode)  Shelter       Immediate / Extreme / Likely,
                                                                   Observed when p_impact >= 0.9
all_clear     Update + references                    AllClear      Past / Minor / Observed
cancel        Cancel + references                    None          Past / Minor / Observed
============  =====================================  ============  ==================================

Determinism: nothing here reads a clock or a random source. ``sent`` is the decision's ``t_unix_s``
(floored to the second), and the identifier is ``<sender>.<zone>.<n>`` with ``n`` the zone's message
count, so replaying the same decisions gives byte-identical documents.

The XSD is the official OASIS file, vendored as package data (``CAP-v1.2.xsd``); ``cap_errors`` adds
the checks it cannot express (the ``-00:00`` rule, polygon closure, references on Update/Cancel...).
"""

from __future__ import annotations

import functools
import math
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from lxml import etree

CAP_NS: Final = "urn:oasis:names:tc:emergency:cap:1.2"
LEVELS: Final = ("pre_alert", "take_cover", "all_clear", "cancel")
WARNING_LEVELS: Final = frozenset({"pre_alert", "take_cover"})

#: p_impact at or above which a take_cover is sent with certainty ``Observed`` instead of ``Likely``.
OBSERVED_P_IMPACT: Final = 0.9

_Q = "{" + CAP_NS + "}"
# CAP 1.2 section 3.3.2: no spaces, commas or restricted characters (< and &) in these two.
_BAD_ID_CHARS = re.compile(r"[\s,<&]")
# Identifiers also become file names (cap/<identifier>.xml), so keep them portable.
_FILE_SAFE = re.compile(r"^[A-Za-z0-9._@:+\-%]+$")
_ZONE_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]")
# CAP 1.2 section 3.3.2 DateTime Data Type: no fraction, explicit offset; the XSD pattern.
_CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapZone:
    """A warning zone as CAP needs it.

    ``polygons_lonlat_deg`` holds one entry per polygon of the zone (several for a MultiPolygon);
    each entry is the polygon's rings, exterior first then holes, each ring a sequence of
    ``(lon_deg, lat_deg)`` pairs (GeoJSON order). CAP has no holes: only exterior rings are sent,
    which can only widen the area.
    """

    id: str
    name: str
    polygons_lonlat_deg: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]

    @staticmethod
    def from_feature(feature: Mapping[str, Any]) -> CapZone:
        """Build from one ``zones.geojson`` feature (Polygon or MultiPolygon, lon/lat degrees)."""
        props = feature.get("properties") or {}
        zone_id = str(props.get("id", feature.get("id", "")))
        if not zone_id:
            raise ValueError("zone feature has no properties.id")
        geom = feature.get("geometry") or {}
        gtype = geom.get("type")
        if gtype == "Polygon":
            polys = [geom["coordinates"]]
        elif gtype == "MultiPolygon":
            polys = list(geom["coordinates"])
        else:
            raise ValueError(f"zone {zone_id}: geometry must be Polygon or MultiPolygon, got {gtype!r}")
        rings = tuple(
            tuple(tuple((float(p[0]), float(p[1])) for p in ring) for ring in poly) for poly in polys
        )
        return CapZone(id=zone_id, name=str(props.get("name", zone_id)), polygons_lonlat_deg=rings)


def zones_from_geojson(doc: Mapping[str, Any]) -> dict[str, CapZone]:
    """All zones of a ``zones.geojson`` FeatureCollection, keyed by zone id."""
    out: dict[str, CapZone] = {}
    for feature in doc.get("features", []):
        zone = CapZone.from_feature(feature)
        out[zone.id] = zone
    return out


def _default_expires_s() -> dict[str, float]:
    # Warnings outlive the expected flight (people now stay sheltered until an explicit all clear,
    # domain.md 3.2); the closing messages only need to live long enough to be fetched.
    return {"pre_alert": 1800.0, "take_cover": 3600.0, "all_clear": 600.0, "cancel": 600.0}


@dataclass(frozen=True)
class CapConfig:
    """Settings of the CAP output (strings go verbatim into the messages).

    ``status`` is ``Exercise`` by default: ``Actual`` only for a live system, on purpose.
    ``expires_s`` maps each level to its lifetime after ``sent`` in seconds; warnings also last at
    least ``expires_after_impact_s`` past the predicted impact time.
    """

    sender: str = "tocsin.example"
    sender_name: str = "tocsin early warning"
    status: str = "Exercise"
    scope: str = "Public"
    restriction: str | None = None
    addresses: str | None = None
    language: str = "en-US"
    event: str = "Missile, rocket or mortar attack"
    note: str | None = None
    expires_s: Mapping[str, float] = field(default_factory=_default_expires_s)
    expires_after_impact_s: float = 600.0

    def __post_init__(self) -> None:
        if not self.sender or _BAD_ID_CHARS.search(self.sender) or not _FILE_SAFE.match(self.sender):
            raise ValueError(f"CAP sender {self.sender!r}: use letters, digits and . _ @ : + - only")
        if self.status not in {"Actual", "Exercise", "System", "Test", "Draft"}:
            raise ValueError(f"CAP status {self.status!r} is not a CAP 1.2 status")
        if self.scope == "Restricted" and not self.restriction:
            raise ValueError("CAP scope Restricted needs a restriction text")
        if self.scope == "Private" and not self.addresses:
            raise ValueError("CAP scope Private needs addresses")
        for level in LEVELS:
            if self.expires_s.get(level, 0.0) <= 0.0:
                raise ValueError(f"expires_s[{level!r}] must be > 0 s")


@dataclass(frozen=True)
class CapRef:
    """One earlier message as a CAP ``references`` entry names it."""

    sender: str
    identifier: str
    sent: str

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier},{self.sent}"


@dataclass(frozen=True)
class CapMessage:
    """A composed CAP document and what it says (``xml`` is the UTF-8 document, ready to write)."""

    identifier: str
    sender: str
    sent: str
    msg_type: str
    zone: str
    level: str
    references: tuple[CapRef, ...]
    xml: bytes

    @property
    def ref(self) -> CapRef:
        """This message as a reference for later ones."""
        return CapRef(self.sender, self.identifier, self.sent)


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def cap_time(t_unix_s: float) -> str:
    """Format Unix seconds (UTC) as a CAP 1.2 date-time ``YYYY-MM-DDThh:mm:ss-00:00``.

    The fraction is dropped (floored: a message never claims a later time than its data); UTC is
    written ``-00:00`` as CAP 1.2 section 3.3.2 requires (the XSD would also accept ``+00:00``).
    """
    if not math.isfinite(t_unix_s):
        raise ValueError(f"t_unix_s must be finite, got {t_unix_s}")
    return time.strftime("%Y-%m-%dT%H:%M:%S-00:00", time.gmtime(math.floor(t_unix_s)))


def parse_cap_time(text: str) -> float:
    """Parse a CAP 1.2 date-time into Unix seconds (UTC); ``ValueError`` if malformed."""
    if not _CAP_TIME.match(text):
        raise ValueError(f"not a CAP date-time: {text!r}")
    return datetime.fromisoformat(text).timestamp()


def cap_polygon(ring_lonlat_deg: Sequence[Sequence[float]]) -> str:
    """One ring of ``(lon_deg, lat_deg)`` pairs as a CAP polygon: ``lat,lon`` pairs, closed.

    Latitude comes first in CAP (GeoJSON has longitude first). Longitudes above 180 are wrapped to
    [-180, 180]. Six decimals (~0.1 m) are written. Raises ``ValueError`` for fewer than three
    distinct vertices.
    """
    pairs: list[str] = []
    for p in ring_lonlat_deg:
        lon, lat = float(p[0]), float(p[1])
        if not (math.isfinite(lon) and math.isfinite(lat)) or not -90.0 <= lat <= 90.0:
            raise ValueError(f"bad polygon vertex lon={lon} lat={lat}")
        if lon > 180.0:
            lon -= 360.0
        pairs.append(f"{lat:.6f},{lon:.6f}")
    if pairs and pairs[0] != pairs[-1]:
        pairs.append(pairs[0])
    if len(set(pairs)) < 3 or len(pairs) < 4:
        raise ValueError(f"polygon needs at least three distinct vertices, got {len(set(pairs))}")
    return " ".join(pairs)


def zone_identifier_part(zone_id: str) -> str:
    """The zone id as it appears inside CAP identifiers: unsafe characters percent-encoded.

    Percent-encoding is injective, so distinct zones never share identifiers.
    """
    return _ZONE_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), zone_id)


def cap_identifier(sender: str, zone_id: str, seq: int) -> str:
    """Deterministic identifier ``<sender>.<zone>.<seq>`` of the ``seq``-th message (1-based) of a zone."""
    return f"{sender}.{zone_identifier_part(zone_id)}.{seq:05d}"


# --------------------------------------------------------------------------------------------
# Builder
# --------------------------------------------------------------------------------------------

_INFO_BY_LEVEL: Final[dict[str, tuple[str, str, str, str]]] = {
    # level: (responseType, urgency, severity, certainty); take_cover's certainty depends on p_impact.
    "pre_alert": ("Prepare", "Expected", "Severe", "Possible"),
    "take_cover": ("Shelter", "Immediate", "Extreme", "Likely"),
    "all_clear": ("AllClear", "Past", "Minor", "Observed"),
    "cancel": ("None", "Past", "Minor", "Observed"),
}

_HEADLINE: Final = {
    "pre_alert": "Pre-alert: possible missile or rocket impact, be ready to take shelter",
    "take_cover": "Take cover now: missile or rocket impact expected",
    "all_clear": "All clear: you may leave shelter",
    "cancel": "Warning cancelled: the earlier warning was issued in error",
}

_INSTRUCTION: Final = {
    "pre_alert": "Stay near a shelter and be ready to enter it at once if a take-cover warning follows.",
    "take_cover": "Go to the nearest shelter now and stay there until an all clear is given.",
    "all_clear": "You may leave shelter. Report unexploded ordnance and do not touch debris.",
    "cancel": "The earlier warning for this area is withdrawn. No action is needed.",
}


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, _Q + tag)
    if text is not None:
        el.text = text
    return el


def _decision_float(decision: Mapping[str, Any], key: str) -> float | None:
    v = decision.get(key)
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def build_cap_alert(
    decision: Mapping[str, Any],
    zone: CapZone,
    *,
    identifier: str,
    msg_type: str,
    references: Sequence[CapRef] = (),
    incidents: str | None = None,
    config: CapConfig | None = None,
) -> bytes:
    """Build one CAP 1.2 ``<alert>`` document (UTF-8 bytes) for one decision in one zone.

    ``decision`` is an ``alerts.jsonl`` record (``t_unix_s``, ``zone``, ``level``, ``threats``,
    ``p_impact``, ``impact_t_unix_s``, ``reason``; times in Unix seconds, UTC). ``msg_type`` and
    ``references`` come from the caller (``CapComposer`` derives them from the zone's history).
    Elements are written in the order of the XSD's ``xs:sequence``. Pure: no clock, no I/O.
    """
    cfg = config or CapConfig()
    level = str(decision["level"])
    if level not in _INFO_BY_LEVEL:
        raise ValueError(f"unknown alert level {level!r}")
    t_sent_s = math.floor(float(decision["t_unix_s"]))
    sent = cap_time(t_sent_s)
    impact_t_s = _decision_float(decision, "impact_t_unix_s")
    p_impact = _decision_float(decision, "p_impact")
    threats = [str(t) for t in decision.get("threats") or []]

    # CAP as the default namespace (no prefix), as CAP feeds are usually written.
    root = etree.Element(_Q + "alert", nsmap={None: CAP_NS})  # type: ignore[dict-item]
    _sub(root, "identifier", identifier)
    _sub(root, "sender", cfg.sender)
    _sub(root, "sent", sent)
    _sub(root, "status", cfg.status)
    _sub(root, "msgType", msg_type)
    _sub(root, "source", "tocsin")
    _sub(root, "scope", cfg.scope)
    if cfg.scope == "Restricted" and cfg.restriction:
        _sub(root, "restriction", cfg.restriction)
    if cfg.scope == "Private" and cfg.addresses:
        _sub(root, "addresses", cfg.addresses)
    note = cfg.note
    if note is None and cfg.status != "Actual":
        note = f"{cfg.status} message from a simulated or test run: take no real action."
    if note:
        _sub(root, "note", note)
    if references:
        _sub(root, "references", " ".join(str(r) for r in references))
    if incidents:
        _sub(root, "incidents", incidents)

    response, urgency, severity, certainty = _INFO_BY_LEVEL[level]
    if level == "take_cover" and p_impact is not None and p_impact >= OBSERVED_P_IMPACT:
        certainty = "Observed"
    info = _sub(root, "info")
    _sub(info, "language", cfg.language)
    _sub(info, "category", "Security")
    _sub(info, "event", cfg.event)
    _sub(info, "responseType", response)
    _sub(info, "urgency", urgency)
    _sub(info, "severity", severity)
    _sub(info, "certainty", certainty)
    _sub(info, "effective", sent)
    if level in WARNING_LEVELS and impact_t_s is not None and impact_t_s > t_sent_s:
        _sub(info, "onset", cap_time(impact_t_s))
    t_expires_s = t_sent_s + float(cfg.expires_s[level])
    if level in WARNING_LEVELS and impact_t_s is not None:
        t_expires_s = max(t_expires_s, impact_t_s + cfg.expires_after_impact_s)
    _sub(info, "expires", cap_time(t_expires_s))
    _sub(info, "senderName", cfg.sender_name)
    _sub(info, "headline", f"{_HEADLINE[level]} ({zone.name})")
    desc = [f"Zone {zone.name} ({zone.id}): {level}."]
    if threats:
        desc.append(f"Threats: {', '.join(threats)}.")
    if p_impact is not None:
        desc.append(f"Probability of impact in the zone: {p_impact:.2f}.")
    if impact_t_s is not None and level in WARNING_LEVELS:
        desc.append(f"Expected impact at {cap_time(impact_t_s)}.")
    reason = decision.get("reason")
    if reason:
        desc.append(f"Reason: {reason}")
    _sub(info, "description", " ".join(desc))
    _sub(info, "instruction", _INSTRUCTION[level])
    params: list[tuple[str, str]] = [("tocsin:level", level), ("tocsin:zone", zone.id)]
    if threats:
        params.append(("tocsin:threats", " ".join(threats)))
    if p_impact is not None:
        params.append(("tocsin:p_impact", f"{p_impact:.4f}"))
    if impact_t_s is not None:
        params.append(("tocsin:impact_t_unix_s", f"{impact_t_s:.3f}"))
    for name, value in params:
        p = _sub(info, "parameter")
        _sub(p, "valueName", name)
        _sub(p, "value", value)

    area = _sub(info, "area")
    _sub(area, "areaDesc", zone.name)
    for poly in zone.polygons_lonlat_deg:
        if poly:
            _sub(area, "polygon", cap_polygon(poly[0]))
    geocode = _sub(area, "geocode")
    _sub(geocode, "valueName", "tocsin:zone")
    _sub(geocode, "value", zone.id)

    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


# --------------------------------------------------------------------------------------------
# Composer: per-zone history -> msgType and references
# --------------------------------------------------------------------------------------------


@dataclass
class _ZoneHistory:
    count: int = 0
    episode: list[CapRef] = field(default_factory=list)
    last: CapRef | None = None


class CapComposer:
    """Turns the stream of alert decisions into CAP messages, zone by zone.

    It keeps, per zone, the messages of the open episode (from the first warning until the
    all_clear or cancel that closes it). A warning (pre_alert, take_cover) opens an episode with
    msgType ``Alert``; inside an open episode it is an ``Update`` that references every earlier
    message of the episode (a receiver that missed one still learns what is superseded). An
    all_clear (``Update``) or a cancel (``Cancel``) references them all and closes the episode; with
    no open episode it references the zone's last message. ``incidents`` names the episode by the
    identifier of its first message. Deterministic: same decisions in, same bytes out.
    """

    def __init__(self, zones: Mapping[str, CapZone] | Iterable[CapZone], config: CapConfig | None = None):
        self.config = config or CapConfig()
        self.zones: dict[str, CapZone] = (
            dict(zones) if isinstance(zones, Mapping) else {z.id: z for z in zones}
        )
        self._history: dict[str, _ZoneHistory] = {}

    def compose(self, decision: Mapping[str, Any]) -> CapMessage:
        """The CAP message for one ``alerts.jsonl`` decision; updates the zone's history.

        Raises ``KeyError`` for an unknown zone and ``ValueError`` for an unknown level, or for an
        all_clear or cancel in a zone that never had a message (nothing to reference).
        """
        zone_id = str(decision["zone"])
        zone = self.zones[zone_id]
        level = str(decision["level"])
        if level not in _INFO_BY_LEVEL:
            raise ValueError(f"unknown alert level {level!r}")
        hist = self._history.setdefault(zone_id, _ZoneHistory())
        if level in WARNING_LEVELS:
            refs = tuple(hist.episode)
            msg_type = "Update" if refs else "Alert"
        else:
            refs = tuple(hist.episode) if hist.episode else ((hist.last,) if hist.last else ())
            if not refs:
                raise ValueError(f"zone {zone_id}: {level} with no earlier message to reference")
            msg_type = "Cancel" if level == "cancel" else "Update"
        identifier = cap_identifier(self.config.sender, zone_id, hist.count + 1)
        incidents = hist.episode[0].identifier if hist.episode else identifier
        xml = build_cap_alert(
            decision,
            zone,
            identifier=identifier,
            msg_type=msg_type,
            references=refs,
            incidents=incidents,
            config=self.config,
        )
        msg = CapMessage(
            identifier=identifier,
            sender=self.config.sender,
            sent=cap_time(float(decision["t_unix_s"])),
            msg_type=msg_type,
            zone=zone_id,
            level=level,
            references=refs,
            xml=xml,
        )
        hist.count += 1
        hist.last = msg.ref
        if level in WARNING_LEVELS:
            hist.episode.append(msg.ref)
        else:
            hist.episode = []
        return msg

    def compose_all(self, decisions: Iterable[Mapping[str, Any]]) -> list[CapMessage]:
        """``compose`` over decisions in issue order."""
        return [self.compose(d) for d in decisions]


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@functools.cache
def cap_schema() -> etree.XMLSchema:
    """The vendored OASIS CAP 1.2 XSD, loaded once."""
    xsd = files("tocsin.disseminate").joinpath("CAP-v1.2.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


def _texts(root: etree._Element, path: str) -> list[str]:
    return [(el.text or "") for el in root.iterfind(path, {"c": CAP_NS})]


def _check_time(errors: list[str], name: str, text: str) -> float | None:
    if not _CAP_TIME.match(text):
        errors.append(f"{name}: {text!r} is not YYYY-MM-DDThh:mm:ss±hh:mm (no fraction, no Z)")
        return None
    if text.endswith("+00:00"):
        errors.append(f"{name}: UTC must be written -00:00, not +00:00 (CAP 1.2 3.3.2)")
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError as e:
        errors.append(f"{name}: {e}")
        return None


def _check_polygon(errors: list[str], where: str, text: str) -> None:
    tokens = text.split()
    if len(tokens) < 4:
        errors.append(f"{where}: polygon needs at least 4 lat,lon pairs, got {len(tokens)}")
    coords: list[tuple[float, float]] = []
    for tok in tokens:
        parts = tok.split(",")
        try:
            if len(parts) != 2:
                raise ValueError
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            errors.append(f"{where}: {tok!r} is not a lat,lon pair")
            return
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            errors.append(f"{where}: {tok!r} out of range (lat in [-90, 90], lon in [-180, 180])")
        coords.append((lat, lon))
    if coords and coords[0] != coords[-1]:
        errors.append(f"{where}: polygon not closed (first pair != last pair)")


def _check_circle(errors: list[str], where: str, text: str) -> None:
    parts = text.split()
    try:
        if len(parts) != 2:
            raise ValueError
        lat_s, lon_s = parts[0].split(",")
        lat, lon, radius_km = float(lat_s), float(lon_s), float(parts[1])
    except ValueError:
        errors.append(f"{where}: {text!r} is not 'lat,lon radius_km'")
        return
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or not radius_km >= 0.0:
        errors.append(f"{where}: {text!r} out of range")


def cap_errors(doc: bytes) -> list[str]:
    """Problems of a CAP 1.2 document: the OASIS XSD, then the rules the XSD cannot check.

    Semantic checks: the ``-00:00`` UTC rule and no fractions on every date-time; ``expires`` after
    ``sent``; polygons of >= 4 ``lat,lon`` pairs, closed, in range; circles; ``references`` present
    (and well formed) on Update and Cancel; identifier and sender without spaces, commas, ``<`` or
    ``&``; restriction when scope is Restricted, addresses when Private; a plausible language tag.
    Returns an empty list for a valid document.
    """
    try:
        root = etree.fromstring(doc)
    except etree.XMLSyntaxError as e:
        return [f"not XML: {e}"]
    schema = cap_schema()
    errors: list[str] = []
    if not schema.validate(root):
        log: Iterable[Any] = schema.error_log  # type: ignore[assignment]  # stubs lack __iter__
        errors.extend(f"line {e.line}: {e.message}" for e in log)
    if root.tag != _Q + "alert":
        return errors or [f"root element is {root.tag}, not CAP 1.2 alert"]

    def one(path: str) -> str | None:
        t = _texts(root, path)
        return t[0] if t else None

    for name in ("identifier", "sender"):
        value = one(f"c:{name}")
        if value is not None and (not value or _BAD_ID_CHARS.search(value)):
            errors.append(f"{name}: {value!r} must be non-empty with no spaces, commas, < or &")
    sent_text = one("c:sent")
    t_sent = _check_time(errors, "sent", sent_text) if sent_text is not None else None
    msg_type = one("c:msgType")
    refs = one("c:references")
    if msg_type in {"Update", "Cancel"} and not (refs and refs.strip()):
        errors.append(f"references: required on msgType {msg_type}")
    if refs:
        for tok in refs.split():
            parts = tok.split(",")
            if len(parts) != 3 or not parts[0] or not parts[1] or not _CAP_TIME.match(parts[2]):
                errors.append(f"references: {tok!r} is not sender,identifier,sent")
    scope = one("c:scope")
    if scope == "Restricted" and not one("c:restriction"):
        errors.append("restriction: required when scope is Restricted")
    if scope == "Private" and not one("c:addresses"):
        errors.append("addresses: required when scope is Private")

    for i, info in enumerate(root.iterfind("c:info", {"c": CAP_NS})):
        where = f"info[{i}]"
        for lang in _texts(info, "c:language"):
            if not _LANGUAGE.match(lang):
                errors.append(f"{where}.language: {lang!r} is not an RFC 3066 tag like en-US")
        for name in ("effective", "onset"):
            for text in _texts(info, f"c:{name}"):
                _check_time(errors, f"{where}.{name}", text)
        for text in _texts(info, "c:expires"):
            t_exp = _check_time(errors, f"{where}.expires", text)
            if t_exp is not None and t_sent is not None and not t_exp > t_sent:
                errors.append(f"{where}.expires: {text} is not after sent {sent_text}")
        for j, area in enumerate(info.iterfind("c:area", {"c": CAP_NS})):
            for k, poly in enumerate(_texts(area, "c:polygon")):
                _check_polygon(errors, f"{where}.area[{j}].polygon[{k}]", poly)
            for k, circle in enumerate(_texts(area, "c:circle")):
                _check_circle(errors, f"{where}.area[{j}].circle[{k}]", circle)
    return errors


# --------------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------------


def write_cap(out_dir: str | os.PathLike[str], message: CapMessage) -> Path:
    """Write ``message`` to ``<out_dir>/cap/<identifier>.xml`` and return that path.

    The file appears atomically (written aside, then renamed), so a feed reading ``cap/`` never
    sees half a message.
    """
    cap_dir = Path(out_dir) / "cap"
    cap_dir.mkdir(parents=True, exist_ok=True)
    if not _FILE_SAFE.match(message.identifier):
        raise ValueError(f"identifier {message.identifier!r} is not a safe file name")
    path = cap_dir / f"{message.identifier}.xml"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(message.xml)
    os.replace(tmp, path)
    return path
