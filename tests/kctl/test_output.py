"""kctl.output: YAML emitter, plain tables, cell formatting (pure functions)."""

from __future__ import annotations

import json

from kctl.output import cell, plain_table, to_yaml


def test_yaml_of_nested_data():
    doc = {
        "cluster_id": "abc-1",
        "controller_id": None,
        "brokers": [{"node_id": 1, "host": "127.0.0.1", "port": 9092}],
        "flags": [],
        "empty": {},
        "ok": True,
    }
    assert to_yaml(doc) == (
        "cluster_id: abc-1\n"
        "controller_id: null\n"
        "brokers:\n"
        "  - node_id: 1\n"
        '    host: "127.0.0.1"\n'
        "    port: 9092\n"
        "flags: []\n"
        "empty: {}\n"
        "ok: true\n"
    )


def test_yaml_quotes_what_would_change_type_or_break_syntax():
    values = ["yes", "null", "", "a: b", "- x", "#c", "tab\there", "ünï", "123", "1e3"]
    text = to_yaml(values)
    lines = text.splitlines()
    # Every string that YAML would read as something else is a JSON (=YAML) quoted string.
    assert [json.loads(line[2:]) for line in lines] == values


def test_yaml_top_level_list_of_records():
    assert to_yaml([{"a": 1, "b": [1, 2]}, {"a": 2, "b": []}]) == (
        "- a: 1\n  b:\n    - 1\n    - 2\n- a: 2\n  b: []\n"
    )


def test_plain_table_aligns_and_never_wraps():
    long = "x" * 300
    text = plain_table(["TOPIC", "PARTITIONS"], [["a", "3"], [long, "12"]], [False, True])
    assert text.splitlines() == [
        "TOPIC" + " " * 295 + "  PARTITIONS",
        "a" + " " * 299 + "           3",
        long + "          12",
    ]


def test_cell_values():
    assert cell(None) == "-"
    assert cell(True) == "yes" and cell(False) == "no"
    assert cell([1, 2, 3]) == "1,2,3" and cell([]) == "-"
    assert cell({"a": 1}) == "a=1"
    assert cell(0) == "0"


def test_rich_tables_show_cluster_names_literally(monkeypatch):
    """A group or topic name is data, not rich markup: "[/]" once crashed the table."""
    import io

    from rich.console import Console

    from kctl import console, output

    buffer = io.StringIO()
    monkeypatch.setattr(console, "plain", lambda stream: False)
    monkeypatch.setattr(console, "stdout", lambda: Console(file=buffer, width=80))
    rows = [{"group": "grp[/]x", "state": "[red]EMPTY"}]
    output.print_table(rows, ["group", "state"], title="groups [bold]here")
    text = buffer.getvalue()
    assert "grp[/]x" in text and "[red]EMPTY" in text and "groups [bold]here" in text
