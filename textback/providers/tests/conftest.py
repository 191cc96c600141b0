from collections import Counter

from textback.providers.tests.fuzz import POSTED


def pytest_terminal_summary(terminalreporter):
    """How many hostile bodies the webhook fuzz posted, and what became of them, so a run can be reported."""
    for vendor in sorted({key[0] for key in POSTED}):
        mine = {key[1:]: n for key, n in POSTED.items() if key[0] == vendor}
        hooks, answers = Counter(), Counter()
        for (hook, signed, status_class), n in mine.items():
            hooks[hook] += n
            answers[f"{'signed' if signed else 'unsigned'} {status_class}xx"] += n
        terminalreporter.write_line(
            f"webhook fuzz on {vendor}: {sum(hooks.values())} bodies posted; "
            + ", ".join(f"{answer} {n}" for answer, n in sorted(answers.items()))
            + "; by hook: "
            + ", ".join(f"{hook} {n}" for hook, n in sorted(hooks.items()))
        )
