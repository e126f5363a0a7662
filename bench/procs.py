"""What a process and its descendants use, read from /proc: processor time and memory (RSS and
PSS), for the benchmarks that drive a real server (bench/load.py)."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def tree(root: int) -> set[int]:
    """`root` and its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found


def processor_seconds(root: int) -> float:
    """The processor time (user and system) `root` and its living descendants have used."""
    ticks = 0
    for pid in tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def memory(root: int) -> tuple[float, float]:
    """RSS and PSS in MB, summed over `root` and its descendants."""
    rss = pss = 0
    for pid in tree(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith(("Rss:", "Pss:")):
                    kb = int(line.split()[1])
                    rss, pss = (rss + kb, pss) if line[0] == "R" else (rss, pss + kb)
        except OSError:
            continue
    return rss / 1024, pss / 1024


class Sampler(threading.Thread):
    """The largest memory() of a process tree while it runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, (0.0, 0.0), threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            rss, pss = memory(self.pid)
            self.peak = (max(self.peak[0], rss), max(self.peak[1], pss))
