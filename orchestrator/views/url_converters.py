"""The `<number:…>` path converter: only a valid public number resolves, and only one reverses.

Every route that carries an orchestration's or a tree object's number uses
it, so `reverse()` refuses (NoReverseMatch) to build a URL from a number the
models would refuse, and a request for such a number is a plain 404 before
any view or query sees it. Registered by `OrchestratorConfig.ready()`,
before any URLconf is imported.
"""

from ..models.numbers import NUMBER_REGEX, number_problem


class PublicNumberConverter:
    regex = NUMBER_REGEX

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        if number_problem(value):  # reserved words too: "new" would reverse to the create form
            raise ValueError(f"not a public number: {value!r}")
        return value
