from sitwatch.reports.tables import render


def test_plain_columns_line_up_and_markdown_is_a_table() -> None:
    rows = [["almir", "100.0%"], ["vanessa", "2.9%"]]
    plain = render(["person", "found"], rows, markdown=False)
    assert plain == ["person   found", "almir    100.0%", "vanessa  2.9%"]
    md = render(["person", "found"], rows, markdown=True)
    assert md == ["| person | found |", "|---|---|", "| almir | 100.0% |", "| vanessa | 2.9% |"]
