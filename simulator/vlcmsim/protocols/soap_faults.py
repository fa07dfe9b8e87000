"""vmodl faults for the SOAP side: typed pyVmomi faults built from engine errors.

A SOAP handler raises `SoapFault(fault)`; soap.py serialises it as a real soapenv:Fault whose
detail is the vmodl fault (pyVmomi's client raises the same typed fault).  Failed tasks carry
the fault in `TaskInfo.error`.  Core errors arrive as `OpError(fault_name, message)`
or, for failed tasks, as `Task.error` = vAPI error dict (+ `"fault": <vim fault name>`).
"""

from __future__ import annotations

from typing import Any

from pyVmomi import VmomiSupport, vim, vmodl

from ..model import Task, World


class SoapFault(Exception):
    """Raised inside a SOAP method: `fault` is a pyVmomi vmodl.MethodFault instance."""

    def __init__(self, fault: Any) -> None:
        super().__init__(fault.msg or type(fault).__name__)
        self.fault = fault


def make(name: str, message: str, obj: Any = None, vm_state: str | None = None) -> Any:
    """A vmodl fault by wsdl name ('InvalidState', 'ManagedObjectNotFound', ...) with msg set.

    Unknown names become vmodl.fault.SystemError (reason = the name), never a bare exception.
    """
    try:
        cls = VmomiSupport.GetWsdlType("urn:vim25", name)
    except KeyError:
        cls = None
    if cls is None or not issubclass(cls, vmodl.MethodFault):
        return vmodl.fault.SystemError(reason=f"{name}: {message}", msg=message)
    fault = cls(msg=message)
    if issubclass(cls, vmodl.fault.ManagedObjectNotFound):
        fault.obj = obj
    if issubclass(cls, vim.fault.InvalidPowerState):
        fault.existingState = vm_state or "poweredOff"
    if issubclass(cls, vmodl.fault.SystemError):
        fault.reason = message
    return fault


def from_op_error(err: Any, obj: Any = None, vm_state: str | None = None) -> Any:
    """core.errors.OpError -> vmodl fault."""
    return make(getattr(err, "fault", "SystemError"), getattr(err, "message", str(err)), obj, vm_state)


# vAPI error types (REST-side task errors) -> closest vim fault
_VAPI_TO_VIM = {
    "NOT_FOUND": "ManagedObjectNotFound",
    "INVALID_ARGUMENT": "InvalidArgument",
    "NOT_ALLOWED_IN_CURRENT_STATE": "InvalidState",
    "RESOURCE_BUSY": "InvalidState",
    "RESOURCE_INACCESSIBLE": "InvalidState",
    "UNAUTHENTICATED": "NotAuthenticated",
    "UNAUTHORIZED": "NoPermission",
}


def task_fault(task: Task, world: World | None = None) -> Any:
    """The vmodl fault of a FAILED task, for TaskInfo.error."""
    err = task.error or {}
    if isinstance(err, dict) and isinstance(err.get("fault"), vmodl.MethodFault):
        return err["fault"]
    messages = err.get("messages") or [{}] if isinstance(err, dict) else [{}]
    message = (messages[0] or {}).get("default_message") or "The operation failed."
    name = err.get("fault") if isinstance(err, dict) else None
    if not isinstance(name, str):
        name = _VAPI_TO_VIM.get(str(err.get("error_type")), "SystemError") if isinstance(err, dict) else "SystemError"
    if name == "ManagedObjectNotFound":
        # the task's own target is the missing object in the engine's messages
        ref = VmomiSupport.GetWsdlType("urn:vim25", "ManagedEntity")(task.target) if task.target else None
        return make(name, message, obj=ref)
    if name == "InvalidPowerState":
        vm = world.vms.get(task.target) if world is not None else None
        return make(name, message, vm_state=vm.power_state if vm else "poweredOff")
    if name == "NoPermission":
        fault = make(name, message)
        fault.privilegeId = "System.View"
        return fault
    return make(name, message)


def not_authenticated(obj: Any = None) -> Any:
    """NotAuthenticated naming the object the call was about (vCenter's `object`)."""
    return vim.fault.NotAuthenticated(
        msg="The session is not authenticated.",
        object=obj if obj is not None else vim.ServiceInstance("ServiceInstance"),
        privilegeId="System.View",
    )


def invalid_login() -> Any:
    return vim.fault.InvalidLogin(msg="Cannot complete login due to an incorrect user name or password.")


def not_found(ref: Any) -> Any:
    name = VmomiSupport.GetWsdlName(type(ref))
    return vmodl.fault.ManagedObjectNotFound(
        obj=ref, msg=f"The object '{name}:{ref._moId}' has already been deleted or has not been completely created")


def invalid_argument(message: str, prop: str | None = None) -> Any:
    return vmodl.fault.InvalidArgument(msg=message, invalidProperty=prop)


def invalid_property(path: str) -> Any:
    return vmodl.query.InvalidProperty(name=path, msg=f"Invalid property: {path}")
