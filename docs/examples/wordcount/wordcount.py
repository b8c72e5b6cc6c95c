"""User code for docs/examples/wordcount/wordcount.yaml (see docs/extending.md)."""

from __future__ import annotations

from evalrun import Score, TaskState


async def ask(state: TaskState, style: str = "plain") -> None:
    """A solver step: add the word budget to the prompt, then call the model."""
    words = state.metadata["words"]
    state.prompt = f"{state.prompt}\nAnswer in exactly {words} words, {style} style."
    await state.generate()


def exact_count(state: TaskState, target: list[str]) -> Score:
    """A scorer returning a Score: correct when the answer has the target's word count."""
    wanted = int(target[0])
    got = len(state.completion.split())
    return Score(
        "C" if got == wanted else "I",
        answer=str(got),
        explanation=f"{got} words, wanted {wanted}",
        metadata={"completion_chars": len(state.completion)},
    )


def closeness(state: TaskState, target: list[str], slack: int = 0) -> float:
    """A scorer returning a number: 1.0 at the right count, less the further off."""
    wanted = int(target[0])
    got = len(state.completion.split())
    return max(0.0, 1.0 - max(0, abs(got - wanted) - slack) / wanted)
