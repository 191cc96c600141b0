"""The outbox learns its kinds of work from the apps above it (their AppConfig.ready()) and imports none
of them, so any app can queue work without an import cycle."""

import ast
from pathlib import Path

OUTBOX = Path(__file__).resolve().parents[1]
BELOW_THE_OUTBOX = ("textback.outbox", "textback.lib", "textback.accounts")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_outbox_imports_no_app_above_it():
    sources = [p for p in OUTBOX.rglob("*.py") if "tests" not in p.relative_to(OUTBOX).parts]
    above = {
        f"{path.relative_to(OUTBOX)}: {name}"
        for path in sources
        for name in imported_modules(path)
        if name.startswith("textback.") and not name.startswith(BELOW_THE_OUTBOX)
    }

    assert sources and above == set()
