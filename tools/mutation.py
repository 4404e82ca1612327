"""`make mutation`: mutation testing of the pure core, and its report in docs/mutation.md.

mutmut (configured in pyproject.toml, [tool.mutmut]) changes the code that decides who is told
what (the modules `only_mutate` names in pyproject.toml) one small way at a time: `<` for `<=`,
`+ 1` for `+ 2`, `and` for `or`, a string for another. Each change is a mutant; the fast tests
run against it, and a mutant they fail on is killed. A mutant they pass is a wrong program the
tests cannot tell from the right one: a test is missing, or the change makes no difference (an
equivalent mutant, listed below with the reason).

mutmut keeps its results under mutants/ and, on a re-run, tests only the mutants of functions
that changed: after a small change the run takes minutes. `rm -rf mutants` starts afresh (and
is needed after a change to [tool.mutmut], which mutmut's cache does not notice).
`python -m tools.mutation --report-only` rewrites the report from the last run, after an edit
to EQUIVALENT.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "mutation.md"
MUTMUT = [sys.executable, "-m", "mutmut"]

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
"""A timeout is a mutant that made the code loop: the tests noticed."""

_AT_IMPORT = (
    "Runs once, when the module is imported, before mutmut switches a mutant on: no test can "
    "run it; and a bigger or missing limit only changes when the memo is emptied."
)
_STRICT = (
    "zip's strict=True only turns a length mismatch into an error; both sequences are built "
    "from one list (one entry each), so no input reaches the difference."
)
_CEU_DAYS = (
    "The earliest CEU an evaluation reads is on the first day of the cycle before the current "
    "one: at most 4 years less a day (1,460 days) before as_of for two-year cycles. 366 x 4 + 1 "
    "= 1,465 leaves 5 days to spare, so 2 fewer still cover it, and more only load CEUs that "
    "never count (the scan's property test checks the evaluation is the same without them)."
)
_SCORE = "Doubling the count of filled minimums keeps the order of (total, count) pairs."

EQUIVALENT: dict[tuple[str, str], str] = {
    ("_Memo.__init__", "def __init__(self, limit: int = 4097) -> None:"): _AT_IMPORT,
    ("_Memo.__init__", "self.limit = None"): _AT_IMPORT,
    (
        "_Memo.__init__",
        "self.found: dict[tuple[int, int, object], tuple[BodyFile, Version, object]] = None",
    ): _AT_IMPORT,
    ("_Memo.put", "if len(self.found) > self.limit:"): (
        "The memo holds one entry more before it is emptied: results are the same."
    ),
    (
        "day_in_year",
        "if day < 28:  # every month has it: no calendar needed (the common case, and much faster)",
    ): "The 28th then takes the calendar's path, which gives the same day (every month has one).",
    ("load_yaml", 'data = yaml.safe_load(path.read_text(encoding="UTF-8"))'): (
        "Python's codec names are case-insensitive: the same codec."
    ),
    ("ceus", 'return str(whole) if not part else f"{whole}.{part:02d}".rstrip("XX0XX")'): (
        "rstrip takes a set of characters; the digits and the point hold no X."
    ),
    ("ceu_days", "return as_of - timedelta(days=366 * 2 * years - 1), as_of"): _CEU_DAYS,
    ("ceu_days", "return as_of - timedelta(days=367 * 2 * years + 1), as_of"): _CEU_DAYS,
    ("ceu_days", "return as_of - timedelta(days=366 * 3 * years + 1), as_of"): _CEU_DAYS,
    ("ceu_days", "return as_of - timedelta(days=366 * 2 * years + 2), as_of"): _CEU_DAYS,
    ("_evaluate_body", "consumed: frozenset[CeuFact] = None"): (
        "Read only as `if consumed:` until the ended cycle's result replaces it: None and the "
        "empty set are both false."
    ),
    ("sums_suffice", "None, membership, previous, certified, as_of, rulebook.missing_history"): (
        "The body is read only by the wording of the reason returned, which sums_suffice never "
        "reads (it asks only whether there is one)."
    ),
    ("sums_suffice", "body, membership, previous, certified, as_of, None"): (
        "The setting only chooses between None (check the ended cycle) and _UNDECIDED (the "
        "CEUs decide); sums_suffice answers None to both, as both need the CEUs read."
    ),
    ("plan", "if len(result.due) >= 1:"): "Sorting a list of one changes nothing.",
    ("_why_not", "if day >= e.cycle_end:"): (
        "Only a CEU that does not count is asked why, and one dated the last day of the cycle "
        "shown always counts there: it lies inside the cycle (after certification, on or before "
        "the evaluation's day), and the ended cycle it could go to is that same cycle."
    ),
    (
        "_score",
        "return sum(state), sum(2 for filled, cap in zip(state, caps, strict=True) if filled >= cap)",
    ): _SCORE,
}
for _function, _line in [
    ("assess", "for (minimum, *_), result in zip(specs, results, {}):"),
    ("allocate", "for index, choice in zip(contested, choices, {}):"),
    ("allocate", "for (amount, _), need in zip(items, assigned, {}):"),
    ("_search", "start = tuple(min(amount, cap) for amount, cap in zip(base, caps, {}))"),
    (
        "_score",
        "return sum(state), sum(1 for filled, cap in zip(state, caps, {}) if filled >= cap)",
    ),
    ("_covers", "return all(x >= y for x, y in zip(a, b, {}))"),
]:
    for _strict in ("strict=None", "strict=False", ""):
        EQUIVALENT[(_function, _line.format(_strict))] = _STRICT
"""(function, the mutated line, stripped) -> why the mutant behaves exactly as the original.
Each is a claim a reader can check; a mutant is listed here only when no input tells it apart."""


@dataclass(frozen=True)
class Mutant:
    name: str
    status: str
    module: str
    function: str
    removed: str = ""
    added: str = ""

    @property
    def equivalent(self) -> str | None:
        return EQUIVALENT.get((self.function, self.added))


def _name_parts(name: str) -> tuple[str, str]:
    """`reminders.rules.cycles.x_add_years__mutmut_3` -> (module path, function)."""
    module, _, rest = name.rpartition(".")
    function = re.sub(r"__mutmut_\d+$", "", rest)
    function = re.sub(r"^x[ǁ_]", "", function).replace("ǁ", ".")
    return module, function


def collect() -> list[Mutant]:
    """Every mutant of the last run with its status, and the diff of each that was not
    killed. Read in-process from mutmut's own records (a `mutmut show` a mutant took a
    second each: minutes for a few hundred); mutmut is pinned in constraints.txt."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.file_utils import walk_mutatable_files

    mutants = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for name, code in data.exit_code_by_key.items():
            status = status_by_exit_code[code]
            module, function = _name_parts(name)
            if status in KILLED:
                mutants.append(Mutant(name, status, module, function))
            else:
                removed, added = _changed(get_diff_for_mutant(name, path=path))
                mutants.append(Mutant(name, status, module, function, removed, added))
    return mutants


def _changed(diff: str) -> tuple[str, str]:
    """The first line a mutant removed and the first it added, stripped."""
    lines = diff.splitlines()
    removed = [line[1:].strip() for line in lines if line[:1] == "-" and line[:3] != "---"]
    added = [line[1:].strip() for line in lines if line[:1] == "+" and line[:3] != "+++"]
    return (removed[0] if removed else ""), (added[0] if added else "")


def report(mutants: list[Mutant], when: datetime) -> str:
    by_module: dict[str, Counter[str]] = {}
    for m in mutants:
        counts = by_module.setdefault(m.module, Counter())
        counts["all"] += 1
        if m.status in KILLED:
            counts["killed"] += 1
        elif m.equivalent:
            counts["equivalent"] += 1
        else:
            counts["survived"] += 1
    total = sum(by_module.values(), Counter())
    lines = [
        "# Mutation testing of the core",
        "",
        f"`make mutation` on {when:%Y-%m-%d}, mutmut {version('mutmut')}: every mutant of",
        "the modules `[tool.mutmut]` of pyproject.toml names (the rules, planning, which events",
        "employers are told of and what their team leads get a copy of) against the fast tests.",
        "The score is the share of the mutants that are not",
        "equivalent that the tests kill. Written by `tools/mutation.py`; the module says how",
        "mutmut works and how to read this.",
        "",
        (
            f"**Score: {_score(total)}** ({total['killed']} killed of {total['all']} mutants; "
            f"{total['equivalent']} equivalent, {total['survived']} surviving)."
        ),
        "",
        "| module | mutants | killed | equivalent | surviving | score |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for module, c in sorted(by_module.items()):
        lines.append(
            f"| `{module}` | {c['all']} | {c['killed']} | {c['equivalent']} | "
            f"{c['survived']} | {_score(c)} |"
        )
    surviving = [m for m in mutants if m.status not in KILLED and not m.equivalent]
    lines += ["", "## Surviving mutants", ""]
    if not surviving:
        lines.append("None.")
    for m in surviving:
        lines.append(f"- `{m.name}` ({m.status}): `{m.removed}` → `{m.added}`")
    equivalent = [m for m in mutants if m.status not in KILLED and m.equivalent]
    lines += ["", "## Equivalent mutants", ""]
    if not equivalent:
        lines.append("None.")
    for m in equivalent:
        lines.append(f"- `{m.name}`: `{m.removed}` → `{m.added}`. {m.equivalent}")
    return "\n".join(lines) + "\n"


def _score(counts: Counter[str]) -> str:
    judged = counts["all"] - counts["equivalent"]
    return "n/a" if not judged else f"{100 * counts['killed'] / judged:.1f}%"


def main() -> int:
    os.chdir(ROOT)  # mutmut reads pyproject.toml and mutants/ from the working directory
    # --report-only: rewrite the report from the last run (after editing EQUIVALENT).
    run = None if "--report-only" in sys.argv else subprocess.run([*MUTMUT, "run"], check=False)
    if run is not None and run.returncode != 0:  # the tests failed first (mutmut says why)
        print(f"mutation: mutmut run failed ({run.returncode}); no report", file=sys.stderr)
        return 1
    mutants = collect()
    if not mutants:
        print("mutation: mutmut produced no results", file=sys.stderr)
        return 1
    REPORT.write_text(report(mutants, datetime.now(UTC)))
    print(REPORT.read_text().split("\n\n")[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
