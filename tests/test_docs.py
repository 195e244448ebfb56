"""The docs keep up with the code: what is not documented fails here."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

from server.cli import _parser
from server.config import SETTINGS_DOC
from server.mutators import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
SYNC_DOC = ROOT / "docs" / "sync.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
README = ROOT / "README.md"

# Where each error constructor takes its code: by position, or only by keyword.
CODE_POSITION = {
    "ApiError": 1,
    "problem": 1,
    "SyncError": 0,
    "Rejected": 0,
    "NotYet": 0,
    "MutationError": None,
}


def words_in(path: Path) -> set[str]:
    """Every code-like word of a document, as written between backticks or not."""
    return set(re.findall(r"[A-Za-z0-9_./{}-]+", path.read_text()))


def error_codes(*folders: str) -> set[str]:
    """Every literal error code the source raises or returns."""
    codes = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                codes |= _codes_of(node)
    return codes


def _codes_of(node: ast.AST) -> set[str]:
    if not isinstance(node, ast.Call):
        return set()
    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
    if name not in CODE_POSITION:
        return set()

    given = [keyword.value for keyword in node.keywords if keyword.arg == "code"]
    position = CODE_POSITION[name]
    if position is not None and len(node.args) > position:
        given.append(node.args[position])
    return {
        value.value
        for value in given
        if isinstance(value, ast.Constant) and isinstance(value.value, str)
    }


def feed_entities(*folders: str) -> set[str]:
    """Every entity name the source writes onto the change feed."""
    entities = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (isinstance(node, ast.Call)
                        and getattr(node.func, "attr", None) == "record"
                        and node.args and isinstance(node.args[0], ast.Constant)):
                    entities.add(str(node.args[0].value))
    return entities


def http_error_codes() -> set[str]:
    """The codes server/errors.py gives plain HTTP errors, from its table."""
    source = (ROOT / "server" / "errors.py").read_text()
    return set(re.findall(r'^\s+\d{3}: "([a-z_]+)",$', source, re.MULTILINE))


async def test_every_api_path_is_in_the_sync_doc(client):
    spec = await (await client.get("/openapi.json")).get_json()
    documented = words_in(SYNC_DOC)

    paths = set(spec["paths"])
    assert "/api/sync/push" in paths
    assert sorted(paths - documented) == []


def test_every_mutation_is_in_the_sync_doc():
    documented = words_in(SYNC_DOC)

    assert len(REGISTRY) >= 5
    assert sorted(set(REGISTRY) - documented) == []


def test_every_feed_entity_has_its_own_section():
    headings = set(re.findall(r"^### (\S+)$", SYNC_DOC.read_text(), re.MULTILINE))

    entities = feed_entities("server", "sync")
    assert {"case", "event", "rejection"} <= entities
    assert sorted(entities - headings) == []


def test_every_setting_is_in_the_readme():
    documented = words_in(README)

    assert sorted(set(SETTINGS_DOC) - documented) == []


def test_every_error_code_is_documented():
    codes = error_codes("server", "sync") | http_error_codes()
    documented = set().union(*map(words_in, DOCS))

    # The scan must find the codes it exists for, or it proves nothing.
    assert {"mutation_gap", "photo_missing", "invalid_cursor",
            "unknown_mutation", "not_found"} <= codes
    assert sorted(codes - documented) == []


def test_every_command_is_in_the_readme():
    actions = [action for action in _parser()._actions
               if isinstance(action, argparse._SubParsersAction)]
    commands = set(actions[0].choices)
    readme = README.read_text()

    assert {"serve", "demo", "enroll", "migrate"} <= commands
    assert sorted(name for name in commands if f"casehub {name}" not in readme) == []


def test_the_readme_links_only_to_files_that_exist():
    links = re.findall(r"\]\(([^)#]+)\)", README.read_text())

    assert "docs/sync.md" in links
    missing = [link for link in links
               if "://" not in link and not (ROOT / link).exists()]
    assert missing == []


def test_the_files_the_docs_name_exist():
    named = {(doc.name, path) for doc in [README, *DOCS]
             for path in re.findall(r"`((?:server|sync|pwa|tests|bench|docs)/"
                                    r"[\w./-]+\.(?:py|js|md|html|css))`",
                                    doc.read_text())}

    # The pattern must find the names it exists for, or it proves nothing.
    assert ("reliability.md", "tests/chaos.py") in named
    assert [(doc, path) for doc, path in sorted(named)
            if not (ROOT / path).exists()] == []
