#!/usr/bin/env python3
"""Writes a JSON-lines corpus from the man pages Debian packages ship (/usr/share/man/man1).

Each line: {"key": "<page name>", "title": "<name and one-line summary>", "body": "<text>"}. The roff
markup is reduced to plain text with a few regular expressions (good enough for a benchmark: both
engines index the same text).

usage: text_corpus.py OUT.jsonl [max_pages]
"""
import gzip
import json
import os
import re
import sys

out_path = sys.argv[1]
limit = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
directory = "/usr/share/man/man1"
escapes = re.compile(r"\\f(\[[^\]]*\]|\(..|.)|\\\(..|\\\[[^\]]*\]|\\[*n]\(..|\\[*n].|\\s[-+]?\d|\\.")
pages = 0
with open(out_path, "w") as out:
    for name in sorted(os.listdir(directory)):
        if pages >= limit or not name.endswith(".gz"):
            continue
        path = os.path.join(directory, name)
        if os.path.islink(path):
            continue
        try:
            raw = gzip.open(path, "rt", errors="replace").read()
        except (OSError, EOFError):
            continue
        lines = []
        for line in raw.splitlines():
            if line.startswith(('.\\"', "'\\\"")):
                continue
            if line.startswith((".", "'")):
                line = line.split(" ", 1)[1] if " " in line else ""
            lines.append(escapes.sub(" ", line).replace('"', " "))
        body = "\n".join(lines)
        match = re.search(r"NAME\s*\n(.*)", body)
        key = name[: -len(".1.gz")] if name.endswith(".1.gz") else name[:-3]
        title = (match.group(1) if match else key).strip()
        out.write(json.dumps({"key": key, "title": title, "body": body}) + "\n")
        pages += 1
print(f"{pages} pages written to {out_path}", file=sys.stderr)
