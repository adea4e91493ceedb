"""Line numbers for YAML paths, so that a refused file points at the offending line."""

from __future__ import annotations

import yaml

#: libyaml's parser when PyYAML was built with it (its wheels are): the same documents and marks, read
#: about ten times faster than the pure-Python parser (the twenty methodology files: 0.6 s on first use)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> object:
    """The YAML document ``text`` as plain data (mappings, lists, scalars), read by :data:`SAFE_LOADER`."""
    return yaml.load(text, Loader=SAFE_LOADER)


def line_map(text: str) -> dict[tuple[str | int, ...], int]:
    """Map each path (keys and list indexes) in a YAML document to its 1-based line."""
    root = yaml.compose(text, Loader=SAFE_LOADER)
    lines: dict[tuple[str | int, ...], int] = {}
    if root is not None:
        _walk(root, (), lines)
    return lines


def _walk(node: yaml.Node, path: tuple[str | int, ...], lines: dict) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            _walk(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def nearest_line(lines: dict[tuple[str | int, ...], int], loc: tuple) -> int | None:
    """The line of ``loc``, or of its closest ancestor that exists in the file."""
    path = tuple(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
