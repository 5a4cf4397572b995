"""Babel extractor for template files: their user-facing texts are msgids like any ``_()`` call.

Keys named in ``TEXT_KEYS`` hold text for people; everything else (keys, kinds) is structure.
"""

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

import yaml

TEXT_KEYS = frozenset({"title", "text", "hint", "intro", "label", "description", "care_text"})


def _walk(node: yaml.Node) -> Iterator[tuple[int, str]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if (
                isinstance(key, yaml.ScalarNode)
                and key.value in TEXT_KEYS
                and isinstance(value, yaml.ScalarNode)
                and value.value
            ):
                yield value.start_mark.line + 1, value.value
            elif isinstance(key, yaml.ScalarNode) and key.value == "choices" and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    if isinstance(item, yaml.ScalarNode):
                        yield item.start_mark.line + 1, item.value
                    else:
                        yield from _walk(item)
            else:
                yield from _walk(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item)


def extract(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    root = yaml.compose(fileobj.read().decode("utf-8"))
    if root is None:
        return
    for line, text in _walk(root):
        yield line, None, text, []
