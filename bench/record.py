#!/usr/bin/python3
"""record.py RESULTS.md SECTION_FILE: puts SECTION_FILE (a markdown section
starting with '## <title> (<date>, ...)') at the top of RESULTS.md, after the
header, replacing older runs of the same benchmark beyond the last three."""
import re
import sys

results, section_file = sys.argv[1], sys.argv[2]
new = open(section_file).read().strip() + "\n"
try:
    text = open(results).read()
except FileNotFoundError:
    text = "# Benchmark results\n\nRecorded by `make bench`; newest first. Ratios are against a baseline measured in the same run.\n"
head, _, rest = text.partition("\n## ")
sections = ["## " + s for s in ("\n## " + rest).split("\n## ") if s.strip()] if rest else []
title = re.sub(r"\(.*", "", new.splitlines()[0]).strip()
same = [s for s in sections if re.sub(r"\(.*", "", s.splitlines()[0]).strip() == title]
others = [s for s in sections if s not in same]
keep = [new] + same[:2]
out = head.rstrip() + "\n\n" + "\n".join(s.strip() + "\n" for s in keep + others)
open(results, "w").write(out)
