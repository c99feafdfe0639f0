"""Every read in the graph layer goes to a reader: on a Neo4j cluster (a `neo4j://` URI) an execute_query
without ``routing_="r"`` is sent to the leader, which then serves every read of the service.

Checked on the source (ast): each ``execute_query`` call whose Cypher writes nothing passes ``routing_="r"``,
and each one that writes does not (a write sent to a reader fails)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import graph

GRAPH = Path(graph.__file__).parent
WRITES = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|DETACH)\b|db\.awaitIndexes", re.IGNORECASE)


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level string constants (the Cypher of the module), concatenations included."""
    found: dict[str, str] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and value is not None:
            try:
                text = ast.literal_eval(value)
            except ValueError:
                continue
            if isinstance(text, str):
                found[target.id] = text
    return found


def _calls() -> list[tuple[str, int, str, str | None]]:
    """(file, line, cypher, routing) of each execute_query call with a Cypher constant or literal."""
    calls = []
    for path in sorted(GRAPH.glob("*.py")):
        tree = ast.parse(path.read_text())
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "execute_query"):
                continue
            query = node.args[0] if node.args else None
            if isinstance(query, ast.Name) and query.id in constants:
                text = constants[query.id]
            elif isinstance(query, ast.Constant) and isinstance(query.value, str):
                text = query.value
            else:
                continue
            routing = next((ast.literal_eval(k.value) for k in node.keywords if k.arg == "routing_"), None)
            calls.append((path.name, node.lineno, text, routing))
    return calls


def test_the_graph_layer_has_queries_to_check() -> None:
    assert len(_calls()) >= 30


def test_reads_go_to_readers_and_writes_to_the_leader() -> None:
    wrong = [
        f"{name}:{line} {'writes' if WRITES.search(text) else 'reads'} with routing_={routing!r}"
        for name, line, text, routing in _calls()
        if (routing == "r") == bool(WRITES.search(text))
    ]
    assert wrong == []
