#!/usr/bin/env python3
"""Brings every library's PublicAPI.Unshipped.txt up to date from the build's own RS0016/RS0017 messages.

`dotnet format analyzers --diagnostics RS0016 RS0017` found nothing to fix on some merges here, while the build
failed with both; the analyzer's messages name each symbol in the lists' own format, so this applies them directly.
The build stops at the first failing project, so the script repeats until a build reports none (at most 10 rounds).
Usage, from the repository root: python3 scripts/refresh-public-api.py
"""
import collections, re, subprocess, sys

PATTERN = re.compile(r"(RS001[67]): Symbol '(.*?)' is (?:not part|part) of the declared (?:public )?API.*\[(.*?\.csproj)\]")

def bare(symbol):
    """A symbol without nullable annotations: the messages do not always carry the lists' '!' and '?'."""
    return symbol.replace("!", "").replace("?", "")


for _ in range(10):
    build = subprocess.run(["dotnet", "build", "QuantUNet.MLNet.sln", "-c", "Release"], capture_output=True, text=True)
    added, removed = collections.defaultdict(set), collections.defaultdict(set)
    for line in build.stdout.splitlines():
        if m := PATTERN.search(line):
            (added if m.group(1) == "RS0016" else removed)[m.group(3).rsplit("/", 1)[0]].add(m.group(2))
    if not added and not removed:
        sys.exit(build.returncode)
    for project in set(added) | set(removed):
        for name in ("PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt"):
            path = f"{project}/{name}"
            gone = {bare(symbol) for symbol in removed[project]}
            with open(path) as f:
                lines = [l for l in f.read().splitlines() if bare(l) not in gone]
            if name == "PublicAPI.Unshipped.txt":
                lines += sorted(added[project])
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
        print(f"{project}: {len(added[project])} added, {len(removed[project])} removed")
sys.exit("the public API lists still disagree with the build after 10 rounds")
