"""How the rules name objects inside their messages."""

from ..models import Step, StepType

_SHOWN_NAME_MAX = 60


def quote(name: str, fallback: str) -> str:
    """“Name” for messages; long names are shortened and blank ones replaced by the number."""
    name = (name or "").strip()
    if not name:
        return f"{fallback} (unnamed)"
    if len(name) > _SHOWN_NAME_MAX:
        name = name[: _SHOWN_NAME_MAX - 1] + "…"
    return f"“{name}”"


def type_label(step_type: str) -> str:
    """The step type with its article, for sentences: "an email", "a wait"."""
    label = StepType(step_type).label.lower()
    return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"


def step_label(step: Step) -> str:
    return f"Step {quote(step.name, step.number)}"


def step_ref(step: Step) -> str:
    """The step as named inside a sentence."""
    return f"step {quote(step.name, step.number)}"
