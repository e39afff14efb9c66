"""Sources in and out as OPML (round trip), and removed from the config file."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from click.testing import CliRunner

from monitor.cli import main
from monitor.config import load_settings

SOURCES = """[storage]
path = "m.db"

# The agency's English service.
[[feeds]]
name = "Agency (en)"
url = "https://agency.example/en/rss"
language = "en"
country = "AM"
side = "armenian"
notes = "State agency: \\"official\\" statements first."
checked = "unverified"

[[feeds]]
name = "Ministry press"
url = "https://mod.example/en/news"
type = "listing"
selector = "ul.news li a"
include = ["/en/news/\\\\d+"]
exclude = ["/gallery/"]
side = "azerbaijani"

# Searches
[[feeds]]
name = "Search: Sotk"
url = "https://news.example/rss/search?q=Sotk&hl=en"
type = "search"
side = "international"
"""

FIELDS = (
    "name",
    "url",
    "kind",
    "language",
    "country",
    "side",
    "selector",
    "include",
    "exclude",
    "notes",
    "checked",
)


def fields(config: Path) -> list[tuple[object, ...]]:
    return [tuple(getattr(f, k) for k in FIELDS) for f in load_settings(config).feeds]


def test_export_then_import_gives_the_same_sources(tmp_path: Path) -> None:
    source = tmp_path / "a.toml"
    source.write_text(SOURCES, encoding="utf-8")
    run = CliRunner()
    opml = tmp_path / "sources.opml"
    exported = run.invoke(main, ["--config", str(source), "feeds", "export", "-o", str(opml)])
    assert exported.exit_code == 0, exported.output
    root = ET.fromstring(opml.read_bytes())
    assert root.tag == "opml" and root.get("version") == "2.0"
    outlines = root.findall("./body/outline")
    assert [o.get("xmlUrl") for o in outlines] == [f.url for f in load_settings(source).feeds]
    assert all(o.get("type") == "rss" and o.get("text") for o in outlines)

    target = tmp_path / "b.toml"
    target.write_text('[storage]\npath = "m.db"\n', encoding="utf-8")
    imported = run.invoke(main, ["--config", str(target), "feeds", "import", str(opml)])
    assert imported.exit_code == 0 and "imported 3 sources, 0 already" in imported.output
    assert fields(target) == fields(source)
    again = run.invoke(main, ["--config", str(target), "feeds", "import", str(opml)])
    assert "imported 0 sources, 3 already configured" in again.output
    assert fields(target) == fields(source)


def test_a_feed_readers_opml_with_folders(tmp_path: Path) -> None:
    reader = tmp_path / "reader.opml"
    reader.write_bytes(
        b"<?xml version='1.0'?><!DOCTYPE opml [<!ENTITY x 'xxxxxxxxxx'>]>"
        b"<opml version='1.0'><head><title>&x;</title></head><body>"
        b"<outline text='Caucasus'><outline text='OC Media' type='rss' "
        b"xmlUrl='https://oc.example/feed/'/><outline text='Folder'>"
        b"<outline title='Civil' type='rss' xmlUrl='https://civil.example/rss'/></outline>"
        b"</outline><outline text='just a link' type='link' url='https://x.example/'/>"
        b"</body></opml>"
    )
    config = tmp_path / "c.toml"
    config.write_text('[storage]\npath = "m.db"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "feeds", "import", str(reader)])
    assert result.exit_code == 0, result.output
    assert [(f.name, f.url) for f in load_settings(config).feeds] == [
        ("OC Media", "https://oc.example/feed/"),
        ("Civil", "https://civil.example/rss"),
    ]
    bad = tmp_path / "bad.opml"
    bad.write_bytes(b"<html><body>not opml</body></html>")
    refused = CliRunner().invoke(main, ["--config", str(config), "feeds", "import", str(bad)])
    assert refused.exit_code != 0 and "not an OPML file" in refused.output


def test_remove_takes_the_table_and_its_comments_only(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    included = tmp_path / "more.toml"
    config.write_text('include_feeds = ["more.toml"]\n' + SOURCES, encoding="utf-8")
    included.write_text(
        '# Extra\n[[feeds]]\nname = "Extra"\nurl = "https://extra.example/rss"\n',
        encoding="utf-8",
    )
    run = CliRunner()
    by_url = run.invoke(
        main, ["--config", str(config), "feeds", "remove", "https://agency.example/en/rss"]
    )
    assert by_url.exit_code == 0, by_url.output
    text = config.read_text(encoding="utf-8")
    assert "Agency (en)" not in text and "The agency's English service" not in text
    assert "# Searches" in text and "Ministry press" in text
    by_name = run.invoke(main, ["--config", str(config), "feeds", "remove", "Extra"])
    assert by_name.exit_code == 0 and str(included) in by_name.output
    assert "Extra" not in included.read_text(encoding="utf-8")
    assert [f.name for f in load_settings(config).feeds] == ["Ministry press", "Search: Sotk"]
    missing = run.invoke(main, ["--config", str(config), "feeds", "remove", "Nope"])
    assert missing.exit_code != 0 and "no [[feeds]] table" in missing.output
