"""Surveys end to end on the engine: every question type answered structured, bare,
invalid then valid on retry, and invalid for good; the response cache kept apart per
interview; `--limit`, `--sample-id` and `fail_on_error`; usage and cost per interview
and per question; `prompts` and `estimate`; questions of one interview asked
concurrently unless they depend on each other.

Everything runs the real CLI on real survey files, with `mockllm/model` answering from a
responses file (the first rule whose regex is found in the request's text wins) or the
local OpenAI-compatible server; nothing of evalrun is mocked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import logs_in, only_log, raw_log, write_jsonl
from fake_openai import FakeOpenAI

#: the agents of the per-type survey, each answering its own way (their persona is in the
#: system prompt, so the mock's rules tell them apart)
AGENTS = ("structured", "bare", "fixer", "stubborn")
RETRY = "That answer is not valid"


def survey_file(
    folder: Path,
    questions: list[dict[str, Any]],
    *,
    agents: list[dict[str, Any]] | None = None,
    scenarios: list[dict[str, Any]] | None = None,
    responses: list[dict[str, str]] | None = None,
    extra: str = "",
    name: str = "s",
) -> Path:
    """A survey file (YAML written as JSON flow mappings), and its responses file."""
    lines = ["kind: survey", f"name: {name}", "questions:"]
    lines += [f"  - {json.dumps(q)}" for q in questions]
    if agents is not None:
        lines += ["agents:", *(f"  - {json.dumps(a)}" for a in agents)]
    if scenarios is not None:
        lines += ["scenarios:", *(f"  - {json.dumps(s)}" for s in scenarios)]
    lines.append("models: [mockllm/model]")
    if responses is not None:
        write_jsonl(folder / f"{name}.responses.jsonl", responses)
        lines.append(f"model_args: {{responses: {name}.responses.jsonl}}")
    path = folder / f"{name}.survey.yaml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def by_id(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in log["samples"]}


# --- 1. every question type --------------------------------------------------------------

#: type -> (its fields,
#:          structured reply, its answer, its comment,
#:          bare reply, its answer,
#:          an invalid reply, its reason,
#:          another invalid reply (the last, for good), its reason)
TYPES: dict[str, tuple[Any, ...]] = {
    "free_text": (
        {},
        "ANSWER: Mornings, mostly.\nCOMMENT: truly", "Mornings, mostly.", "truly",
        "Late evenings", "Late evenings",
        "ANSWER:\nCOMMENT: nothing to say", "the answer is empty",
        "ANSWER:   \nCOMMENT: still nothing", "the answer is empty",
    ),
    "multiple_choice": (
        {"options": ["red", "green", "blue"]},
        "ANSWER: **Blue**.\nCOMMENT: calm", "blue", "calm",
        "green", "green",
        "purple", "`purple` is not one of the options (red, green, blue)",
        "red or blue", "`red or blue` names 2 options (red, blue); choose exactly one",
    ),
    "checkbox": (
        {"options": ["red", "green", "blue"]},
        "ANSWER: blue, red\nCOMMENT: two", ["red", "blue"], "two",
        "green", ["green"],
        "purple, red", "`purple` is not one of the options (red, green, blue)",
        "red, red", "`red` is given twice",
    ),
    "yes_no": (
        {},
        "ANSWER: yes\nCOMMENT: sure", "Yes", "sure",
        "No", "No",
        "maybe", "`maybe` is not Yes or No",
        "yes and no", "`yes and no` says both yes and no",
    ),
    "linear_scale": (
        {"scale": [1, 5], "labels": {"1": "low", "5": "high"}},
        "ANSWER: 4\nCOMMENT: fairly", 4, "fairly",
        "2", 2,
        "7", "`7` is outside the scale 1 to 5",
        "4.5", "`4.5` is not a whole number; answer with a whole number from 1 to 5",
    ),
    "likert_five": (
        {},
        "ANSWER: strongly agree\nCOMMENT: yes", "Strongly agree", "yes",
        "Neutral", "Neutral",
        "Somewhat", "`Somewhat` is not one of the options (Strongly disagree, Disagree, "
        "Neutral, Agree, Strongly agree)",
        "Meh", "`Meh` is not one of the options (Strongly disagree, Disagree, Neutral, Agree, "
        "Strongly agree)",
    ),
    "numerical": (
        {"min_value": 0, "max_value": 100},
        "ANSWER: 42\nCOMMENT: about", 42, "about",
        "12.5", 12.5,
        "lots", "`lots` is not a number (write digits only)",
        "150", "`150` is above the maximum 100",
    ),
    "list": (
        {"max_list_items": 3},
        'ANSWER: ["tea", "coffee"]\nCOMMENT: drinks', ["tea", "coffee"], "drinks",
        "milk, juice", ["milk", "juice"],
        '["a", "b", "c", "d"]', "the answer has 4 items; at most 3 allowed",
        "v, w, x, y, z", "the answer has 5 items; at most 3 allowed",
    ),
    "rank": (
        {"options": ["tea", "coffee", "juice"]},
        "ANSWER: juice, tea, coffee\nCOMMENT: c", ["juice", "tea", "coffee"], "c",
        "coffee > juice > tea", ["coffee", "juice", "tea"],
        "tea, coffee", "2 options given; choose exactly 3",
        "tea, tea, coffee", "`tea` is given twice",
    ),
    "top_k": (
        {"options": ["tea", "coffee", "juice", "water"], "k": 2},
        "ANSWER: water, tea\nCOMMENT: hydrate", ["water", "tea"], "hydrate",
        "coffee, juice", ["coffee", "juice"],
        "tea", "1 option given; choose exactly 2",
        "tea, coffee, juice", "3 options given; choose exactly 2",
    ),
    "budget": (
        {"options": ["rent", "food"], "budget_sum": 100},
        'ANSWER: {"rent": 70, "food": 30}\nCOMMENT: rent is high',
        {"rent": 70, "food": 30}, "rent is high",
        '{"rent": 62.5, "food": 37.5}', {"rent": 62.5, "food": 37.5},
        '{"rent": 70, "food": 20}', "the amounts add up to 90, not 100",
        '{"rent": 100}', "no amount for `food`; give every option an amount (0 for none)",
    ),
    "matrix": (
        {"items": ["morning", "evening"], "options": ["tea", "coffee"]},
        'ANSWER: {"morning": "Coffee", "evening": "tea"}\nCOMMENT: usual',
        {"morning": "coffee", "evening": "tea"}, "usual",
        "morning: tea; evening: tea", {"morning": "tea", "evening": "tea"},
        '{"morning": "juice", "evening": "tea"}',
        "`juice` for `morning` is not one of the options (tea, coffee)",
        '{"morning": "tea"}', "no option for `evening`; answer every item",
    ),
    "extract": (
        {"fields": {"city": "text", "age": "integer", "member": "boolean"}},
        'ANSWER: {"city": "Oslo", "age": 30, "member": true}\nCOMMENT: from the card',
        {"city": "Oslo", "age": 30, "member": True}, "from the card",
        '{"city": "Leeds", "age": 21, "member": false}',
        {"city": "Leeds", "age": 21, "member": False},
        '{"city": "Oslo", "age": "thirty", "member": true}',
        "field `age` should be a whole number, not `thirty`",
        '{"city": "Oslo", "age": 3.5, "member": true}',
        "field `age` should be a whole number, not `3.5`",
    ),
}  # fmt: skip


def test_the_cases_cover_all_13_types() -> None:
    from evalrun.registry import names

    assert sorted(TYPES) == sorted(names("question")) and len(TYPES) == 13


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_every_type_structured_bare_retried_and_invalid(
    tmp_path: Path, evalrun: Any, kind: str
) -> None:
    (fields, structured, s_answer, s_comment, bare, b_answer,
     invalid, i_reason, invalid2, i2_reason) = TYPES[kind]  # fmt: skip
    responses = [
        # the re-asks first: a retry's request holds the first ask too
        {"match": f"(?s)persona: fixer.*{RETRY}", "output": bare},
        {"match": f"(?s)persona: stubborn.*{RETRY}", "output": invalid2},
        {"match": "persona: structured", "output": structured},
        {"match": "persona: bare", "output": bare},
        {"match": "persona: (fixer|stubborn)", "output": invalid},
    ]
    question = {"name": "q", "type": kind, "text": f"A {kind} question?", "answer_retries": 1}
    survey = survey_file(
        tmp_path,
        [{**question, **fields}],
        agents=[{"name": a, "traits": {"persona": a}} for a in AGENTS],
        responses=responses,
    )
    result = evalrun("eval", str(survey))
    assert result.code == 0, result.output  # an invalid answer is never an error
    samples = by_id(only_log(tmp_path / "logs"))
    assert sorted(samples) == sorted(f"{a}/scenario1" for a in AGENTS)
    got = {a: samples[f"{a}/scenario1"]["store"]["survey"]["answers"]["q"] for a in AGENTS}
    for answer in got.values():
        assert answer["prompt"].startswith(f"A {kind} question?\n\n")

    # (a) structured: the answer, typed, and the comment
    assert got["structured"]["status"] == "valid"
    assert got["structured"]["answer"] == s_answer
    assert type(got["structured"]["answer"]) is type(s_answer)
    assert got["structured"]["comment"] == s_comment
    assert (got["structured"]["attempts"], got["structured"]["raw"]) == (1, None)
    # (b) bare
    assert (got["bare"]["status"], got["bare"]["answer"]) == ("valid", b_answer)
    assert type(got["bare"]["answer"]) is type(b_answer)
    assert (got["bare"]["comment"], got["bare"]["attempts"]) == (None, 1)
    # (c) invalid, then valid when asked again
    fixed = got["fixer"]
    assert (fixed["status"], fixed["answer"], fixed["attempts"]) == ("valid", b_answer, 2)
    assert (fixed["raw"], fixed["reason"]) == (None, None)
    # (d) invalid for good: the last reply and its reason; asked answer_retries + 1 times
    failed = got["stubborn"]
    assert failed == {
        **failed, "status": "invalid", "answer": None, "comment": None, "raw": invalid2,
        "reason": i2_reason, "attempts": 2,
    }  # fmt: skip
    # the re-ask tells the model what was wrong with its first reply
    messages = samples["stubborn/scenario1"]["messages"]
    assert [(m["role"], m["content"]) for m in messages[-3:]] == [
        ("assistant", invalid),
        ("user", f"{RETRY}: {i_reason}. Please answer again, in the format asked."),
        ("assistant", invalid2),
    ]
    scores = {a: samples[f"{a}/scenario1"]["scores"]["answered"]["value"] for a in AGENTS}
    assert scores == {"structured": 1.0, "bare": 1.0, "fixer": 1.0, "stubborn": 0.0}


# --- 2. the response cache -----------------------------------------------------------------

TWINS = [{"traits": {"persona": "a twin", "age": 30}}] * 2
TWIN_QUESTIONS = [
    {"name": "q1", "type": "yes_no", "text": "Do you like tea?"},
    {"name": "q2", "type": "numerical", "text": "How many cups a day?"},
]
TWIN_RESPONSES = [{"match": "tea", "output": "Yes"}, {"match": "cups", "output": "ANSWER: 3"}]


def _prompt_rows(evalrun: Any, survey: Path, *more: str) -> list[dict[str, Any]]:
    result = evalrun("prompts", str(survey), "--json", *more)
    assert result.code == 0, result.output
    return [json.loads(line) for line in result.out.splitlines() if line.strip()]


def test_the_cache_never_shares_an_answer_between_agents_with_the_same_traits(
    tmp_path: Path, evalrun: Any
) -> None:
    survey = survey_file(tmp_path, TWIN_QUESTIONS, agents=TWINS, responses=TWIN_RESPONSES)
    cache = tmp_path / "cache"
    first = evalrun("eval", str(survey), "--cache", "--cache-dir", str(cache))
    assert first.code == 0, first.output
    log = only_log(tmp_path / "logs")
    assert sorted(by_id(log)) == ["agent1/scenario1", "agent2/scenario1"]
    # the two twins send the very same messages, yet each interview x question has its own
    # entry: the keys differ by interview
    stored = sorted(p.stem for p in cache.glob("*/*.json"))
    assert len(stored) == 4
    keys = {(r["sample"], r["question"]): r["cache_key"] for r in _prompt_rows(evalrun, survey)}
    assert sorted(keys.values()) == stored  # `prompts` shows the keys the run used
    samples = by_id(log)
    assert samples["agent1/scenario1"]["messages"] == samples["agent2/scenario1"]["messages"]

    # a second run is answered wholly from the cache, each agent from its own entries:
    # change agent1's cached answer to q1, and only agent1's answer changes
    entry = next(cache.glob(f"*/{keys[('agent1/scenario1', 'q1')]}.json"))
    data = json.loads(entry.read_text())
    assert data["completion"] == "Yes"
    entry.write_text(json.dumps({**data, "completion": "No"}))
    for path in logs_in(tmp_path / "logs"):
        path.unlink()
    second = evalrun("eval", str(survey), "--cache", "--cache-dir", str(cache))
    assert second.code == 0, second.output
    log = only_log(tmp_path / "logs")
    assert log["results"]["cached_samples"] == 2
    answers = {
        s["id"]: {q: a["answer"] for q, a in s["store"]["survey"]["answers"].items()}
        for s in log["samples"]
    }
    assert answers == {
        "agent1/scenario1": {"q1": "No", "q2": 3},
        "agent2/scenario1": {"q1": "Yes", "q2": 3},
    }
    assert len(list(cache.glob("*/*.json"))) == 4  # nothing new was asked
    for sample in log["samples"]:  # cached answers still count their tokens, per question
        assert sample["output"]["cached"] is True
        questions = sample["store"]["survey"]["answers"].values()
        assert sample["usage"]["total_tokens"] == sum(a["tokens"] for a in questions) > 0


def test_prompts_shows_the_cache_key_a_run_uses(tmp_path: Path, evalrun: Any) -> None:
    survey = survey_file(
        tmp_path, TWIN_QUESTIONS, agents=TWINS, responses=TWIN_RESPONSES,
        extra="config: {temperature: 0.3}\niterations: 1\n",
    )  # fmt: skip
    cache = tmp_path / "cache"
    result = evalrun("eval", str(survey), "--cache", "--cache-dir", str(cache))
    assert result.code == 0, result.output
    rows = _prompt_rows(evalrun, survey)
    assert {r["cache_key"] for r in rows} == {p.stem for p in cache.glob("*/*.json")}
    assert all(r["settings"] == {"temperature": 0.3} for r in rows)


def test_prompts_cache_key_with_the_models_generation_defaults(
    tmp_path: Path, evalrun: Any
) -> None:
    survey = survey_file(tmp_path, TWIN_QUESTIONS, agents=TWINS, responses=TWIN_RESPONSES)
    text = survey.read_text().replace(
        "model_args: {responses: s.responses.jsonl}",
        "model_args: {responses: s.responses.jsonl, config: {max_tokens: 50}}",
    )
    survey.write_text(text)
    cache = tmp_path / "cache"
    result = evalrun("eval", str(survey), "--cache", "--cache-dir", str(cache))
    assert result.code == 0, result.output
    rows = _prompt_rows(evalrun, survey)
    assert all(r["settings"] == {"max_tokens": 50} for r in rows)
    assert {r["cache_key"] for r in rows} == {p.stem for p in cache.glob("*/*.json")}


# --- 3. selecting interviews, and what fails a run ---------------------------------------

PAIR = [
    {"name": "q1", "type": "yes_no", "text": "Is it {{ season }}?"},
    {"name": "q2", "type": "multiple_choice", "text": "Pick one.", "options": ["a", "b"]},
]
PEOPLE = [{"name": "artist", "traits": {"persona": "artist"}}, {"traits": {"persona": "clerk"}}]
SEASONS = [{"season": "winter"}, {"season": "summer"}, {"season": "spring"}]
PAIR_RESPONSES = [{"match": "Is it", "output": "Yes"}, {"match": "Pick one", "output": "b"}]


@pytest.mark.parametrize(
    "option, ids",
    [
        (("--limit", "2"), ["artist/scenario1", "artist/scenario2"]),
        (("--limit", "3-4"), ["artist/scenario3", "agent2/scenario1"]),
        (("--sample-id", "artist/scenario2"), ["artist/scenario2"]),
        (("--sample-id", "agent2/scenario3,artist/scenario1"),
         ["artist/scenario1", "agent2/scenario3"]),
    ],
)  # fmt: skip
def test_limit_and_sample_id_select_interviews(
    tmp_path: Path, evalrun: Any, option: tuple[str, str], ids: list[str]
) -> None:
    survey = survey_file(tmp_path, PAIR, agents=PEOPLE, scenarios=SEASONS, responses=PAIR_RESPONSES)
    result = evalrun("eval", str(survey), *option)
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert sorted(by_id(log)) == sorted(ids)
    for sample in log["samples"]:
        answers = sample["store"]["survey"]["answers"]
        assert {q: a["answer"] for q, a in answers.items()} == {"q1": "Yes", "q2": "b"}
    season = {"scenario1": "winter", "scenario2": "summer", "scenario3": "spring"}
    for sample in log["samples"]:
        assert sample["metadata"]["scenario"] == {"season": season[sample["id"].split("/")[1]]}
        assert sample["store"]["survey"]["answers"]["q1"]["prompt"].startswith(
            f"Is it {sample['metadata']['scenario']['season']}?"
        )


def test_a_failed_model_call_errors_the_interview_and_fails_the_run(
    tmp_path: Path, evalrun: Any
) -> None:
    survey = survey_file(
        tmp_path, PAIR, agents=PEOPLE, scenarios=SEASONS[:1], responses=PAIR_RESPONSES
    )
    result = evalrun("eval", str(survey), "-M", "error_rate=1")
    assert result.code == 1, result.output
    log = only_log(tmp_path / "logs")
    assert log["status"] == "error"
    # fail_on_error: true (the default) stops the run at the first failed interview
    assert log["results"]["errored_samples"] >= 1
    assert "fail_on_error" in log["error"]["message"]
    for sample in log["samples"]:
        assert sample["error"]["message"] == (
            "mockllm/model: simulated transient error (error_rate=1)"
        )
        assert sample["error"]["kind"] == "model"
        assert not sample["scores"]


def test_errors_are_tolerated_as_fail_on_error_says(tmp_path: Path, evalrun: Any) -> None:
    extra = "fail_on_error: false\n"
    survey = survey_file(
        tmp_path, PAIR, agents=PEOPLE, scenarios=SEASONS[:1], responses=PAIR_RESPONSES,
        extra=extra,
    )  # fmt: skip
    result = evalrun("eval", str(survey), "-M", "error_rate=1")
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert log["results"]["errored_samples"] == 2
    assert all(s["error"] is not None for s in log["samples"])


def test_invalid_answers_never_error_an_interview(tmp_path: Path, evalrun: Any) -> None:
    """Every answer is invalid (the mock's default reply is neither Yes/No nor an option):
    the run succeeds, with every question invalid and no error."""
    survey = survey_file(
        tmp_path, PAIR, agents=PEOPLE, scenarios=SEASONS[:1], extra="answer_retries: 0\n"
    )
    result = evalrun("eval", str(survey))
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert log["status"] == "success"
    assert log["results"]["errored_samples"] == 0
    for sample in log["samples"]:
        assert sample["error"] is None
        answers = sample["store"]["survey"]["answers"]
        assert {a["status"] for a in answers.values()} == {"invalid"}
        assert answers["q1"]["raw"] == "Default output from mockllm/model"
        assert answers["q1"]["reason"] == "`Default output from mockllm/model` is not Yes or No"
        assert answers["q1"]["attempts"] == 1
        assert sample["scores"]["answered"]["value"] == 0.0


# --- 4. usage and cost ---------------------------------------------------------------------


def test_usage_per_interview_is_the_sum_of_its_questions(tmp_path: Path, evalrun: Any) -> None:
    questions = [
        {"name": "q1", "type": "yes_no", "text": "Is it cold?"},
        {"name": "q2", "type": "numerical", "text": "How cold, {{ q1.answer }}?"},
        {"name": "q3", "type": "free_text", "text": "Why?"},
    ]
    responses = [
        # memory holds a question and the reply it finally got, never a retry's exchange
        {"match": f"(?s){RETRY}.*Why", "output": "the retry leaked into memory"},
        {"match": f"(?s)How cold.*{RETRY}", "output": "ANSWER: -4"},
        {"match": "(?s)Is it cold.*ANSWER: -4.*Why", "output": "Because it is January in Oslo."},
        {"match": "Is it cold", "output": "Yes"},
        {"match": "How cold", "output": "very"},  # invalid first: two calls
    ]
    agents = [{"name": "n", "traits": {"persona": "a northerner"}}]
    survey = survey_file(tmp_path, questions, agents=agents, responses=responses,
                         extra="memory: full\n")  # fmt: skip
    prices = tmp_path / "prices.yaml"
    prices.write_text("prices: {input: 2, output: 8}\n")
    result = evalrun("eval", str(survey), "--model-args", str(prices))
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    (sample,) = log["samples"]
    answers = sample["store"]["survey"]["answers"]
    assert [answers[q]["attempts"] for q in ("q1", "q2", "q3")] == [1, 2, 1]
    assert answers["q2"]["answer"] == -4
    assert answers["q3"]["answer"] == "Because it is January in Oslo."
    usage = sample["usage"]
    assert usage["total_tokens"] == sum(a["tokens"] for a in answers.values())
    assert usage["calls"] == sum(a["attempts"] for a in answers.values()) == 4
    assert all(a["tokens"] > 0 for a in answers.values())
    # a later question with memory sends more than the first one
    assert answers["q3"]["tokens"] > answers["q1"]["tokens"]
    # the mock's calls cost $0, known, whatever `prices` says (those are for estimate)
    assert [a["cost"] for a in answers.values()] == [0.0, 0.0, 0.0]
    assert (usage["cost"], usage["unpriced"]) == (0.0, 0)
    assert log["stats"]["usage"]["total_tokens"] == usage["total_tokens"]


def test_cost_per_question_from_a_priced_model(tmp_path: Path, evalrun: Any) -> None:
    """A priced model (the local OpenAI-compatible server, which echoes the question:
    valid free text) at $1 per input token and $2 per output token: each question's cost
    is its input tokens plus twice its output tokens, and they add up to the interview's."""
    questions = [
        {"name": "a", "type": "free_text", "text": "First question?"},
        {"name": "b", "type": "free_text", "text": "Second, longer question, after {{ a.answer }}?"},
    ]  # fmt: skip
    survey = survey_file(tmp_path, questions, agents=[{"traits": {"persona": "p"}}])
    prices = tmp_path / "prices.yaml"
    prices.write_text("prices: {input: 1000000, output: 2000000}\n")
    with FakeOpenAI() as server:
        result = evalrun(
            "eval", str(survey), "-m", "openai-compatible/fake",
            "--model-base-url", server.base_url, "--model-args", str(prices),
        )  # fmt: skip
    assert result.code == 0, result.output
    (sample,) = only_log(tmp_path / "logs")["samples"]
    answers = sample["store"]["survey"]["answers"]
    usage = sample["usage"]
    assert usage["unpriced"] == 0
    assert usage["total_tokens"] == answers["a"]["tokens"] + answers["b"]["tokens"]
    assert usage["cost"] == pytest.approx(answers["a"]["cost"] + answers["b"]["cost"])
    assert usage["cost"] == pytest.approx(usage["input_tokens"] + 2 * usage["output_tokens"])
    for answer in answers.values():
        assert answer["status"] == "valid"
        # in + 2 x out, with in + out = tokens and out >= 1
        assert answer["tokens"] < answer["cost"] < 2 * answer["tokens"]
    assert answers["b"]["cost"] > answers["a"]["cost"]


# --- 5. prompts and estimate ---------------------------------------------------------------

PROMPTED = [
    {"name": "q1", "type": "yes_no", "text": "Do you like {{ season }}?"},
    {"name": "q2", "type": "free_text", "text": "Why {{ q1.answer }}?"},
    {"name": "q3", "type": "linear_scale", "text": "Rate {{ season }}.", "scale": [1, 3]},
]


def test_prompts_lists_every_question_of_every_interview(tmp_path: Path, evalrun: Any) -> None:
    survey = survey_file(
        tmp_path, PROMPTED, agents=PEOPLE, scenarios=SEASONS[:2],
        extra="agent_instruction: Stay in character.\n",
    )  # fmt: skip
    rows = _prompt_rows(evalrun, survey, "--limit", "4")
    interviews = [f"{a}/scenario{n}" for a in ("artist", "agent2") for n in (1, 2)]
    assert [(r["sample"], r["question"]) for r in rows] == [
        (i, q) for i in interviews for q in ("q1", "q2", "q3")
    ]
    for row in rows:
        persona = "artist" if row["sample"].startswith("artist") else "clerk"
        season = "winter" if row["sample"].endswith("1") else "summer"
        system, *_, user = row["messages"]
        assert system == {
            "role": "system",
            "content": f"Stay in character.\n\nYour traits:\n- persona: {persona}",
        }
        assert user["role"] == "user"
        if row["question"] == "q2":  # pipes q1's answer: its key depends on that answer
            assert row["cache_key"] is None
            assert user["content"].startswith("Why <answer to q1>?\n\n")
        else:
            assert re.fullmatch(r"[0-9a-f]{64}", row["cache_key"])
            assert season in user["content"]
        assert len(row["messages"]) == 2  # memory none: system and the question
    keys = [r["cache_key"] for r in rows if r["cache_key"]]
    assert len(set(keys)) == len(keys) == 8
    # --limit counts interviews (default 3, as for a task's samples)
    assert len(_prompt_rows(evalrun, survey, "--limit", "1")) == 3
    assert len(_prompt_rows(evalrun, survey)) == 3 * 3


def test_estimate_counts_every_question_of_every_interview_and_iteration(
    tmp_path: Path, evalrun: Any
) -> None:
    survey = survey_file(
        tmp_path, PROMPTED, agents=PEOPLE, scenarios=SEASONS, extra="iterations: 2\n"
    )
    result = evalrun("estimate", str(survey))
    assert result.code == 0, result.output
    row = next(line for line in result.out.splitlines() if "mockllm/model" in line)
    cells = [c.strip() for c in re.split(r"[│|]", row) if c.strip()]
    assert cells[:3] == ["s", "mockllm/model", str(2 * 3 * 3 * 2)]  # agents x scenarios x qs x its
    result = evalrun("estimate", str(survey), "--epochs", "1", "--limit", "2")
    assert result.code == 0, result.output
    row = next(line for line in result.out.splitlines() if "mockllm/model" in line)
    assert [c.strip() for c in re.split(r"[│|]", row) if c.strip()][2] == str(2 * 3)


# --- 6. concurrency inside an interview ---------------------------------------------------

INDEPENDENT = [
    {"name": f"q{i}", "type": "free_text", "text": f"Question number {i}?"} for i in range(1, 5)
]


@pytest.mark.parametrize("memory", ["none", "full", "piping"])
def test_independent_questions_are_asked_concurrently(
    tmp_path: Path, evalrun: Any, memory: str
) -> None:
    questions = [dict(q) for q in INDEPENDENT]
    if memory == "piping":  # q3 waits for q1: two rounds of calls, [q1, q2] then [q3, q4]
        questions[2]["text"] += " {{ q1.answer }}"
    survey = survey_file(
        tmp_path, questions, agents=[{"traits": {"persona": "p"}}],
        responses=[{"match": "Question", "output": "ANSWER: fine"}],
        extra=f"memory: {'none' if memory == 'piping' else memory}\n",
    )  # fmt: skip
    result = evalrun("eval", str(survey), "-M", "latency=0.2")
    assert result.code == 0, result.output
    (sample,) = only_log(tmp_path / "logs")["samples"]
    answers = sample["store"]["survey"]["answers"]
    assert {a["answer"] for a in answers.values()} == {"fine"}
    if memory == "none":  # four calls at once: about one call's latency
        assert sample["total_time"] < 0.6, sample["total_time"]
    elif memory == "piping":
        assert 0.4 <= sample["total_time"] < 0.6, sample["total_time"]
        assert answers["q3"]["prompt"].startswith("Question number 3? fine\n\n")
    else:  # each question waits for the ones before it
        assert sample["total_time"] >= 0.8, sample["total_time"]
        # and remembers them, in order
        last = [m["content"] for m in sample["messages"] if m["role"] == "user"]
        assert [u.split("\n")[0] for u in last] == [f"Question number {i}?" for i in range(1, 5)]


def test_log_reads_back_through_the_log_reader(tmp_path: Path, evalrun: Any) -> None:
    """The same survey, written as a JSON log: the records are the same shape."""
    survey = survey_file(tmp_path, PAIR, agents=PEOPLE[:1], scenarios=SEASONS[:1],
                         responses=PAIR_RESPONSES)  # fmt: skip
    result = evalrun("eval", str(survey), "--log-format", "json")
    assert result.code == 0, result.output
    (path,) = logs_in(tmp_path / "logs")
    assert path.suffix == ".json"
    (sample,) = raw_log(path)["samples"]
    assert sample["store"]["survey"]["order"] == ["q1", "q2"]
