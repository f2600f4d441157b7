"""`make chart`: circulating supply by category over 20 years, from the model, as a PNG.

    python -m ionet.studies.chart docs/supply.png

Circulating = vested genesis (each category on its vault's schedule, every allocation granted at
genesis and claimed as it vests; Community and R&D unlocked at genesis) + emission minted so far
(ionet.models.emission, the 300M provider rewards over 175,319 hourly epochs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from ionet import IO
from ionet.models.vesting import circulating_by_category

COLORS = ["#4C72B0", "#55A868", "#C44E52", "#DD8452", "#8172B3", "#64B5CD"]


def draw(out: Path) -> Path:
    years, series = circulating_by_category(months=241)  # 240 months fall 3 hours short of the last epoch
    labels = list(series)
    values = [[v / IO / 1e6 for v in series[k]] for k in labels]
    fig, ax = plt.subplots(figsize=(11, 6.2), dpi=110)
    ax.stackplot(years, values, labels=labels, colors=COLORS, alpha=0.9, linewidth=0)
    total = [sum(col) for col in zip(*values, strict=True)]
    ax.plot(years, total, color="black", linewidth=1.2, label="Total circulating")
    ax.axhline(800, color="grey", linestyle="--", linewidth=1)
    ax.text(0.3, 810, "max supply 800M", color="grey", fontsize=9)
    for month, txt in ((13, "month 13: first tranches"), (36, "month 36: investors fully vested"),
                       (48, "month 48: contributors fully vested")):
        x = years[month]
        ax.axvline(x, color="black", alpha=0.25, linewidth=1)
        ax.text(x + 0.08, 12, txt, rotation=90, va="bottom", ha="left", fontsize=8.5,
                bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.5})
    ax.set_xlim(0, 20)
    ax.set_ylim(0, 850)
    ax.set_xlabel("years since genesis")
    ax.set_ylabel("circulating supply (million IO)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}M"))
    ax.set_xticks(range(0, 21, 2))
    ax.set_title("IO circulating supply by category: 500M genesis on its vesting schedules"
                 " + 300M emission over 20 years")
    ax.legend(loc="lower right", fontsize=9, framealpha=0.95)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("docs/supply.png")
    print(f"wrote {draw(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
