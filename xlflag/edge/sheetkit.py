"""The look every sheet xlflag writes shares: formats, table heads, titles, A4 print setup."""
from __future__ import annotations


def formats(wb) -> dict:
    base = {"font_name": "宋体", "font_size": 11, "border": 1, "valign": "vcenter"}
    return {
        "title": wb.add_format({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center"}),
        "note": wb.add_format({"font_size": 10, "text_wrap": True, "valign": "top"}),
        "head": wb.add_format(base | {"bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"}),
        "text": wb.add_format(base),
        "center": wb.add_format(base | {"align": "center"}),
        "int": wb.add_format(base | {"align": "center", "num_format": "0"}),
        "score": wb.add_format(base | {"align": "center", "num_format": "0.00"}),
        "percent": wb.add_format(base | {"align": "center", "num_format": "0.00%"}),
        "star": wb.add_format(base | {"align": "center", "font_color": "#C00000"}),
        "win": wb.add_format(base | {"align": "center", "bold": True, "font_color": "#C00000", "bg_color": "#FDE9D9"}),
    }


def page(ws, header_rows: tuple[int, int], landscape: bool = True) -> None:
    """A4, one page wide, header rows repeated: what the office prints."""
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(*header_rows)
    ws.set_footer("&C第&P页 共&N页")


def table_head(ws, fmt, row: int, headers, widths) -> None:
    """Header row (0-based ``row``), column widths, panes frozen below it."""
    ws.write_row(row, 0, headers, fmt["head"])
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(row + 1, 0)


def titled(ws, fmt, title: str, note: str, last_col: int) -> None:
    """Title on row 1, a rule note on row 2: the first two rows of every ranked sheet."""
    ws.merge_range(0, 0, 0, last_col, title, fmt["title"])
    ws.merge_range(1, 0, 1, last_col, note, fmt["note"])
    ws.set_row(1, 30)
