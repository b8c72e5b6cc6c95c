"""Model-side tool calling (issue 15, part 2): tool calls in messages and outputs, tools
offered in requests and cache keys, `mockllm`'s scripted `tool_calls`, litellm's OpenAI
format against the fake server, and tool messages in the log. (The agent loop is not here.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import only_log, write_jsonl
from fake_openai import FakeOpenAI

from evalrun.errors import InputError
from evalrun.model import (
    ChatMessage,
    GenerateConfig,
    ModelOutput,
    ModelPool,
    ModelRequest,
    ResponseCache,
    ToolCall,
)
from evalrun.tools import tool


def lookup(city: str) -> str:
    """The temperature in a city.

    Args:
        city: the city's name.
    """
    return {"Paris": "12C", "Oslo": "3C"}.get(city, "unknown")


LOOKUP = tool(lookup)
SCHEMA = LOOKUP.schema()

#: the key of a plain request, computed on main before tool calling landed (0ad3663):
#: a request without tools must key exactly as it did, or every cache goes cold
PLAIN_KEY = "8f11cedc9824f00f42035447eeffe21e5c11ab5c17f93760cdc92c42679f466e"
IDENTITY = {"provider": "mockllm", "model": "mockllm/model", "base_url": None}


def plain_request(tools: list[dict[str, Any]] | None = None) -> ModelRequest:
    messages = [
        ChatMessage("system", "Be brief."),
        ChatMessage("user", "What is 2 + 2?"),
        ChatMessage("assistant", "4"),
        ChatMessage("user", "Sure?"),
    ]
    return ModelRequest(messages, GenerateConfig(temperature=0.5), 2, tools=tools)


# -- types and cache ------------------------------------------------------------------


def test_plain_messages_and_outputs_serialize_as_before() -> None:
    assert ChatMessage("user", "hi").to_dict() == {"role": "user", "content": "hi"}
    output = ModelOutput("m", "text").to_dict()
    assert "tool_calls" not in output


def test_tool_messages_round_trip() -> None:
    calls = [
        ToolCall("call_1", "lookup", {"city": "Paris"}),
        ToolCall("call_2", "lookup", {}, "{bad"),
    ]
    assistant = ChatMessage("assistant", "", calls)
    result = ChatMessage("tool", "12C", tool_call_id="call_1", name="lookup")
    assert assistant.to_dict() == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": "call_1", "name": "lookup", "arguments": {"city": "Paris"}},
            {"id": "call_2", "name": "lookup", "arguments": {}, "raw_arguments": "{bad"},
        ],
    }
    assert result.to_dict() == {
        "role": "tool", "content": "12C", "tool_call_id": "call_1", "name": "lookup",
    }  # fmt: skip
    for message in (assistant, result):
        assert ChatMessage.from_dict(message.to_dict()) == message


def test_cache_key_unchanged_without_tools_and_keyed_on_tools() -> None:
    assert ResponseCache.key(IDENTITY, plain_request()) == PLAIN_KEY
    assert ResponseCache.key(IDENTITY, plain_request([])) == PLAIN_KEY
    with_tools = ResponseCache.key(IDENTITY, plain_request([SCHEMA]))
    assert with_tools != PLAIN_KEY
    other = {**SCHEMA, "description": "Another tool."}
    assert ResponseCache.key(IDENTITY, plain_request([other])) not in (PLAIN_KEY, with_tools)


def test_cache_keeps_tool_calls(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    calls = [ToolCall("call_1", "lookup", {"city": "Oslo"}), ToolCall("x", "lookup", {}, "[1]")]
    cache.put("k" * 64, ModelOutput("m", "", "tool_calls", tool_calls=calls))
    hit = cache.get("k" * 64)
    assert hit is not None and hit.cached
    assert hit.tool_calls == tuple(calls) and hit.stop_reason == "tool_calls"
    cache.put("p" * 64, ModelOutput("m", "text"))
    plain = cache.get("p" * 64)
    assert plain is not None and plain.tool_calls == ()
    stored = json.loads(next(tmp_path.glob("pp/*.json")).read_text())
    assert "tool_calls" not in stored


# -- mockllm ----------------------------------------------------------------------------

RESPONSES = [
    # the result of the second lookup is in: answer
    {"match": "Oslo is 3C", "output": "Paris 12C, Oslo 3C."},
    # the first result is in: look up the other city
    {"match": "Paris is 12C", "tool_calls": [{"name": "lookup", "arguments": {"city": "Oslo"}}]},
    {
        "match": "(?i)weather",
        "tool_calls": [
            {"name": "lookup", "arguments": {"city": "Paris"}},
            {"name": "think"},
        ],
        "output": "Let me look.",
    },
    {"match": "", "output": "I do not know."},
]


def mock(tmp_path: Path, rules: list[dict[str, Any]]) -> Any:
    responses = write_jsonl(tmp_path / "r.jsonl", rules)
    return ModelPool().get("mockllm/model", {"responses": str(responses)})


def test_mockllm_scripts_tool_calls_matched_on_tool_results(tmp_path: Path) -> None:
    model = mock(tmp_path, RESPONSES)

    async def converse() -> list[ModelOutput]:
        messages = [ChatMessage("user", "The weather in Paris and Oslo?")]
        outputs = []
        for _ in range(3):
            output = await model.generate(messages, tools=[SCHEMA])
            outputs.append(output)
            messages.append(
                ChatMessage("assistant", output.completion, list(output.tool_calls) or None)
            )
            for call in output.tool_calls:
                text = (
                    f"{call.arguments.get('city')} is {lookup(**call.arguments)}"
                    if call.arguments
                    else "ok"
                )
                messages.append(ChatMessage("tool", text, tool_call_id=call.id, name=call.name))
        return outputs

    first, second, third = anyio.run(converse)
    assert first.completion == "Let me look." and first.stop_reason == "tool_calls"
    assert first.tool_calls == (
        ToolCall("call_1", "lookup", {"city": "Paris"}), ToolCall("call_2", "think", {}),
    )  # fmt: skip
    assert second.tool_calls == (ToolCall("call_3", "lookup", {"city": "Oslo"}),)
    assert second.completion == ""
    assert third.completion == "Paris 12C, Oslo 3C." and third.tool_calls == ()
    assert third.stop_reason == "stop"
    assert first.usage.output_tokens > 0


def test_mockllm_plain_rules_unchanged(tmp_path: Path) -> None:
    model = mock(tmp_path, [{"match": "hello", "output": "Hi."}, {"match": "", "output": "?"}])
    output = anyio.run(lambda: model.generate([ChatMessage("user", "hello there")]))
    assert (output.completion, output.stop_reason, output.tool_calls) == ("Hi.", "stop", ())


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"match": "x"}, 'each line must be {"match": REGEX, "output": TEXT} or'),
        ({"match": "x", "tool_calls": []}, "`tool_calls` must be a non-empty list"),
        ({"match": "x", "tool_calls": [{"arguments": {}}]}, "each tool call needs a `name`"),
        ({"match": "x", "tool_calls": [{"name": "f", "arguments": [1]}]},
         "tool call `f`: `arguments` must be an object, not [1]"),
        ({"match": "x", "tool_calls": [{"name": "f", "args": {}}]},
         "tool call `f`: unknown key `args`"),
    ],
)  # fmt: skip
def test_mockllm_bad_tool_call_lines_are_errors_at_their_line(
    tmp_path: Path, rule: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError) as caught:
        mock(tmp_path, [{"match": "a", "output": "b"}, rule])
    assert message in str(caught.value)
    assert caught.value.location is not None and caught.value.location.line == 2


# -- through the engine: tool messages in the log ---------------------------------------

USER_CODE = """
from evalrun import ChatMessage
from evalrun.tools import tool

def lookup(city: str) -> str:
    '''The temperature in a city.

    Args:
        city: the city's name.
    '''
    return {"Paris": "12C", "Oslo": "3C"}.get(city, "unknown")

LOOKUP = tool(lookup)

async def two_turns(state):
    tools = [LOOKUP.schema()]
    for _ in range(3):
        output = await state.generate(tools=tools)
        if not output.tool_calls:
            return
        for call in output.tool_calls:
            if call.name == "lookup":
                result = await LOOKUP.call(call.raw_arguments or call.arguments)
                text = f"{call.arguments.get('city')} is {result.output}"
            else:
                text = "noted"
            state.add_message(ChatMessage("tool", text, tool_call_id=call.id, name=call.name))
"""


def test_tool_calls_and_results_are_logged(evalrun: Any, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "input": "The weather?", "target": "3C"}])
    write_jsonl(tmp_path / "r.jsonl", RESPONSES)
    (tmp_path / "weather.py").write_text(USER_CODE, encoding="utf-8")
    (tmp_path / "t.yaml").write_text(
        "dataset: {path: d.jsonl}\n"
        "solver: [{python: 'weather:two_turns'}]\n"
        "scorer: [includes]\n"
        "model: mockllm/model\nmodel_args: {responses: r.jsonl}\n",
        encoding="utf-8",
    )
    result = evalrun("eval", "t.yaml")
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")  # validated against the schema
    sample = log["samples"][0]
    assert sample["messages"] == [
        {"role": "user", "content": "The weather?"},
        {"role": "assistant", "content": "Let me look.", "tool_calls": [
            {"id": "call_1", "name": "lookup", "arguments": {"city": "Paris"}},
            {"id": "call_2", "name": "think", "arguments": {}},
        ]},
        {"role": "tool", "content": "Paris is 12C", "tool_call_id": "call_1", "name": "lookup"},
        {"role": "tool", "content": "noted", "tool_call_id": "call_2", "name": "think"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_3", "name": "lookup", "arguments": {"city": "Oslo"}},
        ]},
        {"role": "tool", "content": "Oslo is 3C", "tool_call_id": "call_3", "name": "lookup"},
        {"role": "assistant", "content": "Paris 12C, Oslo 3C."},
    ]  # fmt: skip
    assert sample["output"]["completion"] == "Paris 12C, Oslo 3C."
    assert "tool_calls" not in sample["output"]
    assert sample["scores"]["includes"]["value"] == "C"
    assert sample["usage"]["calls"] == 3

    # rescoring puts the recorded conversation back, tool fields included
    log_path = next((tmp_path / "logs").glob("*.eval"))
    rescored = evalrun("score", str(log_path), "--log-dir", str(tmp_path / "rescored"))
    assert rescored.code == 0, rescored.output
    again = only_log(tmp_path / "rescored")["samples"][0]
    assert again["messages"] == sample["messages"]
    assert again["scores"]["includes"]["value"] == "C"


# -- litellm against the fake OpenAI server ---------------------------------------------


def _call(id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


def test_litellm_three_turn_tool_conversation() -> None:
    replies = [
        {"tool_calls": [_call("call_a", "lookup", '{"city": "Paris"}')]},
        {"content": "And Oslo:", "tool_calls": [
            _call("call_b", "lookup", '{"city": "Oslo"}'), _call("call_c", "lookup", '{"city": '),
        ]},
        {"content": "Paris 12C, Oslo 3C."},
    ]  # fmt: skip
    with FakeOpenAI(replies=replies) as server:
        model = ModelPool().get("openai-compatible/fake", {"base_url": server.base_url})
        messages = [ChatMessage("user", "The weather in Paris and Oslo?")]

        async def turn() -> ModelOutput:
            output = await model.generate(messages, tools=[SCHEMA])
            messages.append(
                ChatMessage("assistant", output.completion, list(output.tool_calls) or None)
            )
            for call in output.tool_calls:
                result = await LOOKUP.call(
                    call.raw_arguments if call.raw_arguments is not None else call.arguments
                )
                messages.append(
                    ChatMessage("tool", result.output, tool_call_id=call.id, name=call.name)
                )
            return output

        first = anyio.run(turn)
        second = anyio.run(turn)
        third = anyio.run(turn)
        bodies = server.stats.bodies

    assert first.tool_calls == (ToolCall("call_a", "lookup", {"city": "Paris"}),)
    assert first.stop_reason == "tool_calls" and first.completion == ""
    assert second.completion == "And Oslo:"
    assert second.tool_calls == (
        ToolCall("call_b", "lookup", {"city": "Oslo"}),
        ToolCall("call_c", "lookup", {}, '{"city": '),  # malformed: kept as sent
    )
    assert third.tool_calls == () and third.completion == "Paris 12C, Oslo 3C."
    assert third.stop_reason == "stop"

    assert len(bodies) == 3
    for body in bodies:
        assert body["tools"] == [{"type": "function", "function": SCHEMA}]
    user = {"role": "user", "content": "The weather in Paris and Oslo?"}
    turn_one = [
        # (content None, OpenAI's form for "no text", is left out by the client on the way)
        {"role": "assistant", "tool_calls": [_call("call_a", "lookup", '{"city": "Paris"}')]},
        {"role": "tool", "content": "12C", "tool_call_id": "call_a", "name": "lookup"},
    ]  # fmt: skip
    assert bodies[0]["messages"] == [user]
    assert bodies[1]["messages"] == [user, *turn_one]
    sent = bodies[2]["messages"]
    assert sent[:3] == [user, *turn_one]
    assert sent[3] == {"role": "assistant", "content": "And Oslo:", "tool_calls": [
        _call("call_b", "lookup", '{"city": "Oslo"}'), _call("call_c", "lookup", '{"city": '),
    ]}  # fmt: skip
    assert sent[4] == {"role": "tool", "content": "3C", "tool_call_id": "call_b", "name": "lookup"}
    assert sent[5]["role"] == "tool" and sent[5]["tool_call_id"] == "call_c"
    assert sent[5]["content"].startswith("invalid arguments: not valid JSON")
    assert len(sent) == 6


def test_litellm_without_tools_sends_none() -> None:
    with FakeOpenAI() as server:
        model = ModelPool().get("openai-compatible/fake", {"base_url": server.base_url})
        output = anyio.run(lambda: model.generate([ChatMessage("user", "What is 2 + 3?")]))
        body = server.stats.bodies[0]
    assert output.completion == "5" and output.tool_calls == ()
    assert "tools" not in body
    assert body["messages"] == [{"role": "user", "content": "What is 2 + 3?"}]


def test_keys_echoed_in_tool_arguments_are_masked() -> None:
    from evalrun.secrets import remember

    key = "sk-tool-calling-test-4c1f9e27"  # (registered for this process: unique to here)
    remember(key)
    replies = [
        {"tool_calls": [
            _call("c1", "lookup", json.dumps({"city": f"Paris {key}"})),
            _call("c2", "lookup", f"not json {key}"),
        ]},
    ]  # fmt: skip
    with FakeOpenAI(replies=replies) as server:
        model = ModelPool().get("openai-compatible/fake", {"base_url": server.base_url})
        output = anyio.run(lambda: model.generate([ChatMessage("user", "hi")], tools=[SCHEMA]))
    assert output.tool_calls == (
        ToolCall("c1", "lookup", {"city": "Paris ***"}),
        ToolCall("c2", "lookup", {}, "not json ***"),
    )


def test_log_schema_reads_and_dumps_tool_fields_as_written() -> None:
    from evalrun.log._schema import MessageRecord

    for raw in (
        {"role": "user", "content": "hi"},
        ChatMessage(
            "assistant", "", [ToolCall("c1", "f", {"x": 1}), ToolCall("c2", "f", {}, "{")]
        ).to_dict(),
        ChatMessage("tool", "1", tool_call_id="c1", name="f").to_dict(),
    ):
        assert MessageRecord.model_validate(raw).model_dump(mode="json") == raw
