"""The charts are SVG drawn in Python: heights in proportion, labels escaped, a sentence when there is no data."""

import re

from textback.reports import charts


def heights(svg: str, kind: str = "bar") -> list[float]:
    return [float(h) for h in re.findall(rf'<rect class="{kind}"[^>]* height="([0-9.]+)"', svg)]


def test_it_draws_bars_in_proportion_to_their_values():
    chart = charts.bars("Missed", ["Mon", "Tue", "Wed", "Thu"], [10, 5, 0, 20])

    drawn = heights(chart.svg)

    assert len(drawn) == 4
    assert drawn[0] == 2 * drawn[1] and drawn[3] == 2 * drawn[0] and drawn[2] == 0


def test_it_scales_with_its_view_box_to_fit_any_screen():
    svg = charts.bars("Missed", ["a"], [3]).svg

    assert 'viewBox="0 0 360 200"' in svg and " width=" not in svg.split(">")[0]


def test_empty_data_draws_nothing_and_says_so():
    chart = charts.bars("Missed", ["Mon", "Tue"], [0, 0])

    assert chart.svg is None and chart.empty == "No calls in this period."
    assert chart.rows == [["Mon", 0], ["Tue", 0]]  # the table still has its rows


def test_labels_and_titles_are_escaped():
    chart = charts.bars("<b>Calls</b>", ["<script>alert(1)</script>"], [4])

    assert "<script>" not in chart.svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in chart.svg
    assert "<b>" not in chart.svg


def test_the_text_alternative_says_what_the_chart_shows():
    chart = charts.bars("Missed calls", ["Mon", "Tue"], [3, 9])

    assert chart.summary == "Missed calls: 12 in all, the most in Tue (9)."
    assert 'aria-label="Missed calls: 12 in all, the most in Tue (9)."' in chart.svg


def test_it_draws_one_line_per_series_with_a_legend():
    chart = charts.lines("By day", ["Nov 1", "Nov 2", "Nov 3"], [("Missed", [3, 1, 4]), ("Replied", [1, 0, 2])])

    assert chart.svg.count('<polyline class="series"') == 2
    assert ">Missed</text>" in chart.svg and ">Replied</text>" in chart.svg
    assert chart.head == ["", "Missed", "Replied"] and chart.rows[2] == ["Nov 3", 4, 2]


def test_a_line_chart_of_one_day_still_draws_its_point():
    chart = charts.lines("By day", ["Nov 1"], [("Missed", [2])])

    assert "<circle" in chart.svg


def test_the_heat_map_shades_cells_by_their_share_of_the_busiest():
    grid = [[0] * 24 for _ in range(7)]
    grid[0][9], grid[4][14] = 4, 8

    chart = charts.heat_map("Missed by hour", grid, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                            [f"{h:02d}:00" for h in range(24)])  # fmt: skip

    assert chart.svg.count('<rect class="cell"') == 7 * 24
    assert 'fill-opacity="1.00"><title>Fri 14:00: 8</title>' in chart.svg
    assert 'fill-opacity="0.56"><title>Mon 09:00: 4</title>' in chart.svg
    assert chart.summary == "Missed by hour: the busiest is Fri at 14:00 (8)."


def test_axis_tops_read_well():
    assert [charts.nice_ceiling(v) for v in (0, 1, 3, 7, 12, 180, 0.4)] == [1, 1, 5, 10, 20, 200, 0.5]


def test_lying_bars_keep_their_labels_whole_and_lengths_in_proportion():
    chart = charts.horizontal_bars("Answers", ["0–5 min", "15–30 min", "1 day +"], [4, 2, 0])

    widths = [float(w) for w in re.findall(r'<rect class="bar"[^>]* width="([0-9.]+)"', chart.svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    assert ">15–30 min</text>" in chart.svg


def test_a_count_axis_has_no_half_way_tick_between_whole_numbers():
    svg = charts.bars("Missed", ["a", "b"], [5, 3]).svg

    assert ">2.5</text>" not in svg and ">5</text>" in svg
