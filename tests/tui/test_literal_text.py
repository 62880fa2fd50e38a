"""Names, keys and values from the cluster show as the literal text they are.

Textual parses plain strings handed to DataTable cells and Static widgets as markup, so a
group named ``grp[/]x`` crashed the groups tab and a value ``[red]x`` was restyled; control
bytes in records reached the terminal. These tests read what the widgets actually draw.
"""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaException
from textual.widgets import DataTable, Static

from kctl import group_admin as ga
from tests.tui.test_app import (
    LARGE,
    app_for,
    cluster_for,
    open_tail,
    rows,
    sync,
    until,
    widget,
)
from tui.data.actions import create_topic, produce_record
from tui.widgets.literal import visible

MARKUP_GROUPS = ("grp[/]x", "[bold]g")


@pytest.fixture(scope="module")
def data(shared_broker) -> str:
    """pilot-plain: 4 records in one partition; pilot-markup: one record full of markup."""
    c = cluster_for(shared_broker.bootstrap)
    create_topic(c, "pilot-plain", 1)
    for i in range(4):
        produce_record(c, "pilot-plain", f"k{i}", f"v{i}")
    create_topic(c, "pilot-markup", 1)
    produce_record(c, "pilot-markup", "k[/]", "[red]x\x1b[2J\x00end")
    return shared_broker.bootstrap


def drawn(table: DataTable, row: int) -> str:
    """The characters the table draws for ``row`` (line 0 is the header)."""
    return "".join(segment.text for segment in table.render_line(row + 1))


def test_visible_escapes_control_characters_only():
    assert visible("a\x1b[31mb\x00\n\t\x7f\x85\u2028") == "a\\x1b[31mb\\x00\\n\\t\\x7f\\x85\\u2028"
    assert visible("plain [b]text[/] é 😀") == "plain [b]text[/] é 😀"


@sync
async def test_group_names_with_markup_show_literally(data):
    c = cluster_for(data)
    try:
        for group in MARKUP_GROUPS:
            ga.commit_offsets(c.admin(), group, {("pilot-plain", 0): 1}, 5)
    except (KafkaException, TimeoutError):
        pytest.skip("the broker does not serve the consumer-group APIs (OffsetCommit)")
    app = app_for(data)
    async with app.run_test(size=LARGE) as pilot:
        await until(pilot, lambda: app.snapshot and all(app.snapshot.group(g)
                                                        for g in MARKUP_GROUPS),
                    what="the groups in a snapshot")
        await pilot.press("3")
        table = await widget(pilot, app, "#group-table")
        label = await widget(pilot, app, "#lag-label", Static)
        for group in MARKUP_GROUPS:
            index = [r[0] for r in rows(table)].index(group)
            table.move_cursor(row=index)
            # drawn once the table has laid its columns out (later on a loaded machine)
            await until(pilot, lambda i=index, g=group: drawn(table, i).split()[0] == g,
                        what=f"{group} drawn")
            await until(pilot, lambda g=group: str(label.render()).startswith(f"{g}: total lag"),
                        what=f"detail of {group}")
            assert str(label.render()).startswith(f"{group}: total lag 3")
        assert app.is_running


@sync
async def test_tailed_record_with_markup_and_escape_shows_literally(data):
    app = app_for(data)
    async with app.run_test(size=LARGE) as pilot:
        table = await open_tail(pilot, app, "pilot-markup")
        await until(pilot, lambda: table.row_count == 1, what="the record")
        # drawn once the table has laid its columns out (later on a loaded machine)
        await until(pilot, lambda: "k[/]" in drawn(table, 0), what="the record drawn")
        line = drawn(table, 0)
        assert "[red]x\\x1b[2J\\x00end" in line
        assert "\x1b" not in line and "\x00" not in line
        assert rows(table)[0][3:] == ["k[/]", "[red]x\\x1b[2J\\x00end"]
        # The filter text is echoed in the title: literally too.
        await pilot.press("slash", *"k[/]")
        title = app.screen.query_one("#tail-title", Static)
        await until(pilot, lambda: "matching 'k[/]'" in str(title.render()), what="filter title")
        assert table.row_count == 1
        assert app.is_running
