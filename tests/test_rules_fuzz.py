"""Random edits of every bundled rule file load and quote, or fail with file and key; never a
crash (issue 13). Seeded: a failure reproduces with the same seed; see tests/rules_fuzz.py for
the mutations and for running 500 per file by hand."""

from __future__ import annotations

from rules_fuzz import bundled_files, run

SEED = 20261129
#: 25 mutations of each bundled file (103 files: 2,575 mutations, about 15 s of CPU).
PER_FILE = 25


def test_rule_file_mutations_never_crash_the_loader_or_a_quote(tmp_path):
    results = run(seed=SEED, per_file=PER_FILE, work=tmp_path, markets_per_zone=3)
    findings = results["finding"]
    assert not findings, "\n\n".join(
        f"{file} mutation #{n} ({name}), seed {SEED}:\n{detail}\n--- file ---\n{text[:2000]}"
        for file, n, name, detail, text in findings[:3])
    total = sum(len(v) for v in results.values())
    assert total == PER_FILE * len(bundled_files())
    # the mutations reach both outcomes: edits that still load (and quote), edits refused
    assert len(results["loaded"]) > total // 10 and len(results["rejected"]) > total // 2
