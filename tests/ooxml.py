"""Comparing Office files the XlsxWriter way: unzip, normalise volatile XML, compare parts.

Byte-for-byte comparison of zip files breaks on timestamps and compression settings that
mean nothing; these helpers compare what the files say instead.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

from lxml import etree

_VOLATILE = [
    # Creation and modification stamps of the document properties.
    (re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)"), rb"\1DATE\2"),
    # Application version strings.
    (re.compile(rb"(<AppVersion>)[^<]*(</AppVersion>)"), rb"\1VERSION\2"),
]


def _canonical(data: bytes) -> bytes:
    for pattern, replacement in _VOLATILE:
        data = pattern.sub(replacement, data)
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    try:
        return etree.tostring(etree.fromstring(data, parser), method="c14n")
    except etree.XMLSyntaxError:
        return data


def parts(path: Path) -> dict[str, bytes]:
    """Every part of an Office file: XML normalised, binary parts as their SHA-256."""
    out = {}
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            data = archive.read(name)
            if name.endswith((".xml", ".rels", ".vml")):
                out[name] = _canonical(data)
            else:
                out[name] = hashlib.sha256(data).hexdigest().encode()
    return out


def differences(expected: Path, actual: Path) -> list[str]:
    """The names of the parts that differ (or exist in only one file)."""
    a, b = parts(expected), parts(actual)
    return sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
