"""Property paths and the wire types of their values, from pyVmomi's type info.

A property value travels in an `xsd:anyType` slot (`DynamicProperty.val`,
`PropertyChange.val`), so its `xsi:type` comes from the Python value pyVmomi serialises: a
plain `int` would go out as `xsd:int` even where the type info declares `xsd:long` (a host's
`memorySize` of 256 GiB does not fit), a plain list would have no array type.  vCenter sends
every value with its declared type, and strict clients (govmomi) decode by that type, so
`wire_value` turns a value into the declared type before it is serialised: `long`, `short`,
`byte`, `double`, enums, typed arrays (`ArrayOfLong`, `ArrayOfString`, `ArrayOfVirtualDevice`).
Data objects keep their own (possibly more specific) type; references are named
`ManagedObjectReference` by the serializer (`soap_codec`).

Paths resolve as vCenter resolves them: each step through the declared type first, then
through the type of the actual value, so `configurationEx.drsConfig.enabled` works on a
cluster whose `configurationEx` (declared `ComputeResourceConfigInfo`) is a
`ClusterConfigInfoEx`.  Without a value (validating a PropertySpec) a step may go through
any subtype of the declared type.
"""

from __future__ import annotations

import functools
from typing import Any

from pyVmomi import VmomiSupport

# xsd numeric types whose Python value pyVmomi cannot tell apart from a plain int / float
_INTEGERS = (VmomiSupport.long, VmomiSupport.short, VmomiSupport.byte, int)
_FLOATS = (VmomiSupport.double, float)


class InvalidPath(Exception):
    """A property path that does not exist on the managed object type."""


def _is_data(typ: Any) -> bool:
    return isinstance(typ, type) and issubclass(typ, VmomiSupport.DataObject) and not issubclass(typ, list)


def _declares(data_type: Any, name: str) -> Any:
    """The declared type of property `name` of a data type, None if the type has no such property."""
    try:
        return data_type._GetPropertyInfo(name).type
    except (AttributeError, KeyError):
        return None


@functools.lru_cache(maxsize=512)
def data_subtypes(data_type: Any) -> tuple[Any, ...]:
    """Every data type derived from `data_type` (loads pyVmomi's lazy types once), by wsdl name."""
    subs = [t for t in VmomiSupport.GetWsdlTypes()
            if _is_data(t) and t is not data_type and issubclass(t, data_type)]
    return tuple(sorted(subs, key=VmomiSupport.GetWsdlName))


def _step(data_type: Any, name: str, value: Any) -> Any:
    """Declared type of one path step: declared type first, then the value's, then any subtype's."""
    typ = _declares(data_type, name)
    if typ is not None:
        return typ
    if value is not None and _is_data(type(value)):
        typ = _declares(type(value), name)
        if typ is not None:
            return typ
        return None      # the value is there and has no such property: its subtypes do not count
    for sub in data_subtypes(data_type):
        typ = _declares(sub, name)
        if typ is not None:
            return typ
    return None


def resolve(managed_type: Any, path: str, root: Any = None, *, has_root: bool = False) -> tuple[Any, Any]:
    """(value, declared type) of a property path of a managed object type.

    `root` is the value of the path's first property when known (`has_root`); the value is
    followed step by step (None once a step is unset).  InvalidPath when no type on the way
    declares a step.
    """
    parts = path.split(".")
    try:
        typ = managed_type._GetPropertyInfo(parts[0]).type
    except (AttributeError, KeyError) as err:
        raise InvalidPath(path) from err
    val = root if has_root else None
    for part in parts[1:]:
        if not _is_data(typ):
            raise InvalidPath(path)      # through an array, a reference or a primitive
        nxt = _step(typ, part, val)
        if nxt is None:
            raise InvalidPath(path)
        typ = nxt
        val = getattr(val, part, None) if val is not None else None
    return val, typ


def path_type(managed_type: Any, path: str) -> Any:
    """Declared pyVmomi type of a property path (through subtypes); InvalidPath if none has it."""
    return resolve(managed_type, path)[1]


def wire_value(value: Any, declared: Any) -> Any:
    """The value as an instance of its declared type, so its xsi:type on the wire is that type."""
    if value is None or not isinstance(declared, type):
        return value
    if issubclass(declared, list):
        item = declared.Item
        if isinstance(value, declared) and not _needs_items(item):
            return value
        return declared([wire_value(v, item) for v in value])
    if issubclass(declared, VmomiSupport.Enum):
        return value if isinstance(value, declared) else getattr(declared, str(value))
    if declared in _INTEGERS and isinstance(value, int) and not isinstance(value, bool):
        return value if type(value) is declared else declared(value)
    if declared in _FLOATS and isinstance(value, int | float) and not isinstance(value, bool):
        return value if type(value) is declared else declared(value)
    return value


def _needs_items(item: Any) -> bool:
    """Items whose Python value may not be of the item type (ints, floats, enum strings)."""
    return item in _INTEGERS or item in _FLOATS or issubclass(item, VmomiSupport.Enum)
