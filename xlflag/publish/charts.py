"""The 简报's charts as PNG images (matplotlib, Agg), with a CJK font that really has the glyphs.

matplotlib draws a box (tofu) for every Chinese character its font lacks. So the font is chosen,
not hoped for: the first installed face of ``CJK_FAMILIES`` whose character map holds every
character the charts print (Debian/Ubuntu fonts-noto-cjk; SimHei / Microsoft YaHei on Windows).
``cjk_font`` returns None when none has them all, and the bulletin then leaves the charts out and
says so, rather than print boxes.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                "SimHei", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK JP")
STAR_COLOURS = ("#C00000", "#E46C0A", "#F2C200", "#7F9F3F", "#5B7FA6", "#A6A6A6")


@dataclass(frozen=True)
class CjkFont:
    family: str
    path: str


def font_has(path: str, text: str) -> bool:
    """Every character of ``text`` maps to a real glyph (not .notdef, index 0) in the font."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(path)
    return all(font.get_char_index(ord(c)) != 0 for c in set(text) if not c.isspace())


def cjk_font(text: str) -> CjkFont | None:
    from matplotlib import font_manager

    for family in CJK_FAMILIES:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        if font_has(path, text):
            return CjkFont(family, path)
    return None


@dataclass(frozen=True)
class Chart:
    title: str
    labels: tuple[str, ...]
    png: bytes

    @property
    def text(self) -> str:
        return self.title + "".join(self.labels)


def _figure(font: CjkFont, size=(6.2, 3.6)):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams["font.family"] = [font.family]
    plt.rcParams["axes.unicode_minus"] = False
    return plt, plt.subplots(figsize=size, dpi=200)


def _png(plt, fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def stars_chart(font: CjkFont, title: str, branches: list[str], counts: dict[str, list[int]]) -> Chart:
    """Stacked bars: members per star level (``counts`` level name → one count per branch)."""
    plt, (fig, ax) = _figure(font)
    bottom = [0] * len(branches)
    for colour, (level, values) in zip(STAR_COLOURS, counts.items()):
        ax.bar(branches, values, bottom=bottom, label=level, color=colour)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_title(title)
    ax.set_ylabel("人数")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # people come whole: no 0.5 ticks
    ax.legend(fontsize=8, ncols=min(len(counts), 6), loc="upper center", bbox_to_anchor=(0.5, -0.12))
    ax.tick_params(axis="x", labelsize=8)
    labels = (*branches, *counts, "人数")
    return Chart(title, labels, _png(plt, fig))


def ranking_chart(font: CjkFont, title: str, branches: list[str], totals: list[float], winners: set[str]) -> Chart:
    """Horizontal bars, the best at the top, the flag's winners in red."""
    plt, (fig, ax) = _figure(font, (6.2, 0.5 + 0.4 * max(len(branches), 3)))
    order = list(range(len(branches)))[::-1]
    colours = ["#C00000" if branches[i] in winners else "#7F7F7F" for i in order]
    ax.barh([branches[i] for i in order], [totals[i] for i in order], color=colours)
    for y, i in enumerate(order):
        ax.text(totals[i], y, f" {totals[i]:.2f}", va="center", fontsize=8)
    low = min(totals, default=0)
    ax.set_xlim(max(0, low - 10), 100)
    ax.set_title(title)
    ax.set_xlabel("综合得分")
    return Chart(title, (*branches, "综合得分"), _png(plt, fig))
