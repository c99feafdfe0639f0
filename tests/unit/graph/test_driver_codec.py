"""The Neo4j driver runs with its Rust packstream codec (neo4j-rust-ext, pinned beside the driver): without it
the driver falls back to its Python codec silently, and every query and fan-out page costs several times more
CPU (issue 13). A driver upgrade without the matching extension fails here instead."""

from __future__ import annotations

from importlib.metadata import version

from neo4j._codec.packstream import v1


def test_the_rust_codec_is_the_one_in_use() -> None:
    # The driver's own switch: None when the extension is absent or does not match the driver.
    assert v1._rust_pack is not None and v1._rust_unpack is not None


def test_the_extension_is_the_driver_s_version() -> None:
    assert version("neo4j-rust-ext").startswith(version("neo4j") + ".")
