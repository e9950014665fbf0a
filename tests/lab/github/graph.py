"""A small GraphQL executor over plain data, answering queries the way GitHub's endpoint does.

The stand-in has no schema: a query is answered by walking its selections over nested dicts,
where a callable value is a field with arguments (it may raise NotFound).
A field the data lacks comes back as null rather than as a validation error, so the queries
of several gh versions are all answered without listing every field GitHub has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
    value_from_ast_untyped,
)

# Interfaces and unions every object here belongs to, so fragments typed on them always apply.
ABSTRACT_TYPES = frozenset(
    {"Node", "Actor", "RepositoryOwner", "RepositoryInfo", "UniformResourceLocatable"}
)


class NotFound(Exception):
    """Raised by a resolver when the object asked for does not exist, as GitHub's NOT_FOUND."""


@dataclass
class _Run:
    variables: dict[str, Any]
    fragments: dict[str, FragmentDefinitionNode]
    errors: list[dict[str, Any]] = field(default_factory=list)


def execute(
    query: str, variables: Mapping[str, Any] | None, root: Mapping[str, Any]
) -> dict[str, Any]:
    """Answer one GraphQL request body against `root`, returning GitHub's response shape."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return {"errors": [{"message": error.message}]}
    operation = _single_operation(document)
    if operation is None or operation.operation is not OperationType.QUERY:
        return {"errors": [{"message": "The lab's GitHub answers one query operation only."}]}
    fragments = {
        node.name.value: node
        for node in document.definitions
        if isinstance(node, FragmentDefinitionNode)
    }
    run = _Run(variables=dict(variables or {}), fragments=fragments)
    answer: dict[str, Any] = {"data": _select(root, operation.selection_set, run, [])}
    if run.errors:
        answer["errors"] = run.errors
    return answer


def _single_operation(document: DocumentNode) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operations[0] if len(operations) == 1 else None


def _select(
    value: Mapping[str, Any], selections: SelectionSetNode, run: _Run, path: list[str]
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            _merge(result, {key: _field(value, selection, run, [*path, key])})
        elif isinstance(selection, FragmentSpreadNode):
            fragment = run.fragments[selection.name.value]
            if _applies(value, fragment.type_condition.name.value):
                _merge(result, _select(value, fragment.selection_set, run, path))
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is None or _applies(value, condition.name.value):
                _merge(result, _select(value, selection.selection_set, run, path))
    return result


def _field(value: Mapping[str, Any], node: FieldNode, run: _Run, path: list[str]) -> Any:
    raw = value.get(node.name.value)
    if callable(raw):
        arguments = {
            argument.name.value: value_from_ast_untyped(argument.value, run.variables)
            for argument in node.arguments or ()
        }
        try:
            raw = raw(arguments)
        except NotFound as missing:
            run.errors.append(_not_found(str(missing), node, path))
            return None
    return _complete(raw, node.selection_set, run, path)


def _complete(raw: Any, selections: SelectionSetNode | None, run: _Run, path: list[str]) -> Any:
    if raw is None or selections is None:
        return raw
    if isinstance(raw, list):
        return [_complete(item, selections, run, path) for item in raw]
    return _select(raw, selections, run, path)


def _applies(value: Mapping[str, Any], type_name: str) -> bool:
    return type_name in ABSTRACT_TYPES or value.get("__typename") in {None, type_name}


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    # The same field may be selected twice (directly and through a fragment): GraphQL merges them.
    for key, value in more.items():
        if isinstance(into.get(key), dict) and isinstance(value, dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _not_found(message: str, node: FieldNode, path: list[str]) -> dict[str, Any]:
    error: dict[str, Any] = {"type": "NOT_FOUND", "path": path, "message": message}
    if node.loc is not None:
        start = node.loc.start_token
        error["locations"] = [{"line": start.line, "column": start.column}]
    return error
