"""The fast tier: pure logic, no Redis, no Neo4j (no ``redis``/``neo4j``/``service_plan`` fixtures).

Mirrors the packages (``tests/unit/fanout`` tests ``fanout/``...). ``make test`` runs it first; on its own:
``.venv/bin/pytest tests/unit -q`` (seconds).
"""
