"""Survey figures on this machine, with mockllm at zero latency (issue 11).

Run: python tests/bench/surveys.py [SIZES...]   (default: 1000 10000 100000)
A 4-question survey (yes/no, a multiple choice skipped on a rule, a linear scale that
pipes in the previous answer, free text), agents from a CSV x 10 scenarios from a
JSONL file. Prints interviews/s in the engine (the run's own duration, from its log)
and from process start, and the process's peak RSS, per size (1,000 and 10,000: the
median of three runs, their range beside it).
Targets: >= 5,000 interviews/s in the engine at every size, no fall as the job grows;
peak RSS < 300 MB at 100,000.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from _common import Measured, evalrun, measure
from engine import engine_seconds

SCENARIOS = 10
SURVEY = """\
kind: survey
name: bench
questions:
  - {name: drinks_coffee, type: yes_no, text: "Do you drink coffee in {{ city }}?"}
  - name: favourite
    type: multiple_choice
    text: "Which coffee do you like most in {{ city }}?"
    options: [espresso, latte, filter, other]
  - name: how_much
    type: linear_scale
    text: "How much do you like {{ favourite.answer }}?"
    scale: [1, 5]
  - {name: why, type: free_text, text: "Why?"}
rules:
  - skip: favourite
    if: "drinks_coffee == 'No'"
agents: {path: agents.csv}
scenarios: {path: cities.jsonl}
agent_instruction: "Answer as this person would."
models: [mockllm/model]
model_args: {responses: responses.jsonl}
"""
RESPONSES = [
    {"match": "(?s)tea lover.*drink coffee", "output": "No"},
    {"match": "drink coffee", "output": "ANSWER: Yes"},
    {"match": "Which coffee", "output": "latte"},
    {"match": "How much", "output": "ANSWER: 4\nCOMMENT: quite a lot"},
    {"match": "Why", "output": "It wakes me up."},
]


def make_survey(folder: Path, interviews: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    agents = interviews // SCENARIOS
    with (folder / "agents.csv").open("w") as handle:
        handle.write("name,persona,age\n")
        for i in range(agents):
            persona = "a tea lover" if i % 5 == 0 else "a coffee drinker"
            handle.write(f"a{i},{persona},{20 + i % 60}\n")
    (folder / "cities.jsonl").write_text(
        "".join(json.dumps({"city": f"City {j}"}) + "\n" for j in range(SCENARIOS))
    )
    (folder / "responses.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RESPONSES))
    path = folder / "bench.survey.yaml"
    path.write_text(SURVEY)
    return path


def main(sizes: list[int]) -> None:
    print("surveys, 4 questions (one skip rule, one piped answer), mockllm at zero latency")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            survey = make_survey(Path(folder) / str(size), size)
            # small runs last a fraction of a second: the median of 3 (a range beside it)
            runs = [run(survey, Path(folder) / f"logs{size}-{i}") for i in range(RUNS.get(size, 1))]
            rates = sorted(size / seconds for _, seconds in runs)
            measured = runs[0][0]
            spread = f" (runs {rates[0]:,.0f}-{rates[-1]:,.0f})" if len(rates) > 1 else ""
            print(f"  {size:>7,} interviews: {statistics.median(rates):8,.0f} interviews/s in the "
                  f"engine{spread}; {size / measured.seconds:8,.0f} from process start "
                  f"({measured.seconds:.2f} s); peak RSS {measured.peak_rss_mb:.0f} MB")  # fmt: skip


#: how many runs each size gets (others: one)
RUNS = {1_000: 3, 10_000: 3}


def run(survey: Path, logs: Path) -> tuple[Measured, float]:
    options = ["--display", "none", "--max-samples", "100", "--log-dir", str(logs)]
    measured = measure(evalrun("eval", str(survey), *options))
    assert measured.code == 0, measured.stderr
    return measured, engine_seconds(logs)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000])
