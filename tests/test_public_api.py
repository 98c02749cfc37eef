"""The public API is small and explicit; docs generated from the schema stay in sync."""

import inspect
from pathlib import Path

import wayfinder
from wayfinder.store.docs import render

ROOT = Path(__file__).resolve().parents[1]


def test_exported_members():
    # Submodules appear as attributes once imported anywhere; they are not the public API.
    public = {
        name
        for name in dir(wayfinder)
        if not name.startswith("_") and not inspect.ismodule(getattr(wayfinder, name))
    }
    assert public == set(wayfinder.__all__) - {"__version__"}


def test_data_model_doc_is_generated_from_the_schema():
    assert (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8") == render(), (
        "run `python -m wayfinder.store.docs` to regenerate docs/data-model.md"
    )


def test_every_cli_command_is_in_the_readme():
    from wayfinder.cli.main import app, quarantine_app
    from wayfinder.cli.serve_cmd import keys_app

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]
    commands += [f"quarantine {c.name}" for c in quarantine_app.registered_commands]
    commands += [f"keys {c.name}" for c in keys_app.registered_commands]
    missing = [c for c in commands if f"wayfinder {c}" not in readme]
    assert missing == []
