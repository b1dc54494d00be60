"""Numbers behind the report: sentiment splits, weekly trends, anomalies, emerging and fading themes.
Pure functions over plain rows, so they are cheap to test and to run over 100k texts."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime

ANOMALY_Z = 2.0
ANOMALY_MIN_COUNT = 5


def week_of(moment: datetime | None) -> str:
    if moment is None:
        return "undated"
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _side(sentiment: str) -> str:
    """Mixed texts take neither side: in splits and charts they count with the neutral ones."""
    return "neutral" if sentiment == "mixed" else sentiment


def sentiment_split(sentiments: list[str]) -> dict[str, float]:
    counts = Counter(_side(s) for s in sentiments)
    total = len(sentiments) or 1
    return {
        "positive": counts["positive"], "neutral": counts["neutral"], "negative": counts["negative"],
        "net_sentiment": round(100 * (counts["positive"] - counts["negative"]) / total, 1),
    }


def weekly(rows: list[tuple[datetime | None, str]]) -> dict[str, dict[str, int]]:
    """{week: {"count", "positive", "neutral", "negative"}} in week order."""
    weeks: dict[str, Counter] = defaultdict(Counter)
    for moment, sentiment in rows:
        week = week_of(moment)
        weeks[week]["count"] += 1
        weeks[week][_side(sentiment)] += 1
    return {w: {k: weeks[w][k] for k in ("count", "positive", "neutral", "negative")}
            for w in sorted(weeks) if w != "undated"}


def spikes(series: dict[str, int], min_count: int = ANOMALY_MIN_COUNT) -> list[tuple[str, int, float]]:
    """Weeks whose value stands ANOMALY_Z standard deviations above the weeks before it."""
    found = []
    weeks = list(series)
    for i, week in enumerate(weeks):
        history = [series[w] for w in weeks[max(0, i - 8):i]]
        if len(history) < 3 or series[week] < min_count:
            continue
        mean = statistics.fmean(history)
        spread = statistics.pstdev(history) or 1.0
        z = (series[week] - mean) / spread
        if z >= ANOMALY_Z:
            found.append((week, series[week], round(z, 1)))
    return found


def change_between_runs(share_now: float, share_before: float | None) -> str:
    if share_before is None:
        return "new"
    if share_now >= share_before * 1.5 and share_now - share_before >= 0.02:
        return "emerging"
    if share_now <= share_before / 1.5 and share_before - share_now >= 0.02:
        return "fading"
    return "steady"
